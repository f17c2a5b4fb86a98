/**
 * The user's settings, shared by all their devices (`settings.get` / `settings.update`).
 * NatterClient exposes both as methods, documented there.
 */
import type { UserSettings } from '@natter/protocol/wire';
import type { Rpc } from './rpc.js';

export class SettingsApi {
  constructor(private readonly rpc: Rpc) {}

  settings(): Promise<UserSettings> {
    return this.rpc((c) => c.request({ type: 'settings.get' }));
  }

  updateSettings(patch: Partial<UserSettings>): Promise<UserSettings> {
    return this.rpc((c) => c.request({ type: 'settings.update', settings: patch }));
  }
}
