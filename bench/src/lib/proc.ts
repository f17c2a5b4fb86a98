/**
 * Child processes and what the kernel says about them. Every child the bench starts goes
 * through `spawnChild`, which remembers it, so `killAll` (run on exit, on signals and on
 * failure) leaves nothing behind. CPU and RSS come from /proc, so they work for any process
 * (Node servers and Mosquitto alike).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram } from 'node:perf_hooks';

const children = new Set<ChildProcess>();

/** Starts a tracked child. Its stderr is kept (last 8 KB) for error messages. */
export function spawnChild(command: string, args: string[], options: SpawnOptions & { name: string }): ChildProcess & { stderrTail: () => string } {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], ...options }) as ChildProcess & { stderrTail: () => string };
  children.add(child);
  let tail = '';
  child.stderr?.on('data', (d: Buffer) => {
    tail = (tail + d.toString('utf8')).slice(-8192);
  });
  child.stderrTail = () => tail;
  child.once('exit', () => children.delete(child));
  return child;
}

/** Sends `signal`, then SIGKILL after `graceMs`; resolves once the child has exited. */
export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/** Kills every child still running (synchronous: usable from an 'exit' handler). */
export function killAll(): void {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
}

let installed = false;
/** Makes sure children die with us: on normal exit, Ctrl-C, SIGTERM and crashes. */
export function installCleanup(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      killAll();
      process.exit(130);
    });
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const CLK_TCK = 100;

/** The process and its descendants (a clustered server's workers), from /proc. */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const tid of readdirSync(`/proc/${out[i]}/task`)) {
        const kids = readFileSync(`/proc/${out[i]}/task/${tid}/children`, 'utf8').trim();
        if (kids) out.push(...kids.split(' ').map(Number));
      }
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

function sumTree(pid: number, one: (p: number) => number): number {
  let total = 0;
  for (const p of processTree(pid)) {
    try {
      total += one(p);
    } catch {
      // A child that exited between listing and reading counts nothing.
    }
  }
  return total;
}

/** Total CPU seconds (user + system, all threads) used so far by a process and its descendants. */
export function cpuSeconds(pid: number): number {
  return sumTree(pid, (p) => statCpuSeconds(readFileSync(`/proc/${p}/stat`, 'utf8')));
}

/** Resident set size in bytes of a process and its descendants. */
export function rssBytes(pid: number): number {
  return sumTree(pid, (p) => {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  });
}

/**
 * Counters of a process and its descendants: bytes of all write calls (`wchar`, sockets included),
 * bytes written to storage (`writeBytes`), and read plus write calls (`syscalls`).
 */
export function ioBytes(pid: number): { wchar: number; writeBytes: number; syscalls: number } {
  let wchar = 0;
  let writeBytes = 0;
  let syscalls = 0;
  for (const p of processTree(pid)) {
    try {
      const io = readFileSync(`/proc/${p}/io`, 'utf8');
      const get = (k: string) => Number(new RegExp(`^${k}: (\\d+)$`, 'm').exec(io)?.[1] ?? 0);
      wchar += get('wchar');
      writeBytes += get('write_bytes');
      // read(2)/write(2)-family calls: sockets and files (not epoll_wait, fsync, futex).
      syscalls += get('syscr') + get('syscw');
    } catch {
      // Gone meanwhile.
    }
  }
  return { wchar, writeBytes, syscalls };
}

/** Measures a process's CPU use (in % of one core) between `start()` and `stop()`. */
/**
 * CPU seconds of each process's main thread, by pid, over a process and its descendants. In a
 * Node server that thread is the event loop: it cannot use more than one core, so it is
 * saturated near 100 % even when the process as a whole, with its storage and GC threads, is not.
 */
