/**
 * A generator process for the idle workload: opens its share of connections (from its own
 * 127.0.0.x source addresses), holds them, and reports timings and its own CPU to the parent
 * over IPC. Started by idle.ts with child_process.fork; exits when told to close or when the
 * parent goes away.
 */
import { forEachLimit, within } from '../lib/pool.js';
import { connectorFor } from '../targets/index.js';
import type { BenchClient, Endpoint } from '../targets/target.js';

export type ToWorker =
  | { cmd: 'connect'; endpoint: Endpoint; count: number; sources: string[]; concurrency: number }
  | { cmd: 'cpu' }
  | { cmd: 'close' };

export type FromWorker =
  | { ev: 'connected'; ok: number; failed: number; ms: number; firstError: string; cpuMs: number }
  | { ev: 'cpu'; cpuMs: number }
  | { ev: 'closed'; dropped: number };

const clients: BenchClient[] = [];
let dropped = 0;
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const send = (m: FromWorker) => process.send?.(m);

process.on('disconnect', () => process.exit(0));
process.on('message', (m: ToWorker) => {
  switch (m.cmd) {
    case 'connect': {
      const connect = connectorFor(m.endpoint);
      const t0 = performance.now();
      const c0 = cpuMs();
      let failed = 0;
      let firstError = '';
      const handlers = {
        onDelivery() {},
        onAck() {},
        onClose() {
          dropped++;
        },
      };
      void forEachLimit(m.count, m.concurrency, async (i) => {
        try {
          clients.push(await within(connect(i, [], handlers, m.sources[i % m.sources.length]), 60_000, 'connect'));
        } catch (err) {
          if (failed++ === 0) firstError = err instanceof Error ? err.message : String(err);
        }
      }).then(() => send({ ev: 'connected', ok: clients.length, failed, ms: performance.now() - t0, firstError, cpuMs: cpuMs() - c0 }));
      return;
    }
    case 'cpu':
      send({ ev: 'cpu', cpuMs: cpuMs() });
      return;
    case 'close': {
      // Counted before closing: drops while idle are what matters.
      const d = dropped;
      for (const c of clients) c.close();
      send({ ev: 'closed', dropped: d });
      setTimeout(() => process.exit(0), 500).unref();
      return;
    }
  }
});
