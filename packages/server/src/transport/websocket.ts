/**
 * The WebSocket transport at /v1/ws: upgrade with an Origin check, frame size limit, text
 * frames decoded into protocol frames for a core Session, server-side heartbeat (ping/pong),
 * and the slow-consumer policy: a socket whose unsent bytes pass the limit is closed with
 * 3002 so one slow reader never holds memory or delays anyone else. No business logic here.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import * as wsModule from 'ws';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { CLOSE_CODES, decodeClientFrame, NatterError } from '@natter/protocol';
import type { Connection, OutboundFrame, QueueAware } from '../core/connection.js';
import { ConnectionCaps } from '../core/connection-caps.js';
import { originAllowed } from '../origins.js';
import type { Session } from '../core/session.js';
import { NO_GAP, WriteCoalescer } from './write-coalescer.js';

export interface WebSocketGatewayOptions {
  path: string;
  maxFrameBytes: number;
  maxSendQueueBytes: number;
  heartbeatIntervalMs: number;
  /** Longest a frame may be held to share a syscall when the server is busy; 0: end of turn always. */
  writeCoalesceMaxMs: number;
  allowedOrigins: '*' | string[];
  /** Requests handled at once per connection before it is closed for flooding. */
  maxInFlight: number;
  /** WebSockets per client address (0: no cap); past it the upgrade is answered 429. */
  maxPerAddress: number;
  /** The client's address for the cap (the proxy's X-Forwarded-For when trusted). */
  clientAddress(req: IncomingMessage): string;
  openSession(conn: Connection): Session;
  onOpen(): void;
  onClose(code: number): void;
  onFrameIn(): void;
  onFrameOut(): void;
  onOriginRejected(): void;
  onServerClose(reason: string): void;
}

/** Sockets one step of a heartbeat pings before the event loop serves anything else. */
export const BEAT_SLICE = 256;

/** Bytes held back by one socket's cork before they are written anyway. */
const CORK_MAX_BYTES = 64 * 1024;

/** ws's own frame builder (exported by ws, not declared by @types/ws). */
const { Sender } = wsModule as unknown as {
  Sender: { frame(data: Buffer, o: { fin: boolean; opcode: number; mask: boolean; rsv1: boolean; readOnly: boolean }): Buffer[] };
};
const TEXT = { fin: true, opcode: 0x1, mask: false, rsv1: false, readOnly: false };

/**
 * A fan-out's frame framed once for all its recipients: server frames are not masked, so the
 * bytes on the wire (header and payload) are the same for every socket, and each recipient
 * costs one buffered chunk instead of a header built for it plus two writes. Delivery hands the
 * same frame object to each recipient in turn, so remembering the last one is enough.
 */
class FrameCache {
  private last: OutboundFrame | null = null;
  private framed: Buffer = Buffer.alloc(0);

  wire(frame: OutboundFrame): Buffer {
    if (frame !== this.last) {
      const parts = Sender.frame(Buffer.from(frame.json), TEXT);
      this.framed = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      this.last = frame;
    }
    return this.framed;
  }
}

/**
 * One WebSocket as the core sees it (a Connection), with the transport's own state for it.
 * A class rather than closures: with tens of thousands of idle sockets per process, the few
 * hundred bytes of closures and contexts per connection are a good part of its memory.
 */
class SocketConnection implements Connection, QueueAware {
  /** Answered the last heartbeat ping (or sent anything since). */
  alive = true;
  private closing = false;
  private corked = false;
  /** Bytes held back by our own cork this turn: not the peer's backlog. */
  private corkedBytes = 0;
  /** When the coalescer last wrote this socket out, last corked it, and its smoothed time between corks. */
  flushedAt = 0;
  corkedAt = 0;
  corkGapMs = NO_GAP;
  /** Told when this side starts closing, so queued work for the socket is dropped. */
  session: Session | null = null;
  /** Requests being handled (not quick acks). */
  private inFlight = 0;
  private readonly raw: { cork(): void; uncork(): void; write(b: Buffer): boolean } | undefined;

  constructor(
    readonly ws: WebSocket,
    private readonly o: WebSocketGatewayOptions,
    private readonly coalescer: WriteCoalescer,
    private readonly frames: FrameCache,
    /** The gateway's live sockets: this one leaves it when it closes. */
    private readonly live: Set<SocketConnection>,
  ) {
    // ws keeps the underlying socket private; corking it is the one thing we need from it.
    this.raw = (ws as unknown as { _socket?: SocketConnection['raw'] })._socket;
  }

