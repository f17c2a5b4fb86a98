/**
 * Abuse (Natter only; issue 18 finding 1): bystanders' send latency while one user floods
 * history requests. The attacker fills a conversation of their own with 200 messages of 4,000
 * U+0001 characters (each escapes to 6 bytes in JSON: ~24 KB a message, 4.8 MB for a page of
 * 200 where no byte budget caps it), then, for the flood's duration, asks for
 * `messages after 0 limit 200` from `sockets` WebSockets that stop reading (1,000 requests each,
 * replaced when the server closes one) and from `http` loops of
 * `GET /v1/conversations/:id/messages`. Meanwhile `pairs` bystanders each send one message at a
 * time (20 ms apart) in a direct conversation: send → result latency, quiet (before the flood)
 * and flooded. A bystander request still unanswered when the flood ends is waited for (up to
 * 60 s) and counted with its full latency (60 s when it timed out).
 */
import WebSocket from 'ws';
import { SelfCpuMeter } from '../lib/proc.js';
import type { NatterTarget } from '../targets/natter.js';
import { round } from './common.js';

export interface AbuseOptions {
  pairs: number;
  sockets: number;
  http: number;
  quietS: number;
  floodS: number;
}

export interface AbuseResult {
  [k: string]: number;
  quietSends: number;
  quietP50Ms: number;
  quietP99Ms: number;
  floodSends: number;
  floodP50Ms: number;
  floodP99Ms: number;
  floodMaxMs: number;
  /** Bystander sends unanswered after BYSTANDER_TIMEOUT_MS (counted with that latency). */
  floodTimeouts: number;
  /** History pages the attacker got (WebSocket answers are not read: counted by HTTP only). */
  httpPages: number;
  http429: number;
  socketsOpened: number;
  genCpu: number;
}

/** A minimal JSON request/answer client over one socket. */
class Raw {
  private next = 1;
  private readonly waiting = new Map<
    number,
    (f: { type: string; data?: unknown; error?: { code: string } }) => void
  >();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as { id?: number; type: string };
      if (f.id !== undefined) this.waiting.get(f.id)?.(f);
      if (f.id !== undefined) this.waiting.delete(f.id);
    });
    ws.on('error', () => {});
  }

  static async open(url: string, token: string, timeoutMs = 60_000): Promise<Raw> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const c = new Raw(ws);
    const r = await c.request({ type: 'auth', token }, timeoutMs);
    if (r.type !== 'result') throw new Error(`abuse: auth failed: ${JSON.stringify(r)}`);
    return c;
  }

  request(
    frame: Record<string, unknown>,
    timeoutMs = 120_000,
  ): Promise<{ type: string; data?: unknown; error?: { code: string } }> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('abuse: no answer in time')), timeoutMs);
      this.waiting.set(id, (f) => {
        clearTimeout(timer);
        resolve(f);
      });
      this.ws.send(JSON.stringify({ ...frame, id }));
    });
  }
}

/** Users: 0 the attacker, then the pairs. Returns the heavy conversation and the pairs' direct ones. */
export async function prepareAbuse(
  t: NatterTarget,
  o: AbuseOptions,
): Promise<{ heavy: string; direct: string[] }> {
  const rooms = [[0], ...Array.from({ length: o.pairs }, (_, p) => [1 + 2 * p, 2 + 2 * p])];
  const ids = await t.setup(1 + 2 * o.pairs, rooms.slice(0, 1), 'group');
  const direct = await t.setup(1 + 2 * o.pairs, rooms.slice(1), 'direct');
  const heavy = ids[0]!;
  const c = await Raw.open(t.wsUrl, t.users[0]!.token);
  const text = '\u0001'.repeat(4000);
  for (let i = 0; i < 200; i += 50) {
    const sent = await Promise.all(
      Array.from({ length: 50 }, (_, j) =>
        c.request({
          type: 'send',
          conversationId: heavy,
          clientMsgId: `heavy-${i + j}`,
          msgType: 'text',
          body: { text },
        }),
      ),
    );
    if (sent.some((r) => r.type !== 'result'))
      throw new Error(
        `abuse: filling the heavy conversation failed: ${JSON.stringify(sent.find((r) => r.type !== 'result'))}`,
      );
  }
  c.ws.close();
  return { heavy, direct };
}

