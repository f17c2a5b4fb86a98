/**
 * A generator process for the room workload: opens its share of a live room's viewers (from its
 * own 127.0.0.x source addresses), and for every message that reaches a viewer records the
 * delay since it was sent (the body's `t`, ms since the epoch: one machine, one clock) and
 * whether it was high priority (`"h":1`). Frames are scanned, not parsed: with 15,000 viewers
 * the generators would otherwise be the bottleneck. Started by room.ts with child_process.fork.
 *
 * Natter viewers join anonymously (`room.join`); ws-floor viewers join its room (`J<room>`) and
 * get each message as its own frame (the floor has no aggregation).
 */
import WebSocket from 'ws';
import { forEachLimit, within } from '../lib/pool.js';

export type ToRoomWorker =
  | { cmd: 'connect'; target: 'natter' | 'ws-floor'; host: string; port: number; room: string; count: number; sources: string[]; concurrency: number }
  | { cmd: 'stats' }
  | { cmd: 'peek' }
  | { cmd: 'close' };

export interface RoomWorkerStats {
  ev: 'stats';
  /** [ms, count] pairs of the delay histogram (1 ms buckets, capped at MAX_MS). */
  hist: [number, number][];
  messages: number;
  highPerViewer: number[];
  frames: number;
  bytes: number;
  open: number;
  /** CPU used since the previous `stats` (ms). */
  cpuMs: number;
}

export type FromRoomWorker =
  | { ev: 'connected'; ok: number; failed: number; firstError: string; ms: number }
  | RoomWorkerStats
  | { ev: 'peek'; messages: number }
  | { ev: 'closed' };

const MAX_MS = 60_000;
let hist = new Uint32Array(MAX_MS + 1);
let messages = 0;
let frames = 0;
let bytes = 0;
interface Viewer {
  ws: WebSocket;
  high: number;
}
const viewers: Viewer[] = [];
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const send = (m: FromRoomWorker) => process.send?.(m);
/** CPU used at the last `stats`: each answer gives the CPU since the one before. */
let cpuAtStats = cpuMs();

const T = 0x74; // t
const QUOTE = 0x22;
const COLON = 0x3a;

/** Scans a frame for `"t":<digits>` (one per message) and `"h":1` (high priority). */
function scan(buf: Buffer, v: Viewer): void {
  frames++;
  bytes += buf.length;
  const now = Date.now();
  let i = 0;
  for (;;) {
    i = buf.indexOf('"t":', i);
    if (i < 0) break;
    i += 4;
    let t = 0;
    for (let c = buf[i]!; c >= 0x30 && c <= 0x39; c = buf[++i]!) t = t * 10 + (c - 0x30);
    // `"h":1` follows `t` in every body the workload sends.
    if (buf[i] === 0x2c && buf[i + 1] === QUOTE && buf[i + 2] === 0x68 && buf[i + 3] === QUOTE && buf[i + 4] === COLON && buf[i + 5] === 0x31) v.high++;
    messages++;
    const d = now - t;
    hist[d < 0 ? 0 : d > MAX_MS ? MAX_MS : d]!++;
  }
  void T;
}

function open(target: 'natter' | 'ws-floor', url: string, room: string, localAddress: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { localAddress, perMessageDeflate: false });
    const v: Viewer = { ws, high: 0 };
    let joined = false;
    ws.once('error', reject);
    ws.once('open', () => {
      if (target === 'natter') ws.send(JSON.stringify({ type: 'room.join', id: 1, roomId: room }));
      else {
        ws.send(`J${room}`);
        joined = true;
        viewers.push(v);
        resolve();
      }
    });
    ws.on('message', (data: Buffer) => {
      if (!joined) {
        const s = data.toString('latin1', 0, 40);
        if (s.startsWith('{"type":"result"')) {
          joined = true;
          viewers.push(v);
          resolve();
        } else if (s.startsWith('{"type":"error"')) reject(new Error(data.toString()));
        return;
      }
      scan(data, v);
    });
    ws.on('close', () => {
      if (!joined) reject(new Error('closed before joining'));
    });
  });
}

process.on('disconnect', () => process.exit(0));
process.on('message', (m: ToRoomWorker) => {
  switch (m.cmd) {
    case 'connect': {
      const url = m.target === 'natter' ? `ws://${m.host}:${m.port}/v1/ws` : `ws://${m.host}:${m.port}/`;
      const t0 = performance.now();
      let failed = 0;
      let firstError = '';
      void forEachLimit(m.count, m.concurrency, async (i) => {
        try {
          await within(open(m.target, url, m.room, m.sources[i % m.sources.length]!), 60_000, 'join');
        } catch (err) {
          if (failed++ === 0) firstError = err instanceof Error ? err.message : String(err);
        }
      }).then(() => send({ ev: 'connected', ok: viewers.length, failed, firstError, ms: performance.now() - t0 }));
      return;
    }
    case 'stats': {
      const pairs: [number, number][] = [];
      for (let ms = 0; ms <= MAX_MS; ms++) if (hist[ms]! > 0) pairs.push([ms, hist[ms]!]);
      send({
        ev: 'stats',
        hist: pairs,
        messages,
        highPerViewer: viewers.map((v) => v.high),
        frames,
        bytes,
        open: viewers.filter((v) => v.ws.readyState === WebSocket.OPEN).length,
        cpuMs: cpuMs() - cpuAtStats,
      });
      cpuAtStats = cpuMs();
      hist = new Uint32Array(MAX_MS + 1);
      messages = 0;
      frames = 0;
      bytes = 0;
      for (const v of viewers) v.high = 0;
      return;
    }
    case 'peek':
      send({ ev: 'peek', messages });
      return;
    case 'close':
      for (const v of viewers) v.ws.terminate();
      send({ ev: 'closed' });
      setTimeout(() => process.exit(0), 300).unref();
      return;
  }
});
