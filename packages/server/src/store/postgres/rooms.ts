/**
 * The PostgreSQL store's rooms and broadcasts (see rooms-store.ts). A broadcast takes its seq
 * under a transaction-scoped advisory lock, so seqs commit in order across processes (a user's
 * cursor passing seq n never skips an n-1 committed later). A user's state row is locked for
 * the take, so two devices syncing at once give each broadcast once.
 */
import type pg from 'pg';
import type { Broadcast, BroadcastSyncResult, Room } from '@natter/protocol';
import { BROADCAST_WINDOW, FIRST_SYNC_BROADCASTS, type FatigueRules, type NewBroadcast, type RoomPatch } from '../rooms-store.js';
import { lowestNeeded, newUserState, publicBroadcast, read, take, unreadOf, type BroadcastUserState } from '../rules/broadcasts.js';
import { toBroadcast, toRoom, toState } from '../sqlite/rooms.js';
import type { PgDb } from './db.js';

/** Advisory lock key of the broadcast log's seq ("natb"). */
const BROADCAST_LOCK = 0x6e617462;

export class PgRooms {
  constructor(private readonly db: PgDb) {}

  async createRoom(room: Room): Promise<boolean> {
    const r = await this.db.query(
      `INSERT INTO rooms (id, title, host_id, moderators, settings, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
      [room.id, room.title, room.hostId, JSON.stringify(room.moderators), JSON.stringify(room.settings), room.createdAt],
    );
    return r.rowCount === 1;
  }

  async getRoom(id: string): Promise<Room | null> {
    const r = await this.db.query(`SELECT * FROM rooms WHERE id = $1`, [id]);
    return r.rows[0] ? toRoom(r.rows[0] as Parameters<typeof toRoom>[0]) : null;
  }

  async updateRoom(id: string, patch: RoomPatch): Promise<Room | null> {
    return this.db.tx(async (c) => {
      const r = await c.query(`SELECT * FROM rooms WHERE id = $1 FOR UPDATE`, [id]);
      if (!r.rows[0]) return null;
      const room = toRoom(r.rows[0] as Parameters<typeof toRoom>[0]);
      const next: Room = {
        ...room,
        ...(patch.title !== undefined && { title: patch.title }),
        ...(patch.moderators !== undefined && { moderators: patch.moderators }),
        settings: { ...room.settings, ...(patch.settings ?? {}) },
      };
      await c.query(`UPDATE rooms SET title = $1, moderators = $2, settings = $3 WHERE id = $4`, [next.title, JSON.stringify(next.moderators), JSON.stringify(next.settings), id]);
      return next;
    });
  }

  async createBroadcast(b: NewBroadcast): Promise<Broadcast> {
    return this.db.tx(async (c) => {
      await c.query(`SELECT pg_advisory_xact_lock($1)`, [BROADCAST_LOCK]);
      const seq = Number((await c.query<{ seq: number }>(`SELECT COALESCE(MAX(seq), 0) AS seq FROM broadcasts`)).rows[0]!.seq) + 1;
      await c.query(`INSERT INTO broadcasts (seq, id, title, body, important, user_ids, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
        seq,
        b.id,
        b.title,
        b.body,
        b.important ? 1 : 0,
        b.userIds === null ? null : JSON.stringify(b.userIds),
        b.createdAt,
      ]);
      return publicBroadcast({ seq, id: b.id, title: b.title, body: JSON.parse(b.body), important: b.important, userIds: b.userIds, createdAt: b.createdAt });
    });
  }

  /** The user's state, locked for this transaction (created first if new, so two takes queue on it). */
  private async lockState(c: pg.PoolClient, userId: string): Promise<BroadcastUserState> {
    const max = Number((await c.query<{ seq: number }>(`SELECT COALESCE(MAX(seq), 0) AS seq FROM broadcasts`)).rows[0]!.seq);
    const fresh = newUserState(max, FIRST_SYNC_BROADCASTS);
    await c.query(
      `INSERT INTO broadcast_users (user_id, delivered_seq, read_seq, window_start, window_count, last_at) VALUES ($1, $2, $3, 0, 0, 0) ON CONFLICT (user_id) DO NOTHING`,
      [userId, fresh.deliveredSeq, fresh.readSeq],
    );
    const r = await c.query(`SELECT * FROM broadcast_users WHERE user_id = $1 FOR UPDATE`, [userId]);
    return toState(r.rows[0] as Parameters<typeof toState>[0]);
  }

  private async save(c: pg.PoolClient, userId: string, s: BroadcastUserState): Promise<void> {
    await c.query(`UPDATE broadcast_users SET delivered_seq = $2, read_seq = $3, window_start = $4, window_count = $5, last_at = $6 WHERE user_id = $1`, [
      userId,
      s.deliveredSeq,
      s.readSeq,
      s.windowStart,
      s.windowCount,
      s.lastAt,
    ]);
  }

  private async after(c: pg.PoolClient, seq: number) {
    const r = await c.query(`SELECT * FROM broadcasts WHERE seq > $1 ORDER BY seq LIMIT $2`, [seq, BROADCAST_WINDOW]);
    return r.rows.map((x) => toBroadcast(x as Parameters<typeof toBroadcast>[0]));
  }

  async takeBroadcasts(userId: string, after: number | null, now: number, rules: FatigueRules): Promise<BroadcastSyncResult> {
    return this.db.tx(async (c) => {
      const state = await this.lockState(c, userId);
      const out = take(state, userId, after, await this.after(c, lowestNeeded(state, after)), now, rules);
      await this.save(c, userId, out.state);
      return out.result;
    });
  }

  async readBroadcasts(userId: string, seq: number): Promise<{ seq: number; unread: number }> {
    return this.db.tx(async (c) => {
      const state = read(await this.lockState(c, userId), seq);
      await this.save(c, userId, state);
      return { seq: state.readSeq, unread: unreadOf(state, userId, await this.after(c, state.readSeq)) };
    });
  }
}
