/**
 * Direct: P pairs ping-ponging in their own room (a Natter direct conversation). A sends a
 * ping, B answers it at once, A times the round trip and pings again: one message in flight
 * per pair. Measures round trips/s and round-trip latency; a pair that hears nothing for 5 s
 * counts a loss and pings again.
 *
 * With `rate` > 0 the pairs are paced to that many round trips a second in all (each pair
 * pings at most once per `pairs / rate` seconds): a fixed load every target sustains, where CPU
 * per round trip compares like with like. Without it each target runs as fast as it answers,
 * and the faster one also batches more per wake-up.
 */
import { Histogram } from '../lib/hist.js';
import { clientMsgId, markText, nowUs, readMarkBuf, readMarkStr, wallMs, type Mark } from '../lib/marker.js';
import { CpuMeter, LoopDelayMeter, rssBytes, SelfCpuMeter, sleep } from '../lib/proc.js';
import type { BenchClient, Connect, RunningTarget } from '../targets/target.js';
import { closeAll, connectAll, round } from './common.js';

export interface DirectOptions {
  pairs: number;
  warmupS: number;
  durationS: number;
  size: number;
  /** Round trips per second in all, spread over the pairs; 0: as fast as each pair is answered. */
  rate: number;
}

export interface DirectResult {
  [k: string]: number;
  roundTripsPerS: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  lost: number;
  errors: number;
  genCpu: number;
  /** The generator's event-loop delay p99 (ms) in the window: its own share of a latency. */
  genLoopP99Ms: number;
  genLoopMaxMs: number;
  /** The generator's GC pauses: % of the window, and the longest (ms). */
  genGcPct: number;
  genGcMaxMs: number;
  serverCpu: number;
  /** The server's busiest event-loop thread (its main thread), % of one core. */
  serverLoopCpu: number;
  serverRssMB: number;
}

const STALL_US = 5e6;
let runSeq = 0;

export function directRooms(pairs: number): number[][] {
  return Array.from({ length: pairs }, (_, p) => [2 * p, 2 * p + 1]);
}

export async function runDirect(target: RunningTarget, connect: Connect, rooms: string[], o: DirectOptions): Promise<DirectResult> {
  const tag = `${process.pid.toString(36)}d${(runSeq++).toString(36)}`;
  const hist = new Histogram();
  const next = new Array<number>(o.pairs).fill(0);
  const lastMove = new Array<number>(o.pairs).fill(0);
  let windowFrom = Infinity;
  let windowTo = Infinity;
  let stopping = false;
  let inWindow = 0;
  let lost = 0;
  let errors = 0;
  let clients: BenchClient[] = [];
  let ack = 1;

  const intervalUs = o.rate > 0 ? (o.pairs / o.rate) * 1e6 : 0;
  const lastPing = new Array<number>(o.pairs).fill(-Infinity);
  const ping = (p: number) => {
    const n = next[p]!++;
    lastMove[p] = nowUs();
    lastPing[p] = lastMove[p]!;
    clients[2 * p]!.publish(rooms[p]!, markText(2 * p, n, nowUs(), o.size), ack++, clientMsgId(tag, 2 * p, n));
  };

  const mark: Mark = { sender: 0, n: 0, t: 0 };
  clients = await connectAll(
    connect,
    2 * o.pairs,
    (i) => [rooms[i >> 1]!],
    (i) => {
      const p = i >> 1;
      const isA = (i & 1) === 0;
      return {
        onDelivery(payload) {
          const ok = typeof payload === 'string' ? readMarkStr(payload, mark) : readMarkBuf(payload, mark);
          if (!ok || mark.sender === i) return; // own echo
          if (!isA) {
            // B answers A's ping, carrying A's send time back. The answer's id is made from the
            // ping alone, so a ping delivered twice is answered once (the server de-duplicates).
            clients[i]!.publish(rooms[p]!, markText(i, mark.n, mark.t, o.size), ack++, clientMsgId(tag, i, mark.n, wallMs(mark.t)));
            return;
          }
          if (mark.n !== next[p]! - 1) return; // a late answer to a ping already given up on
          const now = nowUs();
          if (mark.t >= windowFrom && now <= windowTo) {
            hist.record(now - mark.t);
            inWindow++;
          }
          if (stopping) return;
          // Paced: the next ping waits for the pair's slot (each round trip is still timed from
          // its own send).
          const wait = lastPing[p]! + intervalUs - now;
          if (wait <= 500) ping(p);
          else setTimeout(() => !stopping && ping(p), wait / 1000);
        },
        onAck() {},
        onError() {
          errors++;
        },
      };
    },
    { concurrency: 64, spread: 4 },
  );
  try {
    const serverCpu = new CpuMeter(target.pid);
    const genCpu = new SelfCpuMeter();
    const genLoop = new LoopDelayMeter();
    // Paced pairs start spread over one interval, not all at once.
    for (let p = 0; p < o.pairs; p++) {
      if (intervalUs === 0) ping(p);
      else setTimeout(() => ping(p), ((p / o.pairs) * intervalUs) / 1000);
    }
    await sleep(o.warmupS * 1000);
    windowFrom = nowUs();
    windowTo = windowFrom + o.durationS * 1e6;
    serverCpu.start();
    genCpu.start();
    genLoop.start();
    while (nowUs() < windowTo) {
      await sleep(250);
      const now = nowUs();
      for (let p = 0; p < o.pairs; p++) {
        if (now - lastMove[p]! > STALL_US) {
          lost++;
          ping(p);
        }
      }
    }
    stopping = true;
    const gen = genCpu.stop();
    const genLoopDelay = genLoop.stop();
    const srv = serverCpu.stop();
    const lat = hist.summaryMs();
    return {
      roundTripsPerS: round(inWindow / o.durationS),
      p50Ms: lat.p50,
      p99Ms: lat.p99,
      maxMs: lat.max,
      lost,
      errors,
      genCpu: round(gen),
      genLoopP99Ms: genLoopDelay.p99Ms,
      genLoopMaxMs: genLoopDelay.maxMs,
      genGcPct: genLoopDelay.gcPct,
      genGcMaxMs: genLoopDelay.gcMaxMs,
      serverCpu: round(srv),
      serverLoopCpu: round(serverCpu.loop),
      serverRssMB: round(rssBytes(target.pid) / 2 ** 20),
    };
  } finally {
    stopping = true;
    await sleep(200);
    closeAll(clients);
  }
}
