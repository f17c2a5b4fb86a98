/**
 * The MemoryStore's delete for me (rules/hidden.ts decides): per user, the messages they hid,
 * each stamped with the sync version its hide took (the member row takes it too), so
 * changesSince can hand the hides of a version range to the user's other devices.
 */
import { hiddenCopy, type HiddenMessage } from '@natter/protocol';
import { mayHide } from '../rules/hidden.js';
import type { HideOutcome } from '../store.js';
import { entryOf, type MemoryTables } from './tables.js';

export function hideMessage(t: MemoryTables, userId: string, conversationId: string, messageId: string, now: number): HideOutcome {
  const row = t.messagesById.get(messageId);
  const c = t.conversations.get(conversationId);
  const m = c?.members.get(userId);
  if (!mayHide(row, conversationId, m, c?.lastSeq ?? 0)) return { kind: 'not_found' };
  let mine = t.hidden.get(userId);
  if (!mine) t.hidden.set(userId, (mine = new Map()));
  const prior = mine.get(messageId);
  if (!prior) {
    const version = t.nextVersion();
    m!.version = version;
    mine.set(messageId, { conversationId, messageId, seq: row!.seq, hiddenAt: now, version });
  }
  const hiddenAt = prior?.hiddenAt ?? now;
  return { kind: 'ok', hidden: { conversationId, messageId, seq: row!.seq, hiddenAt }, message: hiddenCopy(entryOf(row!), hiddenAt), changed: !prior };
}

/** The user's hides (message id -> hiddenAt), for masking pages (rules/hidden.ts maskPage). */
export function hiddenAtOf(t: MemoryTables, userId: string): ReadonlyMap<string, number> {
  const mine = t.hidden.get(userId);
  return new Map([...(mine?.values() ?? [])].map((h) => [h.messageId, h.hiddenAt]));
}

/** When the user hid this message, or undefined. */
export const hiddenAt = (t: MemoryTables, userId: string, messageId: string): number | undefined => t.hidden.get(userId)?.get(messageId)?.hiddenAt;

/** The user's hides stamped in (since, through], oldest first. */
export function hidesSince(t: MemoryTables, userId: string, since: number, through: number): HiddenMessage[] {
  return [...(t.hidden.get(userId)?.values() ?? [])]
    .filter((h) => h.version > since && h.version <= through)
    .sort((a, b) => a.version - b.version)
    .map(({ conversationId, messageId, seq, hiddenAt }) => ({ conversationId, messageId, seq, hiddenAt }));
}
