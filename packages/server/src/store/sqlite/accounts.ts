/** The SQLite store's accounts and devices (sessions): users, profiles, refresh rotation, revocation. */
import type Database from 'better-sqlite3';
import { toDevice, toRefreshRecord, toUser } from '../rows.js';
import { decideRotation } from '../rules/refresh.js';
import { usernameKey } from '../rules/usernames.js';
import type { DeviceRecord, NewDevice, NewUser, RotateOutcome, UserRecord } from '../store.js';
import type { Statements } from './statements.js';

/** Users and devices; each write method is one transaction. */
export class SqliteAccounts {
  constructor(
    private readonly db: Database.Database,
    private readonly s: Statements,
  ) {}

  async createUser(user: NewUser): Promise<UserRecord | null> {
    const r = this.s.insertUser.run({ ...user, usernameKey: usernameKey(user.username), displayKey: user.displayName === null ? null : usernameKey(user.displayName) });
    if (r.changes === 0) return null;
    return toUser(this.s.userById.get(user.id)!);
  }

  async getUser(id: string): Promise<UserRecord | null> {
    const r = this.s.userById.get(id);
    return r ? toUser(r) : null;
  }

  async getUserByUsername(username: string): Promise<UserRecord | null> {
    const r = this.s.userByKey.get(usernameKey(username));
    return r ? toUser(r) : null;
  }

  async existingUserIds(ids: string[]): Promise<string[]> {
    return ids.filter((id) => this.s.userById.get(id) !== undefined);
  }

  async updateProfile(id: string, patch: { displayName?: string | null; avatarUrl?: string | null }): Promise<UserRecord | null> {
    this.db
      .prepare(
        `UPDATE users SET display_name = CASE WHEN @setName THEN @displayName ELSE display_name END,
                          display_key = CASE WHEN @setName THEN @displayKey ELSE display_key END,
                          avatar_url = CASE WHEN @setAvatar THEN @avatarUrl ELSE avatar_url END
         WHERE id = @id`,
      )
      .run({
        id,
        setName: patch.displayName !== undefined ? 1 : 0,
        displayName: patch.displayName ?? null,
        displayKey: patch.displayName == null ? null : usernameKey(patch.displayName),
        setAvatar: patch.avatarUrl !== undefined ? 1 : 0,
        avatarUrl: patch.avatarUrl ?? null,
      });
    return this.getUser(id);
  }

  async setPasswordHash(id: string, hash: string): Promise<void> {
    this.db.prepare(`UPDATE users SET password_hash = ? WHERE id = ?`).run(hash, id);
  }

  // --- devices ------------------------------------------------------------------------------

  async createDevice(device: NewDevice): Promise<DeviceRecord> {
    this.s.insertDevice.run(device);
    return toDevice(this.s.deviceById.get(device.id)!);
  }

  async getDevice(id: string): Promise<DeviceRecord | null> {
    const r = this.s.deviceById.get(id);
    return r ? toDevice(r) : null;
  }

  async listDevices(userId: string): Promise<DeviceRecord[]> {
    return this.s.devicesOfUser.all(userId).map(toDevice);
  }

  async rotateRefresh(
    deviceId: string,
    presentedHash: string,
    next: { hash: string; expiresAt: number },
    now: number,
  ): Promise<RotateOutcome> {
    return this.db
      .transaction((): RotateOutcome => {
        const row = this.s.deviceById.get(deviceId);
        const d = decideRotation(row && toRefreshRecord(row, JSON.parse(row.previous_refresh_hashes) as string[]), presentedHash, now);
        // Reuse and rotation are only decided for a device that exists.
        switch (d.kind) {
          case 'reused':
            this.s.revoke.run(now, deviceId, row!.user_id);
            return { kind: 'reused', device: toDevice({ ...row!, revoked_at: now }) };
          case 'rotate':
            this.s.rotate.run(next.hash, next.expiresAt, now, JSON.stringify(d.remembered), deviceId);
            return { kind: 'rotated', device: toDevice(this.s.deviceById.get(deviceId)!) };
          case 'expired':
          case 'revoked':
          case 'unknown':
            return d;
        }
      })
      .immediate();
  }

  async revokeDevice(userId: string, deviceId: string, now: number): Promise<boolean> {
    return this.s.revoke.run(now, deviceId, userId).changes > 0;
  }

  async revokeOtherDevices(userId: string, keep: string | null, now: number): Promise<string[]> {
    return this.db
      .transaction(() => {
        const ids = this.s.devicesOfUser.all(userId).map((d) => d.id).filter((id) => id !== keep);
        for (const id of ids) this.s.revoke.run(now, id, userId);
        return ids;
      })
      .immediate();
  }
}
