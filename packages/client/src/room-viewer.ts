/**
 * NatterRoomViewer: watches live rooms without an account (rooms whose `anonymous` setting is on).
 * A connection with no token — the server takes `room.join`, `room.leave` and `ping` before any
 * `auth` — and the same room watching as the authenticated client (room-watch.ts): the recent
 * messages on join, live ticks (`room` and compact `room~`), the viewer count, reconnect with
 * jittered backoff and a join again with `since` (the missed high-priority messages, each shown
 * once). It cannot send: `send` rejects with `not_authenticated`.
 *
 * @example
 * ```ts
 * import { NatterRoomViewer } from '@natter/client';
 * const viewer = new NatterRoomViewer({ url: 'wss://chat.example.com/v1/ws' }); // Node 20: pass { WebSocket } from 'ws'
 * viewer.on('roomMessage', (m) => show(m.senderId, m.body, m.priority));
 * viewer.on('roomState', (s) => showCount(s.viewers));
 * const { recent, viewers } = await viewer.join(roomId); // recent is also emitted as roomMessage
 * // …
 * viewer.close();
 * ```
 */
import type { BackoffOptions, RoomJoinResult } from '@natter/protocol/wire';
import { NatterClientError, type Connection, type ConnectionState, type WebSocketFactory } from './connection.js';
import { createConnection } from './connection-setup.js';
import { Emitter } from './emitter.js';
import { RoomWatch, type RoomWatchEvents } from './room-watch.js';

export interface NatterRoomViewerOptions {
  /** The server's WebSocket URL, e.g. `wss://chat.example.com/v1/ws`. */
  url: string;
  /** WebSocket implementation; the global one by default (pass the `ws` package in Node 20). */
  WebSocket?: WebSocketFactory;
  /** How long a join or leave waits for its answer. Default 10 s. */
  requestTimeoutMs?: number;
  /** Reconnect delays (full jitter). Default 250 ms doubling to 10 s. */
  backoff?: Partial<BackoffOptions>;
  /** Liveness ping interval. Default 25 s. */
  pingIntervalMs?: number;
}

export interface RoomViewerEvents extends Record<string, unknown>, RoomWatchEvents {
  /** Connection state changes: connecting, online, offline (with retry delay), closed. */
  state: ConnectionState<null>;
  /** A failure in the background (a join again after a reconnect that the server refused, say). */
  error: unknown;
}

export class NatterRoomViewer extends Emitter<RoomViewerEvents> {
  private readonly conn: Connection<null>;
  private readonly watch: RoomWatch;

  constructor(options: NatterRoomViewerOptions) {
    super();
    this.conn = createConnection<null>(options, null, {
      onState: (s) => this.emit('state', s),
      // Nothing but room frames is pushed to a connection that never authenticated.
      onPush: (frame) => {
        if (frame.type === 'room' || frame.type === 'room~' || frame.type === 'room.left') this.watch.onPush(frame);
      },
      onOnline: () => this.watch.online(),
    });
    this.watch = new RoomWatch(
      this.conn,
      (event, value) => this.emit(event, value as RoomViewerEvents[typeof event]),
      (err) => this.emit('error', err),
    );
  }

  get state(): ConnectionState<null> {
    return this.conn.current;
  }

  /** The rooms being watched. */
  get rooms(): string[] {
    return this.watch.rooms;
  }

  /**
   * Starts watching a room (connecting first if needed; the viewer connects on its first join).
   * Resolves with the room, its viewer count and its recent messages, which are also emitted as
   * `roomMessage`. Rejects with `not_authenticated` when the room does not take anonymous
   * viewers, `not_found` when there is no such room; the room is then not watched.
   */
  async join(roomId: string): Promise<RoomJoinResult> {
    // Also after a close by the server: an anonymous socket that watches nothing is closed
    // after AUTH_TIMEOUT_MS (3500, do not reconnect), and a later join opens a new one.
    if (this.conn.current.status === 'idle' || this.conn.current.status === 'closed') this.conn.start();
    await this.conn.waitOnline();
    return this.watch.join(roomId);
  }

  /** Stops watching a room. */
  async leave(roomId: string): Promise<void> {
    if (this.conn.current.status !== 'online') {
      // Not joined on this connection: forgetting it is enough (it is not joined again).
      this.watch.forget(roomId);
      return;
    }
    await this.watch.leave(roomId);
  }

  /**
   * Always rejects with `not_authenticated`: an anonymous viewer watches only. Send with a
   * NatterClient (`sendRoom`), which needs a token.
   */
  send(roomId: string, _msgType?: string, _body?: unknown): Promise<never> {
    return Promise.reject(new NatterClientError('not_authenticated', `an anonymous viewer cannot send into room ${roomId}: use NatterClient.sendRoom with a token`, false));
  }

  /** Simulates a network failure (the viewer reconnects and joins again by itself). For tests and demos. */
  dropConnection(): void {
    this.conn.drop();
  }

  /** Leaves every room (the socket closes) and stops reconnecting; a later `join` starts afresh. */
  close(): void {
    for (const roomId of this.watch.rooms) this.watch.forget(roomId);
    this.conn.stop();
  }
}
