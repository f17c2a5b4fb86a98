/**
 * User settings as every Store keeps them: one JSON object per user, holding only the settings
 * the user changed; every other setting takes its default here. Adding a setting is a field in
 * UserSettings, its default below and its check in the patch schema (protocol's
 * `userSettingsPatch`) — no migration. Pure functions.
 */
import type { UserSettings } from '@natter/protocol';

export const DEFAULT_USER_SETTINGS: Readonly<UserSettings> = Object.freeze({ readReceipts: true });

/** The settings a stored document says, defaults filled in; fields of unknown type take their default. */
export function settingsFrom(stored: unknown): UserSettings {
  const doc = typeof stored === 'string' ? safeParse(stored) : stored;
  const out: UserSettings = { ...DEFAULT_USER_SETTINGS };
  if (typeof doc !== 'object' || doc === null) return out;
  for (const key of Object.keys(DEFAULT_USER_SETTINGS) as (keyof UserSettings)[]) {
    const v = (doc as Record<string, unknown>)[key];
    if (typeof v === typeof DEFAULT_USER_SETTINGS[key]) (out as unknown as Record<string, unknown>)[key] = v;
  }
  return out;
}

/** The stored document after a patch: known fields only (undefined ones keep their value). */
export function patchedSettings(stored: unknown, patch: Partial<UserSettings>): UserSettings {
  const next = settingsFrom(stored);
  for (const key of Object.keys(DEFAULT_USER_SETTINGS) as (keyof UserSettings)[]) {
    const v = patch[key];
    if (v !== undefined && typeof v === typeof DEFAULT_USER_SETTINGS[key]) (next as unknown as Record<string, unknown>)[key] = v;
  }
  return next;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