  /** Bytes waiting for the peer (not those held by our own cork this turn). */
  queuedBytes(): number {
    return this.ws.bufferedAmount - this.corkedBytes;
  }

  get queueLimitBytes(): number {
    return this.o.maxSendQueueBytes;
  }

  send(frame: OutboundFrame): void {
    const ws = this.ws;
    if (this.closing || ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount - this.corkedBytes > this.o.maxSendQueueBytes) {
      this.closing = true;
      this.session?.abandon();
      this.o.onServerClose('slow_consumer');
      ws.close(CLOSE_CODES.slow_consumer, 'slow consumer');
      // The peer is not reading; do not wait for its close frame.
      setTimeout(() => ws.terminate(), 1000).unref();
      return;
    }
    this.o.onFrameOut();
    // Coalesce: frames written to one socket in the same event-loop turn (a fan-out batch,
    // a result and an echo) — or, under load, the same short window — leave in one syscall
    // instead of one writev each.
    if (!this.corked && this.raw) {
      this.corked = true;
      this.raw.cork();
      this.coalescer.add(this);
    }
    if (this.raw) {
      // Framed once per frame object, written as is (with permessage-deflate off, ws writes
      // every frame straight to the socket too, so the order of frames holds).
      const bytes = this.frames.wire(frame);
      if (this.corked) this.corkedBytes += bytes.length;
      this.raw.write(bytes);
    } else {
      ws.send(frame.json, { binary: false });
    }
    // A large burst (many history pages answered at once) leaves now: what the
    // kernel does not take is then the peer's backlog, which the check above must see.
    if (this.corked && this.corkedBytes >= CORK_MAX_BYTES) this.uncork();
  }

  uncork(): void {
    if (!this.corked || !this.raw) return;
    this.corked = false;
    this.corkedBytes = 0;
    this.raw.uncork();
  }

  /** A frame from the peer. */
  received(data: RawData, isBinary: boolean): void {
    const session = this.session!;
    this.o.onFrameIn();
    this.alive = true;
    if (isBinary) {
      void session.handle({ ok: false, error: new NatterError('malformed', 'binary frames are not supported; send JSON text') });
      return;
    }
    if (this.inFlight >= this.o.maxInFlight) {
      this.close(CLOSE_CODES.protocol_violation, 'too many requests in flight');
      return;
    }
    // ws hands a Buffer (binaryType 'nodebuffer'): read it as it is, without a copy.
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
    const decoded = decodeClientFrame(text);
    // Acks (one per delivery batch per device) are done on the spot: no promise, nothing in flight.
    if (session.quick(decoded)) return;
    this.inFlight++;
    void session.handle(decoded).finally(() => this.inFlight--);
  }

  /** The socket is gone. */
  closed(code: number): void {
    this.live.delete(this);
    this.o.onClose(code);
    void this.session!.closed();
  }

  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.session?.abandon();
    this.o.onServerClose(reason);
    this.ws.close(code, reason.slice(0, 120));
    const ws = this.ws;
    setTimeout(() => ws.terminate(), 2000).unref();
  }
}

/**
 * ws stops the HTTP idle timeout at the upgrade (socket.setTimeout(0)), but Node keeps the
 * cleared Timeout, and the bound callback it holds, on the socket for its whole life: ~200
 * bytes per idle WebSocket, and a refresh() call on every frame read or written. The socket's
 * timeout is its own (private, under a symbol Node does not export): it is dropped only when
 * it is the cleared timer of a socket whose timeout is off, so nothing live is ever lost.
 */
function forgetIdleTimer(socket: Duplex): void {
  const s = socket as Duplex & { timeout?: number } & Record<symbol, unknown>;
  if (s.timeout !== 0) return;
  for (const key of Object.getOwnPropertySymbols(s)) {
    if (key.description !== 'timeout') continue;
    const timer = s[key] as { _destroyed?: boolean } | null | undefined;
    if (timer && timer._destroyed === true) s[key] = null;
  }
}

/** The SocketConnection of a WebSocket, for the shared listeners below. */
const OWNER = Symbol('natter.connection');
type Owned = WebSocket & { [OWNER]: SocketConnection };

function onPong(this: WebSocket): void {
  (this as Owned)[OWNER].alive = true;
}

function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  (this as Owned)[OWNER].received(data, isBinary);
}

function onClose(this: WebSocket, code: number): void {
  (this as Owned)[OWNER].closed(code);
}

