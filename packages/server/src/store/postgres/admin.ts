/** The PostgreSQL store's administration (issue 20): listing and disabling users, registration invites. */
import { toUser, type UserRow } from '../rows.js';
import type { NewInvite, UserRecord } from '../store.js';
import type { PgDb } from './db.js';

/** Each write is one statement or one transaction. */
export class PgAdmin {
  constructor(private readonly db: PgDb) {}

  async listUsers(after: string | null, limit: number): Promise<UserRecord[]> {
    // COLLATE "C": the same byte order as SQLite and the memory store, whatever the database's collation.
    const r = await this.db.query<UserRow>(`SELECT * FROM users WHERE id COLLATE "C" > $1 ORDER BY id COLLATE "C" LIMIT $2`, [after ?? '', limit]);
    return r.rows.map(toUser);
  }

  async setUserDisabled(id: string, disabledAt: number | null): Promise<UserRecord | null> {
    // One statement: the devices are revoked in the same transaction as the flag is set.
    const r = await this.db.query<UserRow>(
      `WITH u AS (UPDATE users SET disabled_at = $2 WHERE id = $1 RETURNING *),
            d AS (UPDATE devices SET revoked_at = $2 WHERE $2::bigint IS NOT NULL AND user_id = $1 AND revoked_at IS NULL AND EXISTS (SELECT 1 FROM u))
       SELECT * FROM u`,
      [id, disabledAt],
    );
    return r.rows[0] ? toUser(r.rows[0]) : null;
  }

  async createInvite(invite: NewInvite): Promise<void> {
    await this.db.query(`INSERT INTO invites (code_hash, created_at, expires_at) VALUES ($1, $2, $3)`, [invite.codeHash, invite.createdAt, invite.expiresAt]);
  }

  async useInvite(codeHash: string, now: number): Promise<boolean> {
    const r = await this.db.query(
      `UPDATE invites SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL AND (expires_at IS NULL OR expires_at > $2)`,
      [codeHash, now],
    );
    return r.rowCount === 1;
  }

  async restoreInvite(codeHash: string): Promise<void> {
    await this.db.query(`UPDATE invites SET used_at = NULL WHERE code_hash = $1`, [codeHash]);
  }
}
