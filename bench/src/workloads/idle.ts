/**
 * Idle: N authenticated connections that do nothing, opened by several generator processes
 * (idle-worker.ts), each from its own 127.0.0.x source addresses. Measures the server's RSS
 * per connection (after minus before, on a freshly restarted server), its CPU while they sit
 * idle, and how fast they were opened.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CpuMeter, rssBytes, sleep, spawnChild, stopChild } from '../lib/proc.js';
import type { RunningTarget } from '../targets/target.js';
import { round } from './common.js';
import type { FromWorker, ToWorker } from './idle-worker.js';

export interface IdleOptions {
  connections: number;
  workers: number;
  /** Seconds to let the server settle after connecting, before RSS is read. */
  settleS: number;
  /** Seconds over which idle CPU is measured. */
  idleS: number;
}

export interface IdleResult {
  [k: string]: number;
  connected: number;
  failed: number;
  connectMs: number;
  connectPerS: number;
  rssBeforeMB: number;
  serverRssMB: number;
  rssPerConnKB: number;
  idleCpu: number;
  genCpuMax: number;
  dropped: number;
}

const WORKER = fileURLToPath(new URL('./idle-worker.js', import.meta.url));

class Worker {
  private readonly waiting: ((m: FromWorker) => void)[] = [];
  constructor(readonly child: ChildProcess) {
    child.on('message', (m: FromWorker) => this.waiting.shift()?.(m));
  }
  ask(m: ToWorker, timeoutMs: number): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`idle worker: no answer to ${m.cmd} in ${timeoutMs} ms`)), timeoutMs);
      this.waiting.push((r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.child.send(m);
    });
  }
}

export async function runIdle(target: RunningTarget, o: IdleOptions): Promise<IdleResult> {
  await target.restart();
  await sleep(1000);
  const rss0 = rssBytes(target.pid);
  const endpoint = target.endpoint();
  const workers: Worker[] = [];
  try {
    for (let w = 0; w < o.workers; w++) {
      workers.push(new Worker(spawnChild(process.execPath, [WORKER], { name: `idle-worker-${w}`, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })));
    }
    const per = Math.ceil(o.connections / o.workers);
    const t0 = performance.now();
    const answers = await Promise.all(
      workers.map((w, k) => {
        const from = k * per;
        const count = Math.max(0, Math.min(per, o.connections - from));
        const tokens = endpoint.tokens?.slice(from, from + count);
        // Four source addresses per worker: 127.0.0.(2 + 4k) … (5 + 4k).
        const sources = [0, 1, 2, 3].map((j) => `127.0.0.${2 + 4 * k + j}`);
        return w.ask({ cmd: 'connect', endpoint: { ...endpoint, ...(tokens && { tokens }) }, count, sources, concurrency: 100 }, 600_000);
      }),
    );
    const wall = performance.now() - t0;
    let ok = 0;
    let failed = 0;
    let genCpuMax = 0;
    let firstError = '';
    for (const a of answers) {
      if (a.ev !== 'connected') throw new Error('idle worker: unexpected answer');
      ok += a.ok;
      failed += a.failed;
      firstError ||= a.firstError;
      genCpuMax = Math.max(genCpuMax, (100 * a.cpuMs) / a.ms);
    }
    if (failed > 0) process.stderr.write(`  idle ${target.name}: ${failed} connections failed, first: ${firstError}\n`);
    await sleep(o.settleS * 1000);
    const cpu = new CpuMeter(target.pid);
    cpu.start();
    await sleep(o.idleS * 1000);
    const idleCpu = cpu.stop();
    const rss1 = rssBytes(target.pid);
    let dropped = 0;
    for (const w of workers) {
      const r = await w.ask({ cmd: 'close' }, 30_000);
      if (r.ev === 'closed') dropped += r.dropped;
    }
    return {
      connected: ok,
      failed,
      connectMs: Math.round(wall),
      connectPerS: round(ok / (wall / 1000)),
      rssBeforeMB: round(rss0 / 2 ** 20),
      serverRssMB: round(rss1 / 2 ** 20),
      rssPerConnKB: ok > 0 ? round((rss1 - rss0) / ok / 1024, 2) : Number.NaN,
      idleCpu: round(idleCpu, 2),
      genCpuMax: round(genCpuMax),
      dropped,
    };
  } finally {
    await Promise.all(workers.map((w) => stopChild(w.child, 'SIGTERM', 3000)));
  }
}