export function mainThreadCpuSeconds(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const p of processTree(pid)) {
    try {
      out.set(p, statCpuSeconds(readFileSync(`/proc/${p}/task/${p}/stat`, 'utf8')));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** user + system time of a /proc stat line, in seconds. */
function statCpuSeconds(stat: string): number {
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/**
 * A server's CPU over a window, in % of one core: all its threads and processes (`stop()`), and
 * its busiest main thread (`loop` after stop: the event loop that limits a Node server).
 */
export class CpuMeter {
  private t0 = 0;
  private c0 = 0;
  private m0 = new Map<number, number>();
  /** The busiest main thread's CPU over the last window, in % of one core. */
  loop = 0;
  constructor(private readonly pid: number) {}
  start(): void {
    this.t0 = performance.now();
    this.c0 = cpuSeconds(this.pid);
    this.m0 = mainThreadCpuSeconds(this.pid);
  }
  stop(): number {
    const wall = (performance.now() - this.t0) / 1000;
    if (wall <= 0) return 0;
    this.loop = 0;
    for (const [p, s] of mainThreadCpuSeconds(this.pid)) this.loop = Math.max(this.loop, (100 * (s - (this.m0.get(p) ?? 0))) / wall);
    return (100 * (cpuSeconds(this.pid) - this.c0)) / wall;
  }
}

/** The generator's own CPU (process.cpuUsage), in % of one core, over a window. */
export class SelfCpuMeter {
  private t0 = 0;
  private c0: NodeJS.CpuUsage = { user: 0, system: 0 };
  start(): void {
    this.t0 = performance.now();
    this.c0 = process.cpuUsage();
  }
  stop(): number {
    const d = process.cpuUsage(this.c0);
    const wallUs = (performance.now() - this.t0) * 1000;
    return wallUs > 0 ? (100 * (d.user + d.system)) / wallUs : 0;
  }
}

/**
 * The generator's own stalls over a window: how late its event loop ran timers and callbacks,
 * and its garbage-collection pauses. A frame that arrives during a stall is stamped that much
 * later, so this is the part of a measured latency the generator itself may have added (the
 * same for every target only if their frames cost the generator the same). A loop-delay p99 is
 * one sample per millisecond: a 10 ms pause is one sample, yet every frame that arrived in it
 * is late — hence the pauses' share of the time and the longest pause beside it.
 */
export class LoopDelayMeter {
  private h: IntervalHistogram | null = null;
  private gc: PerformanceObserver | null = null;
  private gcMs = 0;
  private gcMaxMs = 0;
  private t0 = 0;
  start(): void {
    this.h = monitorEventLoopDelay({ resolution: 1 });
    this.h.enable();
    this.gcMs = this.gcMaxMs = 0;
    this.gc = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        this.gcMs += e.duration;
        this.gcMaxMs = Math.max(this.gcMaxMs, e.duration);
      }
    });
    this.gc.observe({ entryTypes: ['gc'] });
    this.t0 = performance.now();
  }
  /** Loop delay p99 and max (ms; samples include the 1 ms timer), GC pauses' % of the window and the longest (ms). */
  stop(): { p99Ms: number; maxMs: number; gcPct: number; gcMaxMs: number } {
    const h = this.h;
    const wallMs = performance.now() - this.t0;
    this.gc?.disconnect();
    this.gc = null;
    if (!h) return { p99Ms: Number.NaN, maxMs: Number.NaN, gcPct: Number.NaN, gcMaxMs: Number.NaN };
    h.disable();
    this.h = null;
    const ms = (ns: number) => Math.round(ns / 1e5) / 10;
    return {
      p99Ms: ms(h.percentile(99)),
      maxMs: ms(h.max),
      gcPct: Math.round((1000 * this.gcMs) / wallMs) / 10,
      gcMaxMs: Math.round(this.gcMaxMs * 10) / 10,
    };
  }
}

/**
 * Tells whether this process has just come out of a stall: a 1 ms interval that fired at least
 * `minMs` late marks the stall's end. Frames that waited in the kernel during a stall (a GC
 * pause, a long callback) are read and stamped right after it, so a late delivery stamped
 * within `withinMs` of a stall's end was at least partly held by the generator, not the server.
 */
export class StallWatch {
  private timer: NodeJS.Timeout | null = null;
  private last = 0;
  private lastStallEnd = Number.NEGATIVE_INFINITY;
  constructor(
    private readonly minMs = 5,
    private readonly withinMs = 3,
  ) {}
  start(): void {
    this.last = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      if (now - this.last >= this.minMs) this.lastStallEnd = now;
      this.last = now;
    }, 1);
  }
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
  justAfterStall(): boolean {
    return performance.now() - this.lastStallEnd <= this.withinMs;
  }
}

/** Polls `url` until it answers 2xx, the child dies, or the deadline passes. */
export async function waitHttp(url: string, child: ChildProcess & { stderrTail?: () => string }, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`process exited (${child.exitCode ?? child.signalCode}) during start: ${child.stderrTail?.() ?? ''}`);
    }
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
