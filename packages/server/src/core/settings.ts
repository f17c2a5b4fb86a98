/**
 * Per-user settings (UserSettings in @natter/protocol): read and changed by their user over REST
 * (`/v1/me/settings`) or the socket (`settings.get`, `settings.update`). A change is one store
 * transaction, then a `settings.changed` event for whoever acts on it (receipts read the setting
 * from the store when they need it, so nothing is cached to go stale across processes).
 */
import { NatterError, type UserSettings } from '@natter/protocol';
import type { Store } from '../store/store.js';
import type { DomainEvents } from './events.js';

export class Settings {
  constructor(
    private readonly store: Store,
    private readonly events: DomainEvents,
  ) {}

  get(userId: string): Promise<UserSettings> {
    return this.store.getUserSettings(userId);
  }

  async update(userId: string, patch: Partial<UserSettings>): Promise<UserSettings> {
    const settings = await this.store.updateUserSettings(userId, patch);
    if (!settings) throw new NatterError('not_found', 'no such user');
    await this.events.emit({ type: 'settings.changed', userId, settings });
    return settings;
  }
}
