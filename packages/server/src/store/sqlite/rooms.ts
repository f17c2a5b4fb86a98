/** The SQLite store's rooms and broadcasts (see rooms-store.ts); each write is one transaction. */
import type Database from 'better-sqlite3';
import type { Broadcast, BroadcastSyncResult, Room } from '@natter/protocol';
import { BROADCAST_WINDOW, FIRST_SYNC_BROADCASTS, type FatigueRules, type NewBroadcast, type RoomPatch } from '../rooms-store.js';
import { lowestNeeded, newUserState, publicBroadcast, read, take, unreadOf, type BroadcastUserState, type StoredBroadcast } from '../rules/broadcasts.js';

interface RoomRow {
  id: string;
  title: string | null;
  host_id: string;
  moderators: string;
  settings: string;
  created_at: number;
}
interface BroadcastRow {
  seq: number;
  id: string;
  title: string | null;
  body: string;
  important: number;
  user_ids: string | null;
  created_at: number;
}
interface StateRow {
  delivered_seq: number;
  read_seq: number;
  window_start: number;
  window_count: number;
  last_at: number;
}

export const toRoom = (r: RoomRow): Room => ({
  id: r.id,
  kind: 'room',
  title: r.title,
  hostId: r.host_id,
  moderators: JSON.parse(r.moderators) as string[],
  settings: JSON.parse(r.settings) as Room['settings'],
  createdAt: Number(r.created_at),
});
export const toBroadcast = (r: BroadcastRow): StoredBroadcast => ({
  seq: Number(r.seq),
  id: r.id,
  title: r.title,
  body: JSON.parse(r.body),
  important: Number(r.important) === 1,
  userIds: r.user_ids === null ? null : (JSON.parse(r.user_ids) as string[]),
  createdAt: Number(r.created_at),
});
export const toState = (r: StateRow): BroadcastUserState => ({
  deliveredSeq: Number(r.delivered_seq),
  readSeq: Number(r.read_seq),
  windowStart: Number(r.window_start),
  windowCount: Number(r.window_count),
  lastAt: Number(r.last_at),
});

export class SqliteRooms {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    this.s = {
      insertRoom: db.prepare(`INSERT OR IGNORE INTO rooms (id, title, host_id, moderators, settings, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
      room: db.prepare<[string], RoomRow>(`SELECT * FROM rooms WHERE id = ?`),
      saveRoom: db.prepare(`UPDATE rooms SET title = ?, moderators = ?, settings = ? WHERE id = ?`),
      maxSeq: db.prepare<[], { seq: number }>(`SELECT COALESCE(MAX(seq), 0) AS seq FROM broadcasts`),
      insertBroadcast: db.prepare(`INSERT INTO broadcasts (seq, id, title, body, important, user_ids, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      after: db.prepare<[number, number], BroadcastRow>(`SELECT * FROM broadcasts WHERE seq > ? ORDER BY seq LIMIT ?`),
      state: db.prepare<[string], StateRow>(`SELECT * FROM broadcast_users WHERE user_id = ?`),
      saveState: db.prepare(
        `INSERT INTO broadcast_users (user_id, delivered_seq, read_seq, window_start, window_count, last_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET delivered_seq = excluded.delivered_seq, read_seq = excluded.read_seq,
           window_start = excluded.window_start, window_count = excluded.window_count, last_at = excluded.last_at`,
      ),
    };
  }

  async createRoom(room: Room): Promise<boolean> {
    return this.s.insertRoom.run(room.id, room.title, room.hostId, JSON.stringify(room.moderators), JSON.stringify(room.settings), room.createdAt).changes === 1;
  }

  async getRoom(id: string): Promise<Room | null> {
    const r = this.s.room.get(id);
    return r ? toRoom(r) : null;
  }

  async updateRoom(id: string, patch: RoomPatch): Promise<Room | null> {
    return this.db.transaction(() => {
      const r = this.s.room.get(id);
      if (!r) return null;
      const room = toRoom(r);
      const next: Room = {
        ...room,
        ...(patch.title !== undefined && { title: patch.title }),
        ...(patch.moderators !== undefined && { moderators: patch.moderators }),
        settings: { ...room.settings, ...(patch.settings ?? {}) },
      };
      this.s.saveRoom.run(next.title, JSON.stringify(next.moderators), JSON.stringify(next.settings), id);
      return next;
    }).immediate();
  }

  async createBroadcast(b: NewBroadcast): Promise<Broadcast> {
    return this.db.transaction(() => {
      const seq = this.s.maxSeq.get()!.seq + 1;
      this.s.insertBroadcast.run(seq, b.id, b.title, b.body, b.important ? 1 : 0, b.userIds === null ? null : JSON.stringify(b.userIds), b.createdAt);
      return publicBroadcast({ seq, id: b.id, title: b.title, body: JSON.parse(b.body), important: b.important, userIds: b.userIds, createdAt: b.createdAt });
    }).immediate();
  }

  private stateOf(userId: string): BroadcastUserState {
    const r = this.s.state.get(userId);
    return r ? toState(r) : newUserState(this.s.maxSeq.get()!.seq, FIRST_SYNC_BROADCASTS);
  }

  private save(userId: string, s: BroadcastUserState): void {
    this.s.saveState.run(userId, s.deliveredSeq, s.readSeq, s.windowStart, s.windowCount, s.lastAt);
  }

  async takeBroadcasts(userId: string, after: number | null, now: number, rules: FatigueRules): Promise<BroadcastSyncResult> {
    return this.db.transaction(() => {
      const state = this.stateOf(userId);
      const candidates = this.s.after.all(lowestNeeded(state, after), BROADCAST_WINDOW).map(toBroadcast);
      const out = take(state, userId, after, candidates, now, rules);
      this.save(userId, out.state);
      return out.result;
    }).immediate();
  }

  async readBroadcasts(userId: string, seq: number): Promise<{ seq: number; unread: number }> {
    return this.db.transaction(() => {
      const state = read(this.stateOf(userId), seq);
      this.save(userId, state);
      return { seq: state.readSeq, unread: unreadOf(state, userId, this.s.after.all(state.readSeq, BROADCAST_WINDOW).map(toBroadcast)) };
    }).immediate();
  }
}
