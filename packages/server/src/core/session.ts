/**
 * One client connection's protocol state machine: it waits for `auth` (with a deadline), then
 * dispatches request frames to the services and answers each request that carries an `id`.
 * Transports hand it decoded frames; it writes frames back through the Connection. Its parts:
 * session-auth.ts (the auth frame), session-quick.ts (acks handled on the spot) and
 * session-frames.ts (which service answers each frame, and which budget it spends).
 */
import { CLOSE_CODES, encodeFrame, NatterError, toErrorBody, type ClientFrame, type DecodeResult, type RequestId } from '@natter/protocol';
import { outbound, type Connection } from './connection.js';
import type { ConnectionBudget } from './fair-share.js';
import { authCloseCode, authenticate } from './session-auth.js';
import type { SessionDeps, SessionInternals, State } from './session-context.js';
import { FRAME_HANDLERS, REQUEST_CLASS, type FrameHandler, type RequestType } from './session-frames.js';
import { quickAck } from './session-quick.js';

export type { SessionDeps, SessionHooks } from './session-context.js';

/**
 * The fields below are not private only because the session's own modules (session-auth.ts,
 * session-quick.ts, session-frames.ts) read and change them through SessionInternals; a
 * transport calls `handle`, `quick`, `abandon` and `closed`, nothing else.
 */
export class Session implements SessionInternals {
  state: State;
  authDone: Promise<unknown> | null = null;
  gone = false;
  budget: ConnectionBudget | null = null;
  refusedInARow = 0;
  /**
   * Asked by the read gate when a queued page read's turn comes. Made on the first page read:
   * an idle connection never reads one, and the closure and its context are ~100 bytes each.
   */
  private wantedFn: (() => boolean) | null = null;

  constructor(
    readonly conn: Connection,
    readonly deps: SessionDeps,
  ) {
    const deadline = deps.clock.setTimeout(() => {
      if (this.state.kind === 'awaiting_auth' || this.state.kind === 'authenticating') {
        this.conn.close(CLOSE_CODES.auth_timeout, 'authentication timeout');
      }
    }, deps.authTimeoutMs);
    this.state = { kind: 'awaiting_auth', deadline };
  }

  get userId(): string | null {
    return this.state.kind === 'open' ? this.state.attachment.userId : null;
  }

  /** Handles one decoded frame. Never throws. */
  async handle(decoded: DecodeResult): Promise<void> {
    if (this.state.kind === 'closed' || this.gone) return;
    if (!decoded.ok) {
      this.deps.hooks.onFrame('invalid', decoded.error.code, 0);
      this.reply(decoded.id, decoded.error);
      return;
    }
    const frame = decoded.frame;
    const started = performance.now();
    let code: string | null = null;
    try {
      const data = await this.dispatch(frame);
      if (this.gone) {
        code = 'dropped';
        return;
      }
      if (frame.id !== undefined && data !== undefined) {
        const json = encodeFrame({ type: 'result', id: frame.id, data });
        const userId = this.userId;
        if (userId !== null && this.budget) this.deps.messaging.fairShare.chargeAnswer(userId, json.length, this.budget);
        this.conn.send(outbound(json));
      }
    } catch (err) {
      if (this.gone) {
        code = 'dropped';
        return;
      }
      if (!(err instanceof NatterError)) this.deps.hooks.onError(err);
      const body = toErrorBody(err);
      code = body.code;
      this.conn.send(outbound(encodeFrame(frame.id === undefined ? { type: 'error', error: body } : { type: 'error', id: frame.id, error: body })));
      // A failed auth ends the connection, once the client has been told why.
      if (frame.type === 'auth' && (this.state as State).kind === 'closed') {
        this.conn.close(authCloseCode(body.code), body.code);
      }
    } finally {
      this.deps.hooks.onFrame(frame.type, code, performance.now() - started);
    }
  }

