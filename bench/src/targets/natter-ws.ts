/**
 * A raw WebSocket client speaking Natter's protocol directly (not the SDK, which caches and
 * sequences every message). Two paths: a lean one for load, where `message` pushes and the
 * results of publishes (numeric request ids) are recognised from their first bytes and handed
 * over unparsed; and `request()` for everything else (string ids, parsed JSON), used for
 * auth, sync and catch-up.
 */
import WebSocket from 'ws';
import type { ResultData, ServerFrame } from '@natter/protocol';
import type { Handlers } from './target.js';

const M = 0x6d; // 'm' of {"type":"message"
const R = 0x72; // 'r' of {"type":"result"
const U = 0x75; // 'u' of {"type":"result" (not {"type":"resync")
const QUOTE = 0x22;
const RESULT_ID_AT = '{"type":"result","id":'.length;

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
  private readonly pending = new Map<string, Pending>();
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

  private receive(data: Buffer): void {
    this.bytesIn += data.length;
    this.framesIn++;
    const lean = this.o.lean;
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
