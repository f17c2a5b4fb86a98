/** The SQLite store's administration (issue 20): listing and disabling users, registration invites. */
import type Database from 'better-sqlite3';
import { toUser, type UserRow } from '../rows.js';
import type { NewInvite, UserRecord } from '../store.js';

/** Each write method is one transaction. */
export class SqliteAdmin {
  constructor(private readonly db: Database.Database) {}

  async listUsers(after: string | null, limit: number): Promise<UserRecord[]> {
    return this.db
      .prepare<[string, number], UserRow>(`SELECT * FROM users WHERE id > ? ORDER BY id LIMIT ?`)
      .all(after ?? '', limit)
      .map(toUser);
  }

  async setUserDisabled(id: string, disabledAt: number | null): Promise<UserRecord | null> {
    return this.db
      .transaction((): UserRecord | null => {
        const row = this.db.prepare<[number | null, string], UserRow>(`UPDATE users SET disabled_at = ? WHERE id = ? RETURNING *`).get(disabledAt, id);
        if (!row) return null;
        if (disabledAt !== null) this.db.prepare(`UPDATE devices SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`).run(disabledAt, id);
        return toUser(row);
      })
      .immediate();
  }

  async createInvite(invite: NewInvite): Promise<void> {
    this.db.prepare(`INSERT INTO invites (code_hash, created_at, expires_at) VALUES (?, ?, ?)`).run(invite.codeHash, invite.createdAt, invite.expiresAt);
  }

  async useInvite(codeHash: string, now: number): Promise<boolean> {
    const r = this.db
      .prepare(`UPDATE invites SET used_at = ? WHERE code_hash = ? AND used_at IS NULL AND (expires_at IS NULL OR expires_at > ?)`)
      .run(now, codeHash, now);
    return r.changes === 1;
  }

  async restoreInvite(codeHash: string): Promise<void> {
    this.db.prepare(`UPDATE invites SET used_at = NULL WHERE code_hash = ?`).run(codeHash);
  }
}
