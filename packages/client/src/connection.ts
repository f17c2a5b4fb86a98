/**
 * The socket under the SDK: connects, authenticates with the first frame, correlates requests
 * with responses by id, checks liveness with `ping` frames, and reconnects with exponential
 * backoff and full jitter after anything but a "do not reconnect" close (3500–3999, unless a
 * token provider can give a fresh token). Without a token (`token: null`, the anonymous room
 * viewer) it is online as soon as the socket opens: the server takes `room.join`, `room.leave`
 * and `ping` before any `auth`.
 */
import {
  backoffDelay,
  decodeServerFrame,
  ERROR_CODES,
  isErrorCode,
  shouldReconnect,
  type AuthOk,
  type BackoffOptions,
  type ClientFrame,
  type ErrorBody,
  type ResultData,
  type ServerFrame,
} from '@natter/protocol/wire';

/**
 * An event handler slot, compared bivariantly (as a method's parameter is): the `ws` package types its
 * handlers with its own event classes, and `new NatterClient({ WebSocket })` must type-check with it.
 */
type Handler<E> = { handle(ev: E): void }['handle'];

/** The part of the WebSocket API the SDK uses: browsers' WebSocket and the `ws` package both fit. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  onerror: Handler<unknown> | null;
}
export type WebSocketFactory = new (url: string) => WebSocketLike;

/** The connection's state; `session` is what `auth` answered (null on an anonymous connection). */
export type ConnectionState<S extends AuthOk | null = AuthOk> =
  | { status: 'idle' }
  | { status: 'connecting'; attempt: number }
  | { status: 'online'; session: S }
  | { status: 'offline'; retryInMs: number; lastClose: number | null }
  | { status: 'closed'; reason: string };

/** Tries of one request refused as `rate_limited` before its caller sees the error. */
const RATE_LIMITED_ATTEMPTS = 10;
/** The longest retryAfterMs a request waits out by itself before trying again. */
const MAX_RETRY_WAIT_MS = 10_000;

/** An error answered by the server, or a local failure (`timeout`, `disconnected`). */
export class NatterClientError extends Error {
  override readonly name = 'NatterClientError';
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
  static from(body: ErrorBody): NatterClientError {
    const retryable = isErrorCode(body.code) ? ERROR_CODES[body.code].retryable : body.retryable;
    return new NatterClientError(body.code, body.message, retryable, body.details);
  }
}

/** Default liveness ping of an anonymous connection (no `auth` answer tells the server's heartbeat). */
const ANONYMOUS_PING_MS = 25_000;

export interface ConnectionOptions<S extends AuthOk | null = AuthOk> {
  url: string;
  /** An access token or a provider of fresh ones; null on an anonymous connection (S null). */
  token: S extends null ? null : string | (() => string | Promise<string>);
  WebSocket: WebSocketFactory;
  backoff: BackoffOptions;
  requestTimeoutMs: number;
  /** Liveness ping interval; defaults to the server's heartbeat. */
  pingIntervalMs?: number;
  onState(state: ConnectionState<S>): void;
  onPush(frame: Extract<ServerFrame, { type: 'message' | 'conversation' | 'resync' | 'receipt' | 'contact' | 'message.hidden' | 'message.unhidden' | 'typing' | 'presence' | 'room' | 'room~' | 'room.left' | 'broadcast' }>): void;
  /** Called after each successful auth, before requests queued by the app go out. */
  onOnline(session: S): void;
}

interface Pending {
  resolve(data: unknown): void;
  reject(err: NatterClientError): void;
  timer: ReturnType<typeof setTimeout>;
}

type Requestable = Exclude<ClientFrame, { type: 'auth' }>;
type Without<F> = F extends unknown ? Omit<F, 'id'> : never;

export class Connection<S extends AuthOk | null = AuthOk> {
  private ws: WebSocketLike | null = null;
  private state: ConnectionState<S> = { status: 'idle' };
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private stopped = false;
  private onlineWaiters: (() => void)[] = [];
  private tokenRejected = false;

  constructor(private readonly o: ConnectionOptions<S>) {}

  get current(): ConnectionState<S> {
    return this.state;
  }

  start(): void {
    this.stopped = false;
    if (this.ws || this.retryTimer) return;
    this.open();
  }

