/**
 * Fan-out: C clients in groups of S, one publisher per group (or `senders` members taking turns), publishing at a target total
 * rate (messages/s; deliveries/s is S times that, every member receives each message, the
 * sender included). Measures deliveries/s, send→receive latency on the generator's clock, and
 * counts every (message, member) pair: lost (an acknowledged message some member never got
 * within the drain time) and duplicated (a member got it twice). `findMax` raises the rate
 * until p99 > 100 ms, anything is lost, or the publishers cannot send at the rate asked.
 */
import { clientMsgId, nowUs, readMarkBuf, readMarkStr, markText, type Mark } from '../lib/marker.js';
import { CpuMeter, ioBytes, LoopDelayMeter, rssBytes, SelfCpuMeter, sleep } from '../lib/proc.js';
import type { BenchClient, Connect, RunningTarget } from '../targets/target.js';
import { closeAll, connectAll, round } from './common.js';
import { Trial } from './fanout-trial.js';

export interface FanoutOptions {
  clients: number;
  groupSize: number;
  warmupS: number;
  durationS: number;
  /** Body text size in characters. */
  size: number;
  /** Members of a group who take turns sending its messages (the first `senders`; 1: the owner alone). */
  senders: number;
  /** Longest wait after the last send for deliveries to arrive. */
  drainS: number;
  /** Unacknowledged sends per publisher before it holds back (backpressure). */
  maxUnacked: number;
}

export interface TrialResult {
  [k: string]: number | boolean;
  rate: number;
  sentPerS: number;
  deliveredPerS: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  lost: number;
  duplicated: number;
  unacked: number;
  errors: number;
  held: number;
  genCpu: number;
  /** The generator's event-loop delay p99 (ms) in the window: its own share of a latency. */
  genLoopP99Ms: number;
  genLoopMaxMs: number;
  /** The generator's GC pauses: % of the window, and the longest (ms). */
  genGcPct: number;
  genGcMaxMs: number;
  /** Deliveries in the window later than LATE_MS (% of them), and of those, % stamped right after a generator stall. */
  lateOver10msPct: number;
  lateAfterGenStallPct: number;
  serverCpu: number;
  /** The server's busiest event-loop thread (its main thread), % of one core. */
  serverLoopCpu: number;
  serverRssMB: number;
  /** The server's read and write calls (sockets and files) per message delivered. */
  serverSyscallsPerDelivery: number;
}

let runSeq = 0;

/** Clients connected to one target, grouped; trials run on them one after another. */
export class FanoutSession {
  private clients: BenchClient[] = [];

  /** Ack frames the clients have sent so far. */
  private acksSent(): number {
    let n = 0;
    for (const c of this.clients) n += c.acksSent?.() ?? 0;
    return n;
  }
  private readonly groups: number;
  private readonly S: number;
  /** Per publisher (group): message numbers start here in the current trial. */
  private readonly base: number[];
  private readonly next: number[];
  private trial: Trial | null = null;
  private readonly runTag = `${process.pid.toString(36)}${(runSeq++).toString(36)}`;

  constructor(
    private readonly target: RunningTarget,
    private readonly connect: Connect,
    private readonly rooms: string[],
    private readonly o: FanoutOptions,
  ) {
    this.S = o.groupSize;
    this.groups = Math.floor(o.clients / o.groupSize);
    this.base = new Array<number>(this.groups).fill(0);
    this.next = new Array<number>(this.groups).fill(0);
  }

  /** Members of group g are clients g*S … g*S+S-1; the first is the publisher and owner. */
  static roomMembers(o: Pick<FanoutOptions, 'clients' | 'groupSize'>): number[][] {
    const groups = Math.floor(o.clients / o.groupSize);
    return Array.from({ length: groups }, (_, g) => Array.from({ length: o.groupSize }, (_, m) => g * o.groupSize + m));
  }

