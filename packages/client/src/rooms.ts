/**
 * The SDK's side of live rooms and broadcasts (docs/rooms.md). Rooms: the rooms this client
 * watches are joined again after every reconnect with the newest message id it has, so it gets
 * the high-priority messages it missed (and the recent chat); each room message is emitted once,
 * whatever arrives twice (a message can be in a join's `recent` and in the next tick's frame).
 * Broadcasts: synced after every connect and, after a short random delay, whenever the server
 * says new ones may wait; each is emitted once.
 */
import { expandCompactRoomFrame, type Broadcast, type RoomJoinResult, type RoomMessage, type RoomPriority, type RoomServerFrame } from '@natter/protocol/wire';
import type { Connection } from './connection.js';

/** Room message ids remembered per room to drop repeats. */
const SEEN_PER_ROOM = 2000;
/** Longest random delay before answering a `broadcast` announcement (spreads a notice to everyone). */
const BROADCAST_JITTER_MS = 2000;

export interface RoomEvents {
  roomMessage: RoomMessage;
  /** A tick's viewer count, and how many normal-priority messages this client did not get since the last. */
  roomState: { roomId: string; viewers: number; dropped: number };
  /** No longer watching: kicked by a moderator or the room closed. */
  roomLeft: { roomId: string; reason: 'kicked' | 'closed' };
  broadcast: Broadcast;
  /** Broadcasts given to this user and not yet read. */
  broadcastUnread: number;
}

interface Watched {
  last: string | undefined;
  seen: Set<string>;
}

export class RoomsClient {
  private readonly watched = new Map<string, Watched>();
  private readonly shownBroadcasts = new Set<string>();
  private broadcastCursor: number | undefined;
  private broadcastTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly conn: Connection,
    private readonly emit: <K extends keyof RoomEvents>(event: K, value: RoomEvents[K]) => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  async join(roomId: string): Promise<RoomJoinResult> {
    let w = this.watched.get(roomId);
    if (!w) this.watched.set(roomId, (w = { last: undefined, seen: new Set() }));
    const r = await this.conn.request({ type: 'room.join', roomId, ...(w.last !== undefined && { since: w.last }) });
    for (const m of r.recent) this.show(m);
    return r;
  }

  async leave(roomId: string): Promise<void> {
    this.watched.delete(roomId);
    await this.conn.request({ type: 'room.leave', roomId });
  }

  send(roomId: string, msgType: 'text' | 'custom' | 'gift', body: unknown, priority?: RoomPriority): Promise<{ id: string; priority: RoomPriority; createdAt: number }> {
    return this.conn.request({ type: 'room.send', roomId, msgType, body, ...(priority && { priority }) });
  }

  /** Handles a room or broadcast push; false when the frame is not one. */
  onPush(frame: RoomServerFrame): void {
    switch (frame.type) {
      case 'room~':
        return this.onPush(expandCompactRoomFrame(frame));
      case 'room':
        for (const m of frame.messages) this.show(m);
        this.emit('roomState', { roomId: frame.roomId, viewers: frame.viewers, dropped: frame.dropped ?? 0 });
        return;
      case 'room.left':
        this.watched.delete(frame.roomId);
        this.emit('roomLeft', { roomId: frame.roomId, reason: frame.reason });
        return;
      case 'broadcast':
        if (this.broadcastTimer === null) {
          this.broadcastTimer = setTimeout(() => {
            this.broadcastTimer = null;
            void this.syncBroadcasts().catch(this.onError);
          }, Math.random() * BROADCAST_JITTER_MS);
        }
        return;
    }
  }

  /** After every (re)connect: rooms joined again, broadcasts synced. */
  online(): void {
    for (const roomId of this.watched.keys()) void this.join(roomId).catch(this.onError);
    void this.syncBroadcasts().catch(this.onError);
  }

  async syncBroadcasts(): Promise<void> {
    const r = await this.conn.request({ type: 'broadcast.sync', ...(this.broadcastCursor !== undefined && { after: this.broadcastCursor }) });
    for (const b of r.broadcasts) {
      if (this.shownBroadcasts.has(b.id)) continue;
      this.shownBroadcasts.add(b.id);
      this.emit('broadcast', b);
    }
    this.broadcastCursor = r.cursor;
    this.emit('broadcastUnread', r.unread);
  }

  async readBroadcasts(seq: number): Promise<number> {
    const r = await this.conn.request({ type: 'broadcast.read', seq });
    this.emit('broadcastUnread', r.unread);
    return r.unread;
  }

  dispose(): void {
    if (this.broadcastTimer !== null) clearTimeout(this.broadcastTimer);
  }

  private show(m: RoomMessage): void {
    const w = this.watched.get(m.roomId);
    if (!w) return;
    if (w.seen.has(m.id)) return;
    w.seen.add(m.id);
    if (w.seen.size > SEEN_PER_ROOM) w.seen.delete(w.seen.values().next().value!);
    if (w.last === undefined || m.id > w.last) w.last = m.id;
    this.emit('roomMessage', m);
  }
}
