/**
 * The authenticated client's side of live rooms and broadcasts (docs/rooms.md). Rooms: watching
 * is RoomWatch's (room-watch.ts, shared with the anonymous NatterRoomViewer); this adds sending.
 * Broadcasts: synced after every connect and, after a short random delay, whenever the server
 * says new ones may wait; each is emitted once.
 */
import type { Broadcast, RoomJoinResult, RoomPriority, RoomServerFrame } from '@natter/protocol/wire';
import type { Connection } from './connection.js';
import { RoomWatch, type RoomWatchEvents } from './room-watch.js';

/** Longest random delay before answering a `broadcast` announcement (spreads a notice to everyone). */
const BROADCAST_JITTER_MS = 2000;

export interface RoomEvents extends RoomWatchEvents {
  broadcast: Broadcast;
  /** Broadcasts given to this user and not yet read. */
  broadcastUnread: number;
}

export class RoomsClient {
  private readonly watch: RoomWatch;
  private readonly shownBroadcasts = new Set<string>();
  private broadcastCursor: number | undefined;
  private broadcastTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly conn: Connection,
    private readonly emit: <K extends keyof RoomEvents>(event: K, value: RoomEvents[K]) => void,
    private readonly onError: (err: unknown) => void,
  ) {
    this.watch = new RoomWatch(conn, (event, value) => emit(event, value as RoomEvents[typeof event]), onError);
  }

  join(roomId: string): Promise<RoomJoinResult> {
    return this.watch.join(roomId);
  }

  leave(roomId: string): Promise<void> {
    return this.watch.leave(roomId);
  }

  send(roomId: string, msgType: 'text' | 'custom' | 'gift', body: unknown, priority?: RoomPriority): Promise<{ id: string; priority: RoomPriority; createdAt: number }> {
    return this.conn.request({ type: 'room.send', roomId, msgType, body, ...(priority && { priority }) });
  }

  /** Handles a room or broadcast push. */
  onPush(frame: RoomServerFrame): void {
    if (frame.type !== 'broadcast') return this.watch.onPush(frame);
    if (this.broadcastTimer === null) {
      this.broadcastTimer = setTimeout(() => {
        this.broadcastTimer = null;
        void this.syncBroadcasts().catch(this.onError);
      }, Math.random() * BROADCAST_JITTER_MS);
    }
  }

  /** After every (re)connect: rooms joined again, broadcasts synced. */
  online(): void {
    this.watch.online();
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
}
