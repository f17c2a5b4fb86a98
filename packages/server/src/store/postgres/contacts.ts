/**
 * The PostgreSQL store's contacts: prefix search, friend requests, friendships and blocks (see
 * ../contacts.ts for the rules). Writes about a pair of users take a transaction-scoped advisory
 * lock on the pair first, so two processes deciding about the same pair (mutual requests sent at
 * once, a block racing an accept) run one after the other. A block locks the pair's direct
 * conversation row before anything else (db.ts's lock order), as sends do.
 */
import type pg from 'pg';
import type { BlockOutcome, FriendRequestOutcome, Relation, RelatedUser, UserSearch } from '../contacts.js';
import { directKey } from '../rules/conversations.js';
import { toUser, type UserRow } from '../rows.js';
import type { UserRecord } from '../store.js';
import type { PgDb } from './db.js';

type RelatedRow = UserRow & { at: number };
const toRelated = (r: RelatedRow): RelatedUser => ({ user: toUser(r), at: r.at });
/** A LIKE pattern matching what starts with `prefix`. */
const startsWith = (prefix: string) => prefix.replace(/[\\%_]/g, (c) => `\\${c}`) + '%';

export class PgContacts {
  constructor(private readonly db: PgDb) {}

  async searchUsers(q: UserSearch): Promise<UserRecord[]> {
    const r = await this.db.query<UserRow>(
      `SELECT u.* FROM users u WHERE u.id IN (
         SELECT id FROM users WHERE username_key LIKE $1 ESCAPE '\\'
         UNION SELECT id FROM users WHERE display_key LIKE $1 ESCAPE '\\')
       AND u.id <> $2
       AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.blocker_id = $2 AND b.blocked_id = u.id) OR (b.blocker_id = u.id AND b.blocked_id = $2))
       AND (NOT $3 OR EXISTS (SELECT 1 FROM friends f WHERE f.user_id = $2 AND f.friend_id = u.id))
       ORDER BY u.username_key COLLATE "C" LIMIT $4`,
      [startsWith(q.prefix), q.viewer, q.friendsOnly, q.limit],
    );
    return r.rows.map(toUser);
  }

