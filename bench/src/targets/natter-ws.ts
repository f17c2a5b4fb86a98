/**
 * A raw WebSocket client speaking Natter's protocol directly (not the SDK, which caches and
 * sequences every message). Two paths: a lean one for load, where `message` pushes and the
 * results of publishes (numeric request ids) are recognised from their first bytes and handed
 * over unparsed; and `request()` for everything else (string ids, parsed JSON), used for
 * auth, sync and catch-up.
 *
 * Like the SDK (packages/client/src/sync.ts, connection.ts) a connection can acknowledge what
 * it receives: the first delivery after a quiet spell starts a timer of `ackDelayMs` (the SDK's
 * 50 ms), and when it fires one `ack` without an id goes out per conversation with the highest
 * seq received; and it sends a `ping` request every `heartbeatSeconds` the server announced at
 * auth. The seq and conversation are read from the frame's bytes (the SDK parses the frame; the
 * generator's own cost stays small so the server's shows).
 */
import WebSocket from 'ws';
import type { ResultData, ServerFrame } from '@natter/protocol';
import type { Handlers } from './target.js';

const M = 0x6d; // 'm' of {"type":"message"
const R = 0x72; // 'r' of {"type":"result"
const U = 0x75; // 'u' of {"type":"result" (not {"type":"resync")
const QUOTE = 0x22;
const RESULT_ID_AT = '{"type":"result","id":'.length;
const CONVERSATION_KEY = Buffer.from('"conversationId":"');
const SEQ_KEY = Buffer.from('"seq":');

export class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export interface NatterWsOptions {
  localAddress?: string;
  /** Lean handlers: deliveries and numeric-id results bypass JSON parsing. */
  lean?: Handlers;
  /** Parsed pushes (`message`, `conversation`) when there are no lean handlers. */
  onPush?: (frame: ServerFrame) => void;
  onClose?: (code: number) => void;
  timeoutMs?: number;
  /** Ack received entries this long after the first unacknowledged one, like the SDK (50 ms); absent: never ack. */
  ackDelayMs?: number;
  /** Send `ping` requests at the server's heartbeat interval, like the SDK. */
  ping?: boolean;
}

interface Pending {
  resolve(data: unknown): void;
  reject(err: Error): void;
}

export class NatterWs {
  bytesIn = 0;
  bytesOut = 0;
  framesIn = 0;
  private nextId = 1;
  acksSent = 0;
  private readonly pending = new Map<string, Pending>();
  /** Highest seq received per conversation since the last ack went out. */
  private readonly acks = new Map<string, number>();
  private ackTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private constructor(
    readonly ws: WebSocket,
    private readonly o: NatterWsOptions,
  ) {}

