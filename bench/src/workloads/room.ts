/**
 * Room: one live room with V viewers, opened by several generator processes (room-worker.ts)
 * from 127.0.0.x source addresses, while senders ramp the room's message rate step by step
 * (e.g. 1 → 50 → 500 messages/s), a fraction of them high priority (Natter: sent by the host;
 * the rest by ordinary users, normal priority). Per step: send → viewer delay p50/p99/max,
 * messages delivered per second (message × viewer), the share of high-priority messages that
 * reached every viewer, normal messages the room's budget sampled away, the server's CPU and
 * its CPU per delivered message. The ws floor runs the same viewers and rates with one frame
 * per message per viewer (no aggregation), as far as `floorMaxRate`. Every loop is bounded:
 * a step sends for `stepS`, then waits at most `drainS` before reading the figures.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { CpuMeter, SelfCpuMeter, sleep, spawnChild, stopChild } from '../lib/proc.js';
import type { RunningTarget } from '../targets/target.js';
import { round, type RunRecord } from './common.js';
import type { FromRoomWorker, RoomWorkerStats, ToRoomWorker } from './room-worker.js';

export interface RoomOptions {
  viewers: number;
  workers: number;
  rates: number[];
  /** Share of messages sent high priority (gifts, the host). */
  highFraction: number;
  stepS: number;
  /** After a step, wait until deliveries stop arriving (checked every second) for at most this long. */
  drainS: number;
  /** Room settings (Natter). */
  tickMs: number;
  budgetPerViewer: number;
  /** Bytes of padding in each message body. */
  size: number;
  /** The ws floor is driven up to this rate only (it sends one frame per message per viewer). */
  floorMaxRate: number;
  /** Chat senders (Natter: users of normal priority). */
  senders: number;
}

const WORKER = fileURLToPath(new URL('./room-worker.js', import.meta.url));

class Generator {
  private readonly waiting: ((m: FromRoomWorker) => void)[] = [];
  constructor(readonly child: ChildProcess) {
    child.on('message', (m: FromRoomWorker) => this.waiting.shift()?.(m));
  }
  ask(m: ToRoomWorker, timeoutMs: number): Promise<FromRoomWorker> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`room worker: no answer to ${m.cmd} in ${timeoutMs} ms`)), timeoutMs);
      this.waiting.push((r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.child.send(m);
    });
  }
}

/** A raw authenticated Natter socket that sends requests without waiting for each answer. */
class NatterSender {
  errors = 0;
  /** Refusals by error code. */
  readonly codes = new Map<string, number>();
  private next = 1;
  private readonly pending = new Map<number, (data: any) => void>();
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d: Buffer) => {
      const f = JSON.parse(d.toString()) as { type: string; id?: number; data?: unknown; error?: { code: string } };
      if (f.id === undefined) return;
      const p = this.pending.get(f.id);
      this.pending.delete(f.id);
      if (f.type === 'error') {
        this.errors++;
        const code = f.error?.code ?? '?';
        this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
      }
      p?.(f.type === 'result' ? f.data : null);
    });
  }
  static async open(url: string, token: string): Promise<NatterSender> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const s = new NatterSender(ws);
    const auth = await s.request({ type: 'auth', token });
    if (!auth) throw new Error('room: sender auth failed');
    return s;
  }
  request(frame: Record<string, unknown>): Promise<any> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.ws.send(JSON.stringify({ ...frame, id }));
    });
  }
  fire(frame: Record<string, unknown>): void {
    void this.request(frame);
  }
}

function mergeHist(stats: RoomWorkerStats[]): { p50: number; p99: number; max: number; n: number } {
  const counts = new Map<number, number>();
  let n = 0;
  let max = 0;
  for (const s of stats) {
    for (const [ms, c] of s.hist) {
      counts.set(ms, (counts.get(ms) ?? 0) + c);
      n += c;
      if (ms > max) max = ms;
    }
  }
  const sorted = [...counts].sort((a, b) => a[0] - b[0]);
  const q = (x: number) => {
    const rank = Math.max(1, Math.ceil(x * n));
    let seen = 0;
    for (const [ms, c] of sorted) {
      seen += c;
      if (seen >= rank) return ms;
    }
    return max;
  };
  return { p50: q(0.5), p99: q(0.99), max, n };
}