  /** See session-quick.ts: an ack done on the spot, or false (nothing done) for `handle` to take. */
  quick(decoded: DecodeResult): boolean {
    return quickAck(this, decoded);
  }

  wanted(): () => boolean {
    return (this.wantedFn ??= () => !this.gone);
  }

  private reply(id: RequestId | undefined, error: NatterError): void {
    const body = error.toBody();
    this.conn.send(outbound(encodeFrame(id === undefined ? { type: 'error', error: body } : { type: 'error', id, error: body })));
  }

  private async dispatch(frame: ClientFrame): Promise<unknown> {
    const state = this.state;
    if (frame.type === 'auth') {
      const pending = authenticate(this, frame.token);
      this.authDone = pending.catch(() => undefined);
      return pending;
    }
    if (state.kind === 'authenticating' && this.authDone) await this.authDone;
    return this.dispatchAuthenticated(frame);
  }

  private async dispatchAuthenticated(frame: Exclude<ClientFrame, { type: 'auth' }>): Promise<unknown> {
    const state = this.state;
    if (frame.type === 'ping') return { time: this.deps.clock.now() };
    // Rooms that allow it are watched without authenticating (Rooms.join checks the room).
    if (state.kind === 'awaiting_auth' && (frame.type === 'room.join' || frame.type === 'room.leave')) return this.watchAnonymously(state, frame);
    if (state.kind !== 'open') throw new NatterError('not_authenticated', 'send auth first');
    const { userId } = state.attachment;
    const m = this.deps.messaging;
    this.budget ??= m.fairShare.newConnectionBudget();
    try {
      m.fairShare.admit(userId, REQUEST_CLASS[frame.type], this.budget);
      this.refusedInARow = 0;
    } catch (err) {
      // A client that honours retryAfterMs meets a few refusals; one that keeps flooding costs
      // a decode and an answer per frame for nothing: it is cut off and may come back later.
      if (++this.refusedInARow > MAX_REFUSED_IN_A_ROW) this.conn.close(CLOSE_CODES.rate_limited, 'rate limited');
      throw err;
    }
    // A table rather than a switch: session-frames.ts lists each frame type's handler next to the
    // others. The cast pairs the frame with its type's handler, which the compiler cannot follow.
    const handler = FRAME_HANDLERS[frame.type] as FrameHandler<RequestType>;
    return handler(this, state.attachment, frame);
  }

  /**
   * An anonymous viewer: the room decides whether it may watch. Watching stops the auth
   * deadline (the connection may still authenticate later, to send).
   */
  private async watchAnonymously(
    state: Extract<State, { kind: 'awaiting_auth' }>,
    frame: Extract<ClientFrame, { type: 'room.join' | 'room.leave' }>,
  ): Promise<unknown> {
    if (frame.type === 'room.leave') return this.deps.rooms.leave(this.conn, frame.roomId);
    const result = await this.deps.rooms.join(this.conn, null, frame);
    state.deadline.cancel();
    return result;
  }

  /**
   * The transport calls this when it starts closing the connection (a slow consumer, a
   * protocol violation), before the socket is gone: nothing more is worth doing for it.
   */
  abandon(): void {
    this.gone = true;
  }

  /** The transport calls this once when the connection is gone. */
  async closed(): Promise<void> {
    this.gone = true;
    const state = this.state;
    this.state = { kind: 'closed' };
    this.deps.rooms.leaveAll(this.conn);
    if (state.kind === 'awaiting_auth') state.deadline.cancel();
    if (state.kind === 'open') {
      this.deps.userConnections.release(state.attachment.userId);
      void this.deps.presence.disconnected(state.attachment.userId);
      await this.deps.delivery.detach(state.attachment);
      // What the device acked reaches the store now, not a timer's tick later.
      await this.deps.messaging.cursors.deviceGone(state.attachment.deviceId);
    }
  }
}

/** Refusals in a row (`rate_limited`) after which a connection is closed with 3006. */
const MAX_REFUSED_IN_A_ROW = 100;
