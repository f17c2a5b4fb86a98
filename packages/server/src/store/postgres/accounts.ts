/** The PostgreSQL store's accounts and devices (sessions): users, profiles, refresh rotation, revocation. */
import { toDevice, toRefreshRecord, toUser, type DeviceRow, type UserRow } from '../rows.js';
import { decideRotation } from '../rules/refresh.js';
import { usernameKey } from '../rules/usernames.js';
import type { DeviceRecord, NewDevice, NewUser, RotateOutcome, UserRecord } from '../store.js';
import type { PgDb } from './db.js';

interface PgDeviceRow extends DeviceRow {
  previous_refresh_hashes: string[];
}

/** Users and devices; each write is one statement or one transaction. */
export class PgAccounts {
  constructor(private readonly db: PgDb) {}

  async createUser(u: NewUser): Promise<UserRecord | null> {
    const r = await this.db.query<UserRow>(
      `INSERT INTO users (id, username, username_key, password_hash, display_name, avatar_url, created_at, display_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (username_key) DO NOTHING RETURNING *`,
      [u.id, u.username, usernameKey(u.username), u.passwordHash, u.displayName, u.avatarUrl, u.createdAt, u.displayName === null ? null : usernameKey(u.displayName)],
    );
    return r.rows[0] ? toUser(r.rows[0]) : null;
  }

  async getUser(id: string): Promise<UserRecord | null> {
    const r = await this.db.query<UserRow>(`SELECT * FROM users WHERE id = $1`, [id]);
    return r.rows[0] ? toUser(r.rows[0]) : null;
  }

  async getUserByUsername(username: string): Promise<UserRecord | null> {
    const r = await this.db.query<UserRow>(`SELECT * FROM users WHERE username_key = $1`, [usernameKey(username)]);
    return r.rows[0] ? toUser(r.rows[0]) : null;
  }

  async existingUserIds(ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const r = await this.db.query<{ id: string }>(`SELECT id FROM users WHERE id = ANY($1::text[])`, [ids]);
    const found = new Set(r.rows.map((x) => x.id));
    return ids.filter((id) => found.has(id));
  }

  async updateProfile(id: string, patch: { displayName?: string | null; avatarUrl?: string | null }): Promise<UserRecord | null> {
    const r = await this.db.query<UserRow>(
      `UPDATE users SET display_name = CASE WHEN $2 THEN $3 ELSE display_name END,
                        display_key = CASE WHEN $2 THEN $6 ELSE display_key END,
                        avatar_url = CASE WHEN $4 THEN $5 ELSE avatar_url END
       WHERE id = $1 RETURNING *`,
      [
        id,
        patch.displayName !== undefined,
        patch.displayName ?? null,
        patch.avatarUrl !== undefined,
        patch.avatarUrl ?? null,
        patch.displayName == null ? null : usernameKey(patch.displayName),
      ],
    );
    return r.rows[0] ? toUser(r.rows[0]) : null;
  }

  async setPasswordHash(id: string, hash: string): Promise<void> {
    await this.db.query(`UPDATE users SET password_hash = $2 WHERE id = $1`, [id, hash]);
  }

  // --- devices ------------------------------------------------------------------------------

  async createDevice(d: NewDevice): Promise<DeviceRecord> {
    const r = await this.db.query<PgDeviceRow>(
      `INSERT INTO devices (id, user_id, name, refresh_hash, refresh_expires_at, created_at, last_seen_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING *`,
      [d.id, d.userId, d.name, d.refreshHash, d.refreshExpiresAt, d.createdAt],
    );
    return toDevice(r.rows[0]!);
  }

  async getDevice(id: string): Promise<DeviceRecord | null> {
    const r = await this.db.query<PgDeviceRow>(`SELECT * FROM devices WHERE id = $1`, [id]);
    return r.rows[0] ? toDevice(r.rows[0]) : null;
  }

  async listDevices(userId: string): Promise<DeviceRecord[]> {
    const r = await this.db.query<PgDeviceRow>(`SELECT * FROM devices WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC, id`, [userId]);
    return r.rows.map(toDevice);
  }

  async rotateRefresh(deviceId: string, presentedHash: string, next: { hash: string; expiresAt: number }, now: number): Promise<RotateOutcome> {
    return this.db.tx(async (c): Promise<RotateOutcome> => {
      const row = (await c.query<PgDeviceRow>(`SELECT * FROM devices WHERE id = $1 FOR UPDATE`, [deviceId])).rows[0];
      const d = decideRotation(row && toRefreshRecord(row, row.previous_refresh_hashes), presentedHash, now);
      // Reuse and rotation are only decided for a device that exists.
      switch (d.kind) {
        case 'reused':
          await c.query(`UPDATE devices SET revoked_at = $2 WHERE id = $1`, [deviceId, now]);
          return { kind: 'reused', device: toDevice({ ...row!, revoked_at: now }) };
        case 'rotate': {
          const r = await c.query<PgDeviceRow>(
            `UPDATE devices SET refresh_hash = $2, refresh_expires_at = $3, last_seen_at = $4, previous_refresh_hashes = $5 WHERE id = $1 RETURNING *`,
            [deviceId, next.hash, next.expiresAt, now, d.remembered],
          );
          return { kind: 'rotated', device: toDevice(r.rows[0]!) };
        }
        case 'expired':
        case 'revoked':
        case 'unknown':
          return d;
      }
    });
  }

  async revokeDevice(userId: string, deviceId: string, now: number): Promise<boolean> {
    const r = await this.db.query(`UPDATE devices SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL`, [deviceId, userId, now]);
    return (r.rowCount ?? 0) > 0;
  }

  async revokeOtherDevices(userId: string, keep: string | null, now: number): Promise<string[]> {
    const r = await this.db.query<{ id: string }>(
      `UPDATE devices SET revoked_at = $3 WHERE user_id = $1 AND revoked_at IS NULL AND ($2::text IS NULL OR id <> $2) RETURNING id`,
      [userId, keep, now],
    );
    return r.rows.map((x) => x.id);
  }
}