  /** One transaction about the pair {a, b}, after the pair's advisory lock. */
  private pairTx<T>(a: string, b: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.db.tx(async (c) => {
      await c.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 22))`, [directKey(a, b)]);
      return fn(c);
    });
  }

  async sendFriendRequest(from: string, to: string, now: number): Promise<FriendRequestOutcome> {
    if (from === to) return { kind: 'refused' };
    return this.pairTx(from, to, async (c): Promise<FriendRequestOutcome> => {
      const r = (
        await c.query<{ exists: boolean; blocked: boolean; friends: boolean; mine: boolean; theirs: boolean }>(
          `SELECT EXISTS (SELECT 1 FROM users WHERE id = $2) AS exists,
                  EXISTS (SELECT 1 FROM blocks WHERE (blocker_id = $1 AND blocked_id = $2) OR (blocker_id = $2 AND blocked_id = $1)) AS blocked,
                  EXISTS (SELECT 1 FROM friends WHERE user_id = $1 AND friend_id = $2) AS friends,
                  EXISTS (SELECT 1 FROM friend_requests WHERE from_id = $1 AND to_id = $2) AS mine,
                  EXISTS (SELECT 1 FROM friend_requests WHERE from_id = $2 AND to_id = $1) AS theirs`,
          [from, to],
        )
      ).rows[0]!;
      if (!r.exists || r.blocked) return { kind: 'refused' };
      if (r.friends) return { kind: 'already_friends' };
      if (r.mine) return { kind: 'already_requested' };
      if (r.theirs) {
        await c.query(`DELETE FROM friend_requests WHERE from_id = $1 AND to_id = $2`, [to, from]);
        await befriend(c, from, to, now);
        return { kind: 'accepted', since: now };
      }
      await c.query(`INSERT INTO friend_requests (from_id, to_id, created_at) VALUES ($1, $2, $3)`, [from, to, now]);
      return { kind: 'requested', createdAt: now };
    });
  }

  async acceptFriendRequest(userId: string, from: string, now: number): Promise<number | null> {
    return this.pairTx(userId, from, async (c) => {
      const d = await c.query(`DELETE FROM friend_requests WHERE from_id = $1 AND to_id = $2`, [from, userId]);
      if ((d.rowCount ?? 0) === 0) return null;
      await befriend(c, from, userId, now);
      return now;
    });
  }

  async deleteFriendRequest(from: string, to: string): Promise<boolean> {
    const d = await this.db.query(`DELETE FROM friend_requests WHERE from_id = $1 AND to_id = $2`, [from, to]);
    return (d.rowCount ?? 0) > 0;
  }

  async removeFriend(a: string, b: string): Promise<boolean> {
    const d = await this.db.query(`DELETE FROM friends WHERE (user_id = $1 AND friend_id = $2) OR (user_id = $2 AND friend_id = $1)`, [a, b]);
    return (d.rowCount ?? 0) > 0;
  }

  private async related(sql: string, userId: string, limit: number): Promise<RelatedUser[]> {
    return (await this.db.query<RelatedRow>(sql, [userId, limit])).rows.map(toRelated);
  }

  listFriends(userId: string, limit: number): Promise<RelatedUser[]> {
    return this.related(`SELECT u.*, f.since AS at FROM friends f JOIN users u ON u.id = f.friend_id WHERE f.user_id = $1 ORDER BY f.since, u.id LIMIT $2`, userId, limit);
  }

  async listFriendRequests(userId: string, limit: number): Promise<{ incoming: RelatedUser[]; outgoing: RelatedUser[] }> {
    const [incoming, outgoing] = await Promise.all([
      this.related(`SELECT u.*, r.created_at AS at FROM friend_requests r JOIN users u ON u.id = r.from_id WHERE r.to_id = $1 ORDER BY r.created_at, u.id LIMIT $2`, userId, limit),
      this.related(`SELECT u.*, r.created_at AS at FROM friend_requests r JOIN users u ON u.id = r.to_id WHERE r.from_id = $1 ORDER BY r.created_at, u.id LIMIT $2`, userId, limit),
    ]);
    return { incoming, outgoing };
  }

  async blockUser(blocker: string, blocked: string, now: number): Promise<BlockOutcome | null> {
    if (blocker === blocked) return null;
    return this.db.tx(async (c) => {
      // The conversation row first (lock order), then the pair.
      await c.query(`UPDATE conversations SET closed = true WHERE direct_key = $1`, [directKey(blocker, blocked)]);
      await c.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 22))`, [directKey(blocker, blocked)]);
      if ((await c.query(`SELECT 1 FROM users WHERE id = $1`, [blocked])).rowCount === 0) return null;
      const ins = await c.query(`INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [blocker, blocked, now]);
      const fr = await c.query(`DELETE FROM friends WHERE (user_id = $1 AND friend_id = $2) OR (user_id = $2 AND friend_id = $1)`, [blocker, blocked]);
      const reqs = await c.query<{ from_id: string }>(
        `DELETE FROM friend_requests WHERE (from_id = $1 AND to_id = $2) OR (from_id = $2 AND to_id = $1) RETURNING from_id`,
        [blocker, blocked],
      );
      return {
        created: (ins.rowCount ?? 0) > 0,
        endedFriendship: (fr.rowCount ?? 0) > 0,
        endedIncoming: reqs.rows.some((r) => r.from_id === blocked),
        endedOutgoing: reqs.rows.some((r) => r.from_id === blocker),
      };
    });
  }

  async unblockUser(blocker: string, blocked: string): Promise<boolean> {
    return this.db.tx(async (c) => {
      const key = directKey(blocker, blocked);
      await c.query(`SELECT id FROM conversations WHERE direct_key = $1 FOR NO KEY UPDATE`, [key]);
      await c.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 22))`, [key]);
      const d = await c.query(`DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2`, [blocker, blocked]);
      if ((d.rowCount ?? 0) === 0) return false;
      await c.query(
        `UPDATE conversations SET closed = false WHERE direct_key = $1 AND NOT EXISTS (SELECT 1 FROM blocks WHERE blocker_id = $2 AND blocked_id = $3)`,
        [key, blocked, blocker],
      );
      return true;
    });
  }

  listBlocks(userId: string, limit: number): Promise<RelatedUser[]> {
    return this.related(`SELECT u.*, b.created_at AS at FROM blocks b JOIN users u ON u.id = b.blocked_id WHERE b.blocker_id = $1 ORDER BY b.created_at, u.id LIMIT $2`, userId, limit);
  }

  async relations(userId: string, others: string[]): Promise<Relation[]> {
    if (others.length === 0) return [];
    const r = await this.db.query<{ id: string; friends: boolean; blocking: boolean; blocked_by: boolean }>(
      `SELECT o.id,
              EXISTS (SELECT 1 FROM friends WHERE user_id = $1 AND friend_id = o.id) AS friends,
              EXISTS (SELECT 1 FROM blocks WHERE blocker_id = $1 AND blocked_id = o.id) AS blocking,
              EXISTS (SELECT 1 FROM blocks WHERE blocker_id = o.id AND blocked_id = $1) AS blocked_by
       FROM unnest($2::text[]) AS o(id)`,
      [userId, others],
    );
    const byId = new Map(r.rows.map((x) => [x.id, x]));
    return others.map((id) => {
      const x = byId.get(id)!;
      return { userId: id, friends: x.friends, blocking: x.blocking, blockedBy: x.blocked_by };
    });
  }
}

async function befriend(c: pg.PoolClient, a: string, b: string, now: number): Promise<void> {
  await c.query(`INSERT INTO friends (user_id, friend_id, since) VALUES ($1, $2, $3), ($2, $1, $3) ON CONFLICT DO NOTHING`, [a, b, now]);
}