/**
 * Runs every rate step against one target with V viewers; one record per step. `target` is
 * Natter (single process or cluster: pass `config` to say which) or the ws floor.
 */
export async function runRoom(
  target: RunningTarget,
  o: RoomOptions,
  config: string,
  emit: (r: RunRecord) => void,
  progress: (m: string) => void,
  rep: number,
): Promise<void> {
  const floor = target.name === 'ws-floor';
  const endpoint = target.endpoint();
  let room = 'room1';
  let host: NatterSender | null = null;
  const chatters: NatterSender[] = [];
  let floorSender: WebSocket | null = null;
  if (!floor) {
    await target.setup(1 + o.senders, [[0]], 'group');
    const tokens = target.endpoint().tokens!;
    const url = `ws://${endpoint.host}:${endpoint.port}/v1/ws`;
    host = await NatterSender.open(url, tokens[0]!);
    const created = await host.request({
      type: 'room.create',
      title: 'bench',
      settings: { anonymous: true, tickMs: o.tickMs, budgetPerViewer: o.budgetPerViewer, roomSendsPerSecond: 100_000, userSendsPer10s: 1000, retention: 50 },
    });
    room = created.id as string;
    for (let i = 1; i <= o.senders; i++) chatters.push(await NatterSender.open(url, tokens[i]!));
  } else {
    floorSender = new WebSocket(`ws://${endpoint.host}:${endpoint.port}/`, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      floorSender!.once('open', () => resolve());
      floorSender!.once('error', reject);
    });
  }

  const gens: Generator[] = [];
  try {
    for (let w = 0; w < o.workers; w++) gens.push(new Generator(spawnChild(process.execPath, [WORKER], { name: `room-worker-${w}`, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })));
    const per = Math.ceil(o.viewers / o.workers);
    const t0 = performance.now();
    const answers = await Promise.all(
      gens.map((g, k) => {
        const count = Math.max(0, Math.min(per, o.viewers - k * per));
        // Eight source addresses per generator: 127.0.0.(10 + 8k) …; about 2,000 viewers each.
        const sources = Array.from({ length: 8 }, (_, j) => `127.0.0.${10 + 8 * k + j}`);
        return g.ask({ cmd: 'connect', target: floor ? 'ws-floor' : 'natter', host: endpoint.host, port: endpoint.port, room, count, sources, concurrency: 200 }, 900_000);
      }),
    );
    let joined = 0;
    for (const a of answers) {
      if (a.ev !== 'connected') throw new Error('room worker: unexpected answer');
      joined += a.ok;
      if (a.failed > 0) progress(`  room ${target.name}: ${a.failed} viewers failed to join, first: ${a.firstError}`);
    }
    progress(`  room ${target.name}: ${joined} viewers joined in ${Math.round(performance.now() - t0)} ms`);
    await sleep(2000);

    const pad = 'x'.repeat(o.size);
    const highEvery = Math.max(1, Math.round(1 / o.highFraction));
    for (const rate of o.rates) {
      if (floor && rate > o.floorMaxRate) continue;
      // Reset the generators' counters.
      await Promise.all(gens.map((g) => g.ask({ cmd: 'stats' }, 60_000)));
      const cpu = new CpuMeter(target.pid);
      const self = new SelfCpuMeter();
      cpu.start();
      self.start();
      const sendErrors0 = chatters.reduce((a, c) => a + c.errors, host?.errors ?? 0);
      let sent = 0;
      let highSent = 0;
      /** High-priority sends the server accepted (a refused one is the sender's to retry, not a drop). */
      let highAccepted = 0;
      const started = performance.now();
      let nextChatter = 0;
      // Paced in 20 ms slices; bounded by the step's length.
      while (performance.now() - started < o.stepS * 1000) {
        const due = Math.floor(((performance.now() - started) / 1000) * rate) + 1;
        while (sent < due) {
          const high = sent % highEvery === 0;
          const t = Date.now();
          if (floor) floorSender!.send(`P${room}\n{"t":${t},"h":${high ? 1 : 0},"p":"${pad}"}`);
          else {
            const frame = { type: 'room.send', roomId: room, msgType: 'custom', body: { t, h: high ? 1 : 0, p: pad } };
            if (high) void host!.request(frame).then((d) => d && highAccepted++);
            else chatters[nextChatter++ % chatters.length]!.fire(frame);
          }
          sent++;
          if (high) highSent++;
        }
        await sleep(20);
      }
      const sendS = (performance.now() - started) / 1000;
      // Let the last ticks out: until no viewer got anything for a second, at most drainS.
      let before = -1;
      for (let waited = 0; waited < o.drainS; waited++) {
        await sleep(1000);
        const peeks = await Promise.all(gens.map((g) => g.ask({ cmd: 'peek' }, 60_000)));
        const now = peeks.reduce((a, p) => a + (p.ev === 'peek' ? p.messages : 0), 0);
        if (now === before && waited >= 1) break;
        before = now;
      }
      const wallS = (performance.now() - started) / 1000;
      const serverCpu = cpu.stop();
      const genCpu = self.stop();
      const stats = (await Promise.all(gens.map((g) => g.ask({ cmd: 'stats' }, 60_000)))) as RoomWorkerStats[];
      const h = mergeHist(stats);
      const messages = stats.reduce((a, s) => a + s.messages, 0);
      const highs = stats.flatMap((s) => s.highPerViewer);
      const open = stats.reduce((a, s) => a + s.open, 0);
      // The ws floor confirms nothing: every high message it was given counts.
      if (floor) highAccepted = highSent;
      const everyHigh = highs.filter((x) => x >= highAccepted).length;
      const codes = [host, ...chatters].filter((c) => c !== null).flatMap((c) => [...c.codes]);
      for (const c of [host, ...chatters]) c?.codes.clear();
      const deliveredPerS = messages / sendS;
      const sendErrors = chatters.reduce((a, c) => a + c.errors, host?.errors ?? 0) - sendErrors0;
      const r: RunRecord = {
        workload: 'room',
        config: `${config}, ${rate}/s`,
        target: target.name,
        rep,
        viewers: joined,
        open,
        rate,
        sentPerS: round(sent / sendS),
        highSent,
        highAccepted,
        sendErrors,
        sendErrorCodes: [...new Set(codes.map(([k]) => k))].join(' ') || null,
        deliveredPerS: Math.round(deliveredPerS),
        // Of the messages sent, how many each viewer got on average (Natter samples normal ones under the budget).
        perViewerPerS: round(messages / Math.max(1, joined) / sendS),
        p50Ms: h.p50,
        p99Ms: h.p99,
        maxMs: h.max,
        // Of the high-priority messages the server accepted, the share that reached every viewer.
        highDeliveredPct: round((100 * highs.reduce((a, x) => a + Math.min(x, highAccepted), 0)) / Math.max(1, joined * highAccepted), 2),
        viewersWithEveryHigh: everyHigh,
        framesPerS: Math.round(stats.reduce((a, s) => a + s.frames, 0) / sendS),
        bytesPerMessage: round(stats.reduce((a, s) => a + s.bytes, 0) / Math.max(1, messages)),
        serverCpu: round(serverCpu),
        serverLoopCpu: round(cpu.loop),
        // Over the send and drain window: what the server spent per message × viewer delivered.
        cpuPerDeliveryUs: round((serverCpu * 10_000 * wallS) / Math.max(1, messages) / 1, 3),
        genCpu: round(genCpu),
        genWorkersCpu: round(stats.reduce((a, s) => a + s.cpuMs, 0) / 10 / wallS),
      };
      emit(r);
      progress(
        `  room ${target.name} ${rate}/s: p99 ${h.p99} ms, ${r.deliveredPerS} deliveries/s, high ${r.highDeliveredPct} %, srv ${r.serverCpu}% (loop ${r.serverLoopCpu}%), ${r.cpuPerDeliveryUs} µs/delivery, open ${open}`,
      );
    }
  } finally {
    for (const g of gens) await g.ask({ cmd: 'close' }, 30_000).catch(() => undefined);
    await Promise.all(gens.map((g) => stopChild(g.child, 'SIGTERM', 3000)));
    host?.ws.terminate();
    for (const c of chatters) c.ws.terminate();
    floorSender?.terminate();
  }
}
