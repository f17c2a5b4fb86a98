/**
 * Watching live rooms over one connection, shared by the authenticated client (rooms.ts) and the
 * anonymous viewer (room-viewer.ts): joins and leaves, joins every watched room again after each
 * (re)connect with the newest message id it has (`since`), so it gets the high-priority messages
 * it missed and the recent chat, and emits each room message once, whatever arrives twice (a
 * message can be in a join's `recent` and in the next tick's frame, or in two joins' `recent`).
 */
import { expandCompactRoomFrame, type RoomJoinResult, type RoomMessage, type RoomServerFrame } from '@natter/protocol/wire';
import { NatterClientError } from './connection.js';

/** Room message ids remembered per room to drop repeats (several retentions' worth). */
const SEEN_PER_ROOM = 2000;

/** What watching a room emits. */
export interface RoomWatchEvents {
  /** A room message, each once, in the order received (a join's `recent` first, ascending). */
  roomMessage: RoomMessage;
  /** A tick's viewer count, and how many normal-priority messages this viewer did not get since the last. */
  roomState: { roomId: string; viewers: number; dropped: number };
  /** No longer watching: kicked by a moderator, or the room closed. */
  roomLeft: { roomId: string; reason: 'kicked' | 'closed' };
}

/** The requests watching needs: a Connection of either kind. */
export interface RoomRequester {
  request(frame: { type: 'room.join'; roomId: string; since?: string }): Promise<RoomJoinResult>;
  request(frame: { type: 'room.leave'; roomId: string }): Promise<{ roomId: string }>;
}

interface Watched {
  /** The newest message id shown (`since` of the next join). */
  last: string | undefined;
  seen: Set<string>;
}

/** A refusal by the server (as opposed to a lost connection or a timeout, worth trying again). */
function refused(err: unknown): boolean {
  return err instanceof NatterClientError && err.code !== 'disconnected' && err.code !== 'timeout';
}

export class RoomWatch {
  private readonly watched = new Map<string, Watched>();

  constructor(
    private readonly conn: RoomRequester,
    private readonly emit: <K extends keyof RoomWatchEvents>(event: K, value: RoomWatchEvents[K]) => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** The rooms being watched (joined, or to be joined again once online). */
  get rooms(): string[] {
    return [...this.watched.keys()];
  }

  /**
   * Joins (or joins again) and emits the `recent` messages not shown yet. A room the server
   * refuses (not found, kicked, not open to anonymous viewers) is no longer watched.
   */
  async join(roomId: string): Promise<RoomJoinResult> {
    let w = this.watched.get(roomId);
    if (!w) this.watched.set(roomId, (w = { last: undefined, seen: new Set() }));
    try {
      const r = await this.conn.request({ type: 'room.join', roomId, ...(w.last !== undefined && { since: w.last }) });
      for (const m of r.recent) this.show(m);
      return r;
    } catch (err) {
      if (refused(err) && this.watched.get(roomId) === w) this.watched.delete(roomId);
      throw err;
    }
  }

  async leave(roomId: string): Promise<void> {
    this.watched.delete(roomId);
    await this.conn.request({ type: 'room.leave', roomId });
  }

  /** Stops watching without telling the server (offline: the room is simply not joined again). */
  forget(roomId: string): void {
    this.watched.delete(roomId);
  }

  /** Handles a room push (`room`, `room~`, `room.left`). */
  onPush(frame: Exclude<RoomServerFrame, { type: 'broadcast' }>): void {
    switch (frame.type) {
      case 'room~':
        return this.onPush(expandCompactRoomFrame(frame));
      case 'room':
        // Frames of a room left meanwhile (a tick already on the wire) are not shown.
        if (!this.watched.has(frame.roomId)) return;
        for (const m of frame.messages) this.show(m);
        this.emit('roomState', { roomId: frame.roomId, viewers: frame.viewers, dropped: frame.dropped ?? 0 });
        return;
      case 'room.left':
        this.watched.delete(frame.roomId);
        this.emit('roomLeft', { roomId: frame.roomId, reason: frame.reason });
        return;
    }
  }

  /** After every (re)connect: every watched room is joined again. */
  online(): void {
    for (const roomId of this.watched.keys()) void this.join(roomId).catch(this.onError);
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
