/**
 * The WebSocket transport at /v1/ws: upgrade with an Origin check, frame size limit, text
 * frames decoded into protocol frames for a core Session, server-side heartbeat (ping/pong),
 * and the slow-consumer policy: a socket whose unsent bytes pass the limit is closed with
 * 3002 so one slow reader never holds memory or delays anyone else. No business logic here.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CLOSE_CODES, decodeClientFrame, NatterError } from '@natter/protocol';
import type { Connection } from '../core/connection.js';
import type { Session } from '../core/session.js';

export interface WebSocketGatewayOptions {
  path: string;
  maxFrameBytes: number;
  maxSendQueueBytes: number;
  heartbeatIntervalMs: number;
  allowedOrigins: '*' | string[];
  /** Requests handled at once per connection before it is closed for flooding. */
  maxInFlight: number;
  openSession(conn: Connection): Session;
  onOpen(): void;
  onClose(code: number): void;
  onFrameIn(): void;
  onFrameOut(): void;
  onOriginRejected(): void;
  onServerClose(reason: string): void;
}

interface Live {
  ws: WebSocket;
  alive: boolean;
}

/** Bytes held back by one socket's cork before they are written anyway. */
const CORK_MAX_BYTES = 64 * 1024;

/** One setImmediate for all sockets corked this turn, not one per socket. */
let toUncork: (() => void)[] = [];
function uncorkSoon(uncork: () => void): void {
  if (toUncork.length === 0) {
    setImmediate(() => {
      const now = toUncork;
      toUncork = [];
      for (const f of now) f();
    });
  }
  toUncork.push(uncork);
}

export class WebSocketGateway {
  private readonly wss: WebSocketServer;
  private readonly live = new Set<Live>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    server: Server,
    private readonly o: WebSocketGatewayOptions,
  ) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: o.maxFrameBytes, perMessageDeflate: false, clientTracking: false });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    this.heartbeat = setInterval(() => this.beat(), o.heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.live.size;
  }

  private originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    // Non-browser clients send no Origin; browsers always do, and that is what CSWSH abuses.
    if (origin === undefined) return true;
    if (this.o.allowedOrigins === '*') return true;
    if (this.o.allowedOrigins.includes(origin)) return true;
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
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
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  private accept(ws: WebSocket): void {
    const live: Live = { ws, alive: true };
    this.live.add(live);
    this.o.onOpen();
    const maxQueue = this.o.maxSendQueueBytes;
    const o = this.o;
    let closing = false;
    let corked = false;
    let corkedBytes = 0;
    // ws keeps the underlying socket private; corking it is the one thing we need from it.
    const raw = (ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    const uncork = () => {
      if (!corked || !raw) return;
      corked = false;
      corkedBytes = 0;
      raw.uncork();
    };
    const conn: Connection = {
      send(frame) {
        if (closing || ws.readyState !== ws.OPEN) return;
        // Bytes held back by our own cork this turn are not the peer's backlog.
        if (ws.bufferedAmount - corkedBytes > maxQueue) {
          closing = true;
          o.onServerClose('slow_consumer');
          ws.close(CLOSE_CODES.slow_consumer, 'slow consumer');
          // The peer is not reading; do not wait for its close frame.
          setTimeout(() => ws.terminate(), 1000).unref();
          return;
        }
        o.onFrameOut();
        // Coalesce: frames written to one socket in the same event-loop turn (a fan-out batch,
        // a result and an echo) leave in one syscall instead of one writev each.
        if (!corked && raw) {
          corked = true;
          raw.cork();
          uncorkSoon(uncork);
        }
        if (corked) corkedBytes += typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length;
        // Text frames even when handed bytes: the protocol is JSON text.
        ws.send(frame, { binary: false });
        // A large burst in one turn (many history pages answered at once) leaves now: what the
        // kernel does not take is then the peer's backlog, which the check above must see.
        if (corked && corkedBytes >= CORK_MAX_BYTES) uncork();
      },
      close(code, reason) {
        if (closing) return;
        closing = true;
        o.onServerClose(reason);
        ws.close(code, reason.slice(0, 120));
        setTimeout(() => ws.terminate(), 2000).unref();
      },
    };
    const session = this.o.openSession(conn);
    let inFlight = 0;
    ws.on('pong', () => {
      live.alive = true;
    });
    ws.on('message', (data, isBinary) => {
      this.o.onFrameIn();
      live.alive = true;
      if (isBinary) {
        void session.handle({ ok: false, error: new NatterError('malformed', 'binary frames are not supported; send JSON text') });
        return;
      }
      if (inFlight >= this.o.maxInFlight) {
        conn.close(CLOSE_CODES.protocol_violation, 'too many requests in flight');
        return;
      }
      inFlight++;
      const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
      void session.handle(decodeClientFrame(text)).finally(() => inFlight--);
    });
    ws.on('error', () => {
      // 'close' follows; oversized frames arrive here and close with 1009.
    });
    ws.on('close', (code) => {
      this.live.delete(live);
      this.o.onClose(code);
      void session.closed();
    });
  }

  private beat(): void {
    for (const live of this.live) {
      if (!live.alive) {
        this.o.onServerClose('heartbeat_timeout');
        live.ws.close(CLOSE_CODES.heartbeat_timeout, 'heartbeat timeout');
        setTimeout(() => live.ws.terminate(), 1000).unref();
        continue;
      }
      live.alive = false;
      live.ws.ping();
    }
  }

  /** Closes every connection with `server_shutdown` (clients reconnect elsewhere or later). */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
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