const BYSTANDER_TIMEOUT_MS = 60_000;

const pct = (sorted: number[], p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

export async function runAbuse(
  t: NatterTarget,
  heavy: string,
  direct: string[],
  o: AbuseOptions,
): Promise<AbuseResult> {
  const cpu = new SelfCpuMeter();
  cpu.start();
  const senders = await Promise.all(direct.map((_, p) => Raw.open(t.wsUrl, t.users[1 + 2 * p]!.token)));
  const phase = { flooding: false, done: false };
  const quiet: number[] = [];
  const flooded: number[] = [];
  let timeouts = 0;
  // Never rejects: a send unanswered for BYSTANDER_TIMEOUT_MS counts with that latency (a lower
  // bound: the server without budgets took longer than that) and ends that bystander's run.
  const bystanders = senders.map(async (c, p) => {
    for (let i = 0; !phase.done; i++) {
      const during = phase.flooding;
      const started = performance.now();
      let r: Awaited<ReturnType<Raw['request']>>;
      try {
        r = await c.request(
          {
            type: 'send',
            conversationId: direct[p],
            clientMsgId: `b${Date.now()}-${p}-${i}`,
            msgType: 'text',
            body: { text: `hello ${i}` },
          },
          BYSTANDER_TIMEOUT_MS,
        );
      } catch {
        timeouts++;
        (during || phase.flooding ? flooded : quiet).push(BYSTANDER_TIMEOUT_MS);
        return;
      }
      if (r.type !== 'result') throw new Error(`abuse: a bystander's send failed: ${JSON.stringify(r)}`);
      (during || phase.flooding ? flooded : quiet).push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  const bystandersDone = Promise.allSettled(bystanders);
  await new Promise((r) => setTimeout(r, o.quietS * 1000));

  phase.flooding = true;
  const stopAt = Date.now() + o.floodS * 1000;
  let socketsOpened = 0;
  let httpPages = 0;
  let http429 = 0;
  const frame = JSON.stringify({ type: 'messages', conversationId: heavy, after: 0, limit: 200 });
  const deaf = async () => {
    while (Date.now() < stopAt) {
      let c: Raw;
      try {
        c = await Raw.open(t.wsUrl, t.users[0]!.token);
      } catch {
        continue; // auth unanswered in time (a stalled server): try again while the flood lasts
      }
      socketsOpened++;
      // Stops reading: what it is sent piles up in the server.
      (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      for (
        let sent = 0;
        sent < 1000 && c.ws.readyState === WebSocket.OPEN && Date.now() < stopAt;
        sent += 100
      ) {
        for (let i = 0; i < 100; i++) c.ws.send(frame);
        await new Promise((r) => setTimeout(r, 50));
      }
      c.ws.terminate();
    }
  };
  const http = async () => {
    while (Date.now() < stopAt) {
      let res: Response;
      try {
        res = await fetch(`${t.url}/v1/conversations/${heavy}/messages?after=0&limit=200`, {
          headers: { authorization: `Bearer ${t.users[0]!.token}` },
          signal: AbortSignal.timeout(BYSTANDER_TIMEOUT_MS),
        });
        await res.arrayBuffer();
      } catch {
        continue;
      }
      if (res.status === 200) httpPages++;
      else if (res.status === 429) http429++;
    }
  };
  await Promise.all([...Array.from({ length: o.sockets }, deaf), ...Array.from({ length: o.http }, http)]);
  phase.done = true;
  for (const r of await bystandersDone) if (r.status === 'rejected') throw r.reason;
  for (const c of senders) c.ws.close();

  quiet.sort((x, y) => x - y);
  flooded.sort((x, y) => x - y);
  return {
    quietSends: quiet.length,
    quietP50Ms: round(pct(quiet, 0.5)),
    quietP99Ms: round(pct(quiet, 0.99)),
    floodSends: flooded.length,
    floodP50Ms: round(pct(flooded, 0.5)),
    floodP99Ms: round(pct(flooded, 0.99)),
    floodMaxMs: round(flooded.at(-1) ?? 0),
    floodTimeouts: timeouts,
    httpPages,
    http429,
    socketsOpened,
    genCpu: round(cpu.stop()),
  };
}