const ignoreError = (): void => {
  // 'close' follows; oversized frames arrive here and close with 1009.
};

export class WebSocketGateway {
  private readonly wss: WebSocketServer;
  private readonly live = new Set<SocketConnection>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly coalescer: WriteCoalescer;
  private readonly frames = new FrameCache();
  private readonly perAddress: ConnectionCaps;

  constructor(
    server: Server,
    private readonly o: WebSocketGatewayOptions,
  ) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: o.maxFrameBytes, perMessageDeflate: false, clientTracking: false });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    this.heartbeat = setInterval(() => this.beat(), o.heartbeatIntervalMs);
    this.heartbeat.unref();
    this.coalescer = new WriteCoalescer(o.writeCoalesceMaxMs);
    this.perAddress = new ConnectionCaps(o.maxPerAddress);
  }

  get size(): number {
    return this.live.size;
  }

  private originAllowed(req: IncomingMessage): boolean {
    // CSWSH: a page on another site must not open a socket with the user's credentials.
    return originAllowed(req.headers.origin, req.headers.host, this.o.allowedOrigins);
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '').split('?')[0];
    if (path !== this.o.path) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (!this.originAllowed(req)) {
      this.o.onOriginRejected();
      const body = JSON.stringify({ error: new NatterError('origin_not_allowed', 'origin not allowed').toBody() });
      socket.end(
        `HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return;
    }
    // No cap (0): nothing to count, and nothing kept per socket for it.
    if (this.o.maxPerAddress > 0 && !this.capAddress(req, socket)) return;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      forgetIdleTimer(socket);
      this.accept(ws);
    });
  }

  /** Takes a slot of the client's address for the socket until it closes; false (answered 429) past the cap. */
  private capAddress(req: IncomingMessage, socket: Duplex): boolean {
    const address = this.o.clientAddress(req);
    if (!this.perAddress.acquire(address)) {
      this.o.onServerClose('too_many_connections');
      const body = JSON.stringify({ error: new NatterError('rate_limited', 'too many connections from this address').toBody() });
      socket.end(
        `HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nRetry-After: 10\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return false;
    }
    // The slot is the socket's until it closes, whether or not the upgrade completes. `on`, not
    // `once`: a socket emits 'close' once, and once's wrapper (a bound function and its state)
    // would stay on every idle WebSocket for nothing.
    socket.on('close', () => this.perAddress.release(address));
    return true;
  }

  private accept(ws: WebSocket): void {
    const conn = new SocketConnection(ws, this.o, this.coalescer, this.frames, this.live);
    this.live.add(conn);
    this.o.onOpen();
    conn.session = this.o.openSession(conn);
    (ws as Owned)[OWNER] = conn;
    // Listeners shared by every socket (ws calls them on the socket): no closures per connection.
    ws.on('pong', onPong);
    ws.on('message', onMessage);
    ws.on('error', ignoreError);
    ws.on('close', onClose);
  }

  /**
   * Pings every socket (and closes those that did not answer the last ping), a slice at a time
   * with the event loop free between slices: each ping is a write to its socket, and all at once
   * (measured with ws alone on this machine) 5,000 sockets held the loop 33–52 ms and 15,000
   * 108–178 ms, every delivery waiting behind them, once per heartbeat.
   */
  private beat(): void {
    const all = [...this.live];
    const step = (from: number): void => {
      const to = Math.min(all.length, from + BEAT_SLICE);
      for (let i = from; i < to; i++) {
        const live = all[i]!;
        // Closed since the heartbeat began: nothing to ping.
        if (!this.live.has(live)) continue;
        if (!live.alive) {
          this.o.onServerClose('heartbeat_timeout');
          live.ws.close(CLOSE_CODES.heartbeat_timeout, 'heartbeat timeout');
          setTimeout(() => live.ws.terminate(), 1000).unref();
          continue;
        }
        live.alive = false;
        live.ws.ping();
      }
      if (to < all.length) setImmediate(step, to);
    };
    step(0);
  }

  /** Closes every connection with `server_shutdown` (clients reconnect elsewhere or later). */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.coalescer.close();
    const closing = [...this.live].map(
      (l) =>
        new Promise<void>((resolve) => {
          l.ws.once('close', () => resolve());
          l.ws.close(CLOSE_CODES.server_shutdown, 'server shutdown');
          setTimeout(() => {
            l.ws.terminate();
            resolve();
          }, 1000).unref();
        }),
    );
    await Promise.all(closing);
    this.wss.close();
  }
}