  async open(): Promise<void> {
    const S = this.S;
    const mark: Mark = { sender: 0, n: 0, t: 0 };
    this.clients = await connectAll(
      this.connect,
      this.groups * S,
      (i) => [this.rooms[Math.floor(i / S)]!],
      (i) => {
        const g = Math.floor(i / S);
        const member = i % S;
        return {
          onDelivery: (payload) => {
            const ok = typeof payload === 'string' ? readMarkStr(payload, mark) : readMarkBuf(payload, mark);
            if (ok) this.trial?.delivered(g, member, mark);
          },
          onAck: (ack) => this.trial?.acked(g, ack),
          onError: (detail) => this.trial?.error(detail),
        };
      },
      { concurrency: 64, spread: 4 },
    );
  }

  close(): void {
    closeAll(this.clients);
    this.clients = [];
  }

  /** One trial at `rate` messages/s in total. */
  async run(rate: number): Promise<TrialResult> {
    const o = this.o;
    const perPub = Math.ceil((rate / this.groups) * (o.warmupS + o.durationS)) + 8;
    for (let g = 0; g < this.groups; g++) this.base[g] = this.next[g]!;
    const trial = new Trial(this.groups, this.S, perPub, this.base);
    trial.stalls.start();
    this.trial = trial;
    const serverCpu = new CpuMeter(this.target.pid);
    const genCpu = new SelfCpuMeter();
    const genLoop = new LoopDelayMeter();

    const t0 = nowUs();
    const measureFrom = t0 + o.warmupS * 1e6;
    const end = measureFrom + o.durationS * 1e6;
    trial.windowFrom = measureFrom;
    trial.windowTo = end;
    let sent = 0;
    let rr = 0;
    let measuring = false;
    let sentAtMeasure = 0;
    let syscallsAtMeasure = 0;
    let acksAtMeasure = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = nowUs();
        if (!measuring && now >= measureFrom) {
          measuring = true;
          sentAtMeasure = sent;
          serverCpu.start();
          genCpu.start();
          genLoop.start();
          syscallsAtMeasure = ioBytes(this.target.pid).syscalls;
          acksAtMeasure = this.acksSent();
        }
        if (now >= end) {
          resolve();
          return;
        }
        let due = Math.floor(((now - t0) / 1e6) * rate) - sent;
        // Each tick sends what the schedule says is due, round-robin over publishers; a
        // publisher with too many unacknowledged sends is skipped (held) rather than flooding.
        let skips = 0;
        while (due > 0 && skips < this.groups) {
          const g = rr;
          rr = (rr + 1) % this.groups;
          const idx = this.next[g]! - this.base[g]!;
          if (idx >= perPub || trial.unackedOf(g) >= o.maxUnacked) {
            skips++;
            trial.held++;
            continue;
          }
          skips = 0;
          const n = this.next[g]!;
          this.next[g] = n + 1;
          trial.sentAt(g, idx);
          const sender = this.clients[g * this.S + (n % o.senders)]!;
          sender.publish(this.rooms[g]!, markText(g, n, nowUs(), o.size), n, clientMsgId(this.runTag, g, n));
          sent++;
          due--;
        }
        setTimeout(tick, 2);
      };
      tick();
    });
    const sentInWindow = sent - sentAtMeasure;
    const gen = genCpu.stop();
    const genLoopDelay = genLoop.stop();
    trial.stalls.stop();
    const srv = serverCpu.stop();
    const syscalls = ioBytes(this.target.pid).syscalls - syscallsAtMeasure;
    const acks = this.acksSent() - acksAtMeasure;
    const deliveredInWindow = trial.inWindow;
    // Drain: wait until every acknowledged message has reached every member, or nothing moves.
    const drainEnd = Date.now() + o.drainS * 1000;
    let last = -1;
    let still = 0;
    while (Date.now() < drainEnd) {
      const missing = trial.missing();
      if (missing === 0 && trial.unacked() === 0) break;
      if (missing === last) {
        if (++still >= 20) break;
      } else still = 0;
      last = missing;
      await sleep(100);
    }
    this.trial = null;
    const lat = trial.hist.summaryMs();
    return {
      rate,
      sentPerS: round(sentInWindow / o.durationS),
      deliveredPerS: round(trial.inWindow / o.durationS),
      p50Ms: lat.p50,
      p99Ms: lat.p99,
      maxMs: lat.max,
      lost: trial.missing(),
      duplicated: trial.duplicated,
      unacked: trial.unacked(),
      errors: trial.errors,
      held: trial.held,
      genCpu: round(gen),
      genLoopP99Ms: genLoopDelay.p99Ms,
      genLoopMaxMs: genLoopDelay.maxMs,
      genGcPct: genLoopDelay.gcPct,
      genGcMaxMs: genLoopDelay.gcMaxMs,
      lateOver10msPct: Math.round((1000 * trial.late) / Math.max(1, trial.hist.count)) / 10,
      lateAfterGenStallPct: Math.round((1000 * trial.lateAfterStall) / Math.max(1, trial.late)) / 10,
      serverCpu: round(srv),
      serverLoopCpu: round(serverCpu.loop),
      serverRssMB: round(rssBytes(this.target.pid) / 2 ** 20),
      serverSyscallsPerDelivery: Math.round((100 * syscalls) / Math.max(1, deliveredInWindow)) / 100,
      // Late deliveries are acked several at a time: CPU per delivery compares only at like ack rates.
      ...(this.clients.some((c) => c.acksSent) && { acksPerDelivery: Math.round((1000 * acks) / Math.max(1, deliveredInWindow)) / 1000 }),
    };
  }
}

