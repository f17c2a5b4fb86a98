/** What the load workloads share: opening many clients at once, and the record each run yields. */
import { forEachLimit, within } from '../lib/pool.js';
import type { BenchClient, Connect, Handlers, TargetName } from '../targets/target.js';
import { sourceAddress } from '../targets/target.js';

/** One run's figures: printed as one JSON line, and the input of the summary tables. */
export interface RunRecord {
  workload: string;
  /** e.g. "1000x20" (clients x group size). */
  config: string;
  target: TargetName;
  rep: number;
  [metric: string]: string | number | boolean | null;
}

export interface ConnectOptions {
  concurrency?: number;
  /** How many 127.0.0.x source addresses to spread over. */
  spread?: number;
  timeoutMs?: number;
}

/** Opens clients 0..n-1 (at most `concurrency` handshakes at once); throws on the first failure. */
export async function connectAll(
  connect: Connect,
  n: number,
  roomsOf: (i: number) => string[],
  handlersOf: (i: number) => Handlers,
  o: ConnectOptions = {},
): Promise<BenchClient[]> {
  const clients = new Array<BenchClient>(n);
  try {
    await forEachLimit(n, o.concurrency ?? 64, async (i) => {
      clients[i] = await within(connect(i, roomsOf(i), handlersOf(i), sourceAddress(i, o.spread ?? 4)), o.timeoutMs ?? 30_000, `client ${i} connect`);
    });
  } catch (err) {
    closeAll(clients);
    throw err;
  }
  return clients;
}

export function closeAll(clients: (BenchClient | undefined)[]): void {
  for (const c of clients) {
    try {
      c?.close();
    } catch {
      // closing anyway
    }
  }
}

export const round = (v: number, digits = 1): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};
