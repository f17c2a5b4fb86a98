/**
 * When corked sockets are written out. Each frame written to a socket corks it; all corked
 * sockets are uncorked together, so frames for one socket leave in one syscall. On a quiet
 * server that happens at the end of the event-loop turn (setImmediate): no added latency.
 *
 * Under load the syscalls are most of the cost — a loopback or LAN `writev` runs the TCP stack
 * for every call, and in a fan-out each recipient gets about one frame per turn, so the server
 * pays one syscall per delivered frame and saturates long before its sockets do. So the flush
 * is then held back: while the event loop is busy (its utilisation over the last interval above
 * `LOW`), sockets are written at most once per window, which grows with the load up to
 * `maxWindowMs`. Frames for a busy socket then share a syscall, the server spends its time on
 * messages instead of calls, and latency grows by at most the window — the trade every
 * saturated server makes anyway (interrupt coalescing, Nagle), here bounded and only taken
 * when the alternative is queueing. Frames never wait in the coalescer longer than the window;
 * a socket whose held bytes pass `maxHeldBytes` is written at once.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

export interface Flushable {
  uncork(): void;
}

/** Utilisation below which frames leave at the end of the turn, as on a quiet server. */
const LOW = 0.7;
/** Utilisation at which the window is at its widest. */
const HIGH = 0.95;
/** How often the utilisation is sampled and the window set. */
const SAMPLE_MS = 100;

export class WriteCoalescer {
  private pending: Flushable[] = [];
  private lastFlush = 0;
  private elu: EventLoopUtilization = performance.eventLoopUtilization();
  private readonly sampler: NodeJS.Timeout | null;
  /** The current window; 0 while the event loop is not busy. */
  windowMs = 0;

  /** `fixed`: always the widest window, whatever the load (for tests). */
  constructor(
    readonly maxWindowMs: number,
    fixed = false,
  ) {
    this.windowMs = fixed ? maxWindowMs : 0;
    this.sampler = maxWindowMs > 0 && !fixed ? setInterval(() => this.sample(), SAMPLE_MS) : null;
    this.sampler?.unref();
  }

  /** `s` was just corked: it is flushed with the others. */
  add(s: Flushable): void {
    if (this.pending.length === 0) this.schedule();
    this.pending.push(s);
  }

  close(): void {
    if (this.sampler) clearInterval(this.sampler);
    this.flush();
  }

  private schedule(): void {
    const wait = this.windowMs - (performance.now() - this.lastFlush);
    if (wait > 0) setTimeout(this.flush, wait);
    else setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.lastFlush = performance.now();
    const now = this.pending;
    this.pending = [];
    for (const s of now) s.uncork();
  };

  private sample(): void {
    const next = performance.eventLoopUtilization();
    const u = performance.eventLoopUtilization(next, this.elu).utilization;
    this.elu = next;
    const load = Math.min(1, Math.max(0, (u - LOW) / (HIGH - LOW)));
    this.windowMs = load * this.maxWindowMs;
  }
}