export interface FindMaxOptions {
  startRate: number;
  factor: number;
  maxSteps: number;
  /** Bisections between the last passing rate and the first failing one. */
  refine: number;
  p99LimitMs: number;
}

/** Whether a trial kept up: p99 within the limit, nothing lost, and the rate actually sent. */
export function passed(r: TrialResult, o: FindMaxOptions, durationS: number): boolean {
  return r.p99Ms <= o.p99LimitMs && r.lost === 0 && r.unacked === 0 && r.sentPerS >= 0.95 * r.rate && r.deliveredPerS > 0 && durationS > 0;
}

/**
 * Raises the rate by `factor` while trials pass, then bisects `refine` times between the last
 * pass and the lowest failure (or, if the first rate fails, lowers it until one passes). A failed step is run once more before it counts, so one hiccup of the
 * shared machine does not end the climb. Returns the best passing trial (or the first, failed,
 * one) and all steps.
 */
export async function findMax(session: Pick<FanoutSession, 'run'>, o: FindMaxOptions, durationS: number, log: (r: TrialResult) => void): Promise<{ best: TrialResult | null; steps: TrialResult[] }> {
  const steps: TrialResult[] = [];
  let best: TrialResult | null = null;
  let rate = o.startRate;
  let failedAt = 0;
  const attempt = async (at: number): Promise<TrialResult> => {
    let r = await session.run(Math.round(at));
    r.passed = passed(r, o, durationS);
    steps.push(r);
    log(r);
    if (!r.passed) {
      r = await session.run(Math.round(at));
      r.passed = passed(r, o, durationS);
      r.retried = true;
      steps.push(r);
      log(r);
    }
    return r;
  };
  const first = await attempt(rate);
  if (!first.passed) {
    // Even the first rate was too much (a noisy moment, or a start taken from an earlier
    // maximum): step down until a rate passes.
    for (let i = 0; i < o.maxSteps && !best && rate / o.factor >= 1; i++) {
      rate /= o.factor;
      const r = await attempt(rate);
      if (r.passed) best = r;
    }
    return { best, steps };
  }
  best = first;
  for (let i = 1; i < o.maxSteps; i++) {
    rate *= o.factor;
    const r = await attempt(rate);
    if (!r.passed) {
      failedAt = rate;
      break;
    }
    best = r;
  }
  // Bisect (geometrically) between the last pass and the lowest failure: two halvings take the
  // resolution from ×1.5 to ×1.11, so repetitions that straddle a step differ by ~10 %, not 50 %.
  let low = best.rate;
  for (let i = 0; i < o.refine && failedAt > 0; i++) {
    const at = Math.sqrt(low * failedAt);
    if (Math.round(at) <= Math.round(low) || Math.round(at) >= Math.round(failedAt)) break;
    const r = await attempt(at);
    if (r.passed) {
      low = at;
      if (r.deliveredPerS > best.deliveredPerS) best = r;
    } else failedAt = at;
  }
  return { best, steps };
}