  /** Opens a connection and authenticates; `auth` carries the user's access token. */
  static open(url: string, token: string, o: NatterWsOptions = {}): Promise<{ conn: NatterWs; auth: ResultData['auth'] }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, {
        perMessageDeflate: false,
        skipUTF8Validation: true,
        handshakeTimeout: o.timeoutMs ?? 30_000,
        ...(o.localAddress !== undefined && { localAddress: o.localAddress }),
      });
      const conn = new NatterWs(ws, o);
      let settled = false;
      ws.on('message', (data: Buffer) => conn.receive(data));
      ws.on('error', (err) => {
        if (!settled) {
          settled = true;
          reject(err);
        }
      });
      ws.on('close', (code) => {
        conn.stopTimers();
        for (const p of conn.pending.values()) p.reject(new Error(`connection closed (${code})`));
        conn.pending.clear();
        if (!settled) {
          settled = true;
          reject(new Error(`connection closed (${code}) before auth`));
        }
        o.onClose?.(code);
        o.lean?.onClose?.();
      });
      ws.on('open', () => {
        conn.request('auth', { token }).then(
          (auth) => {
            settled = true;
            if (o.ping) conn.startPing(auth.heartbeatSeconds * 1000);
            resolve({ conn, auth });
          },
          (err: Error) => {
            if (!settled) {
              settled = true;
              reject(err);
            }
            ws.terminate();
          },
        );
      });
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends a request with a string id and resolves with its result's data. */
  request<K extends keyof ResultData>(type: K, fields: Record<string, unknown>): Promise<ResultData[K]> {
    const id = `r${this.nextId++}`;
    return new Promise((resolve, reject) => {
      if (!this.open) {
        reject(new Error('not connected'));
        return;
      }
      this.pending.set(id, { resolve: resolve as (d: unknown) => void, reject });
      this.sendText(JSON.stringify({ type, id, ...fields }));
    });
  }

  /** A publish on the lean path: its result comes back as Handlers.onAck(ack). */
  send(conversationId: string, text: string, ack: number, clientMsgId: string): void {
    this.sendText(`{"type":"send","id":${ack},"conversationId":"${conversationId}","clientMsgId":"${clientMsgId}","msgType":"text","body":{"text":${JSON.stringify(text)}}}`);
  }

  sendText(text: string): void {
    this.bytesOut += Buffer.byteLength(text);
    this.ws.send(text);
  }

  close(): void {
    this.ws.close(1000);
  }

  terminate(): void {
    this.ws.terminate();
  }

  private startPing(everyMs: number): void {
    // The SDK's floor is 1 s; a failed ping is the close handler's business, not ours.
    this.pingTimer = setInterval(() => this.request('ping', {}).catch(() => undefined), Math.max(everyMs, 1000));
  }

  private stopTimers(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.ackTimer = this.pingTimer = null;
  }

  /** Notes a delivered entry for the next ack (the SDK acks what it applied, per conversation, batched). */
  private noteForAck(data: Buffer, delayMs: number): void {
    const c = data.indexOf(CONVERSATION_KEY, 20);
    if (c < 0) return;
    const cFrom = c + CONVERSATION_KEY.length;
    const cTo = data.indexOf(QUOTE, cFrom);
    const s = data.indexOf(SEQ_KEY, cTo);
    if (cTo < 0 || s < 0) return;
    let seq = 0;
    for (let i = s + SEQ_KEY.length; i < data.length; i++) {
      const d = data[i]!;
      if (d < 48 || d > 57) break;
      seq = seq * 10 + (d - 48);
    }
    const conversationId = data.toString('latin1', cFrom, cTo);
    if (seq > (this.acks.get(conversationId) ?? 0)) this.acks.set(conversationId, seq);
    this.ackTimer ??= setTimeout(() => this.flushAcks(), delayMs);
  }

  private flushAcks(): void {
    this.ackTimer = null;
    if (this.open) {
      for (const [conversationId, seq] of this.acks) {
        this.sendText(`{"type":"ack","conversationId":"${conversationId}","seq":${seq}}`);
        this.acksSent++;
      }
    }
    this.acks.clear();
  }

  private receive(data: Buffer): void {
    this.bytesIn += data.length;
    this.framesIn++;
    const lean = this.o.lean;
    if (data[9] === M && this.o.ackDelayMs !== undefined) this.noteForAck(data, this.o.ackDelayMs);
    if (lean) {
      if (data[9] === M) {
        lean.onDelivery(data);
        return;
      }
      if (data[9] === R && data[12] === U && data[RESULT_ID_AT] !== QUOTE) {
        let v = 0;
        for (let i = RESULT_ID_AT; i < data.length; i++) {
          const c = data[i]!;
          if (c < 48 || c > 57) break;
          v = v * 10 + (c - 48);
        }
        lean.onAck(v);
        return;
      }
    }
    let frame: ServerFrame;
    try {
      frame = JSON.parse(data.toString('utf8')) as ServerFrame;
    } catch {
      return;
    }
    if (frame.type === 'result' || frame.type === 'error') {
      const id = frame.id;
      const p = typeof id === 'string' ? this.pending.get(id) : undefined;
      if (p) {
        this.pending.delete(id as string);
        if (frame.type === 'result') p.resolve(frame.data);
        else p.reject(new RequestError(frame.error.code, frame.error.message));
        return;
      }
      if (frame.type === 'error') lean?.onError?.(`${frame.error.code}: ${frame.error.message}`);
      return;
    }
    this.o.onPush?.(frame);
  }
}