  stop(reason = 'closed by client'): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.clearPing();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = null;
      ws.onmessage = null;
      ws.close(1000, 'bye');
    }
    this.failPending('disconnected');
    this.setState({ status: 'closed', reason });
  }

  /** Drops the socket as if the network failed (tests and liveness checks use it). */
  drop(): void {
    const ws = this.ws;
    if (!ws) return;
    ws.close(4000, 'dropped by client');
    this.handleClose(ws, 1006);
  }

  /** Resolves when online (now or later). */
  waitOnline(): Promise<void> {
    if (this.state.status === 'online') return Promise.resolve();
    return new Promise((resolve) => this.onlineWaiters.push(resolve));
  }

  /**
   * Sends a request and resolves with its `result.data`. Fails fast when not online. A request
   * over the server's budget (`rate_limited`: nothing was done) is sent again after the
   * `retryAfterMs` it names, a few times: a catch-up of many pages spreads out instead of failing.
   */
  async request<F extends Without<Requestable>>(frame: F, options: { retryRateLimited?: boolean } = {}): Promise<ResultData[F['type']]> {
    // Some refusals are not about load (invite-code guesses, limited per hour): those callers opt out.
    const attempts = options.retryRateLimited === false ? 1 : RATE_LIMITED_ATTEMPTS;
    for (let attempt = 1; ; attempt++) {
      const ws = this.ws;
      if (!ws || this.state.status !== 'online') throw new NatterClientError('disconnected', 'not connected', true);
      try {
        return (await this.rawRequest(ws, frame as Record<string, unknown>)) as ResultData[F['type']];
      } catch (err) {
        if (!(err instanceof NatterClientError) || err.code !== 'rate_limited' || attempt >= attempts) throw err;
        // A budget that refills only after minutes (searches, friend requests per day) is the
        // caller's to wait for, not a retry loop's.
        if (Number(err.details?.retryAfterMs) > MAX_RETRY_WAIT_MS) throw err;
        // Jittered, and spread wider each time: requests refused together must not all come
        // back together for the one token that has meanwhile refilled.
        const afterMs = Math.min(Math.max(Number(err.details?.retryAfterMs) || 1000, 10), MAX_RETRY_WAIT_MS);
        const waitMs = afterMs + Math.random() * afterMs * 2 ** Math.min(attempt, 6);
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  }

  /** Sends a frame that needs no answer (acks). Dropped silently when offline. */
  notify(frame: Without<Requestable>): void {
    if (this.ws && this.state.status === 'online') this.ws.send(JSON.stringify(frame));
  }

  private rawRequest(ws: WebSocketLike, frame: Record<string, unknown>): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new NatterClientError('timeout', `no answer to ${String(frame.type)} within ${this.o.requestTimeoutMs} ms`, true));
      }, this.o.requestTimeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      try {
        ws.send(JSON.stringify({ ...frame, id }));
      } catch {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new NatterClientError('disconnected', 'socket not writable', true));
      }
    });
  }

  private setState(state: ConnectionState<S>): void {
    this.state = state;
    this.o.onState(state);
    if (state.status === 'online') {
      const w = this.onlineWaiters;
      this.onlineWaiters = [];
      for (const f of w) f();
    }
  }

  private open(): void {
    this.setState({ status: 'connecting', attempt: this.attempt });
    let ws: WebSocketLike;
    try {
      ws = new this.o.WebSocket(this.o.url);
    } catch {
      this.scheduleRetry(null);
      return;
    }
    this.ws = ws;
    ws.onmessage = (ev) => this.handleMessage(ev.data);
    ws.onclose = (ev) => this.handleClose(ws, ev.code);
    ws.onerror = () => {
      /* onclose follows */
    };
    ws.onopen = () => void this.authenticate(ws);
  }

  private async authenticate(ws: WebSocketLike): Promise<void> {
    try {
      const token = typeof this.o.token === 'function' ? await this.o.token() : this.o.token;
      if (this.ws !== ws) return;
      // The options tie a null token to a null session (ConnectionOptions<null>).
      const session = (token === null ? null : await this.rawRequest(ws, { type: 'auth', token })) as S;
      if (this.ws !== ws) return;
      this.attempt = 0;
      this.startPing(ws, this.o.pingIntervalMs ?? (session === null ? ANONYMOUS_PING_MS : session.heartbeatSeconds * 1000));
      this.setState({ status: 'online', session });
      this.o.onOnline(session);
    } catch (err) {
      // A rejected token will be rejected again: only a token provider can make a retry useful.
      const code = (err as NatterClientError).code;
      this.tokenRejected = code === 'invalid_token' || code === 'token_expired' || code === 'device_revoked';
      if (this.ws === ws && ws.readyState === 1) ws.close(4001, 'auth failed');
    }
  }

  private handleMessage(data: unknown): void {
    const text = typeof data === 'string' ? data : String(data);
    const frame = decodeServerFrame(text);
    if (!frame) return;
    switch (frame.type) {
      case 'result':
      case 'error': {
        if (typeof frame.id !== 'number') return;
        const p = this.pending.get(frame.id);
        if (!p) return;
        this.pending.delete(frame.id);
        clearTimeout(p.timer);
        if (frame.type === 'result') p.resolve(frame.data);
        else p.reject(NatterClientError.from(frame.error));
        return;
      }
      case 'message':
      case 'conversation':
      case 'resync':
      case 'receipt':
      case 'contact':
      case 'message.hidden':
      case 'message.unhidden':
      case 'typing':
      case 'presence':
      case 'room':
      case 'room~':
      case 'room.left':
      case 'broadcast':
        this.o.onPush(frame);
        return;
    }
  }

  private handleClose(ws: WebSocketLike, code: number): void {
    if (this.ws !== ws) return;
    this.ws = null;
    ws.onclose = null;
    ws.onmessage = null;
    this.clearPing();
    this.failPending('disconnected');
    if (this.stopped) return;
    const canRefresh = typeof this.o.token === 'function';
    const rejected = this.tokenRejected;
    this.tokenRejected = false;
    if ((rejected || !shouldReconnect(code)) && !canRefresh) {
      this.setState({ status: 'closed', reason: `server closed the connection (${code})` });
      return;
    }
    this.scheduleRetry(code);
  }

  private scheduleRetry(lastClose: number | null): void {
    const delay = backoffDelay(this.attempt++, this.o.backoff);
    this.setState({ status: 'offline', retryInMs: delay, lastClose });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) this.open();
    }, delay);
  }

  private startPing(ws: WebSocketLike, every: number): void {
    this.clearPing();
    this.pingTimer = setInterval(() => {
      this.rawRequest(ws, { type: 'ping' }).catch((err: NatterClientError) => {
        if (err.code === 'timeout' && this.ws === ws) this.drop();
      });
    }, Math.max(every, 1000));
  }

  private clearPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  private failPending(code: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new NatterClientError(code, 'connection lost before an answer', true));
      this.pending.delete(id);
    }
  }
}
