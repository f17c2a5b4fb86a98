/**
 * When corked sockets are written out. Each frame written to a socket corks it; corked sockets
 * are uncorked together, so frames for one socket leave in one syscall. On a quiet server that
 * happens at the end of the event-loop turn (setImmediate): no added latency.
 *
 * Under load the syscalls are most of the cost — a loopback or LAN `writev` runs the TCP stack
 * for every call, and in a fan-out each recipient gets about one frame per turn, so the server
 * pays one syscall per delivered frame and saturates long before its sockets do. So while the
 * event loop is busy (its utilisation over the last interval above `LOW`) a socket is written at
 * most once per window, which grows with the load up to `maxWindowMs`: frames for a busy socket
 * then share a syscall, the server spends its time on messages instead of calls, and latency
 * grows by at most the window — the trade every saturated server makes anyway (interrupt
 * coalescing, Nagle), bounded and only taken when the alternative is queueing.
 *
 * The hold applies per socket, to sockets written within the last window that get frames more
 * often than every half window (smoothed over their last few turns): only they can expect a
 * second frame to share the syscall with. A socket that gets a frame now and then (one side of
 * a conversation, waiting for the other's answer) has nothing to share it with, and holding its
 * frame would only add the window to every exchange — the direct benchmark lost 10–17 % of its
 * round trips to it. Frames never wait longer than the window; a socket holding 64 KB is written
 * at once (by the transport: CORK_MAX_BYTES in websocket.ts).
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

export interface Flushable {
  uncork(): void;
  /** performance.now() when the coalescer last wrote this socket out (0: never). */
  flushedAt: number;
  /** performance.now() when the socket was last corked (0: never). */
  corkedAt: number;
  /** The socket's recent time between corks, smoothed (ms). */
  corkGapMs: number;
}

/** A socket new to the coalescer: no gap seen yet, so nothing to expect. */
export const NO_GAP = 1e9;

/** Utilisation below which frames leave at the end of the turn, as on a quiet server. */
const LOW = 0.7;
/** Utilisation at which the window is at its widest. */
const HIGH = 0.95;
/** How often the utilisation is sampled and the window set. */
const SAMPLE_MS = 100;

export class WriteCoalescer {
  /** Sockets that leave at the end of this turn. */
  private soon: Flushable[] = [];
  /** Busy sockets written within the window: they leave when the first of them has waited it out. */
  private held: Flushable[] = [];
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

  /** `s` was just corked: it is written out with the others due when it is. */
  add(s: Flushable): void {
    const now = performance.now();
    if (s.corkedAt !== 0) {
      // Smoothed so one quick pair of frames does not make a socket busy, nor one pause idle.
      const gap = now - s.corkedAt;
      s.corkGapMs = s.corkGapMs === NO_GAP ? gap : 0.75 * s.corkGapMs + 0.25 * gap;
    }
    s.corkedAt = now;
    const wait = s.flushedAt + this.windowMs - now;
    // Held only if another frame is due within the window: then the two share a syscall.
    if (wait > 0 && 2 * s.corkGapMs < this.windowMs) {
      if (this.held.length === 0) setTimeout(this.flushHeld, wait);
      this.held.push(s);
    } else {
      if (this.soon.length === 0) setImmediate(this.flushSoon);
      this.soon.push(s);
    }
  }

  close(): void {
    if (this.sampler) clearInterval(this.sampler);
    this.flushSoon();
    this.flushHeld();
  }

  private readonly flushSoon = (): void => {
    const now = this.soon;
    this.soon = [];
    flush(now);
  };

  private readonly flushHeld = (): void => {
    const now = this.held;
    this.held = [];
    flush(now);
  };

  private sample(): void {
    const next = performance.eventLoopUtilization();
    const u = performance.eventLoopUtilization(next, this.elu).utilization;
    this.elu = next;
    const load = Math.min(1, Math.max(0, (u - LOW) / (HIGH - LOW)));
    this.windowMs = load * this.maxWindowMs;
  }
}

function flush(sockets: Flushable[]): void {
  const at = performance.now();
  for (const s of sockets) {
    s.flushedAt = at;
    s.uncork();
  }
}
