/**
 * Fair share of the store between users (issue 18, finding 1): one user with many sockets and
 * HTTP requests must not be able to hold the store while everyone else's sends wait.
 *
 * - Admission: every store-bound request takes a token from its user's bucket and, on a
 *   WebSocket, from its connection's; reads (history and sync pages, conversation lookups) and
 *   writes (sends, cursors, membership) have buckets of their own, so a flood of one never
 *   spends the other's. Over budget: `rate_limited` with `retryAfterMs`, nothing taken or
 *   changed, the connection keeps working. A read's answer is charged by its encoded size
 *   too (a token per 64 KiB), so what a user may make the server encode is bounded in bytes.
 * - Page reads (history, sync) run at most `readConcurrency` at a time in the process, taken
 *   round-robin per user: a send is queued behind at most that many reads in the store (the
 *   SQLite thread runs requests in order), and one user's queue of reads delays another user's
 *   by one read each, not by the whole queue. A read whose asker has gone (socket closed, HTTP
 *   request aborted) is dropped before it starts.
 *
 * Budgets are per process: with N processes a user may get up to N times as much.
 */
import { NatterError } from '@natter/protocol';
import type { Clock } from './clock.js';

export interface BucketRate {
  /** Tokens added per second. */
  perSecond: number;
  /** Tokens a full bucket holds: the burst allowed after a quiet spell. */
  burst: number;
}

export interface FairShareLimits {
  userReads: BucketRate;
  userWrites: BucketRate;
  connectionReads: BucketRate;
  connectionWrites: BucketRate;
  /** Page reads in the store at once in this process. */
  readConcurrency: number;
}

/** Generous enough that the SDK's catch-up (a sync page's 100 conversations at once) never meets them. */
export const DEFAULT_FAIR_SHARE: FairShareLimits = {
  userReads: { perSecond: 100, burst: 400 },
  userWrites: { perSecond: 1000, burst: 2000 },
  connectionReads: { perSecond: 50, burst: 200 },
  connectionWrites: { perSecond: 500, burst: 1000 },
  readConcurrency: 2,
};

export type RequestClass = 'read' | 'write';

/** A read's answer costs one token per this many bytes beyond the first (FairShare.chargeAnswer). */
export const BYTES_PER_TOKEN = 64 * 1024;

/** A token bucket on the injected clock; it holds two numbers, so one per idle user is cheap. */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly rate: BucketRate,
    now: number,
  ) {
    this.tokens = rate.burst;
    this.at = now;
  }

  /** Milliseconds until a token is there: 0 when one is there now. Takes nothing. */
  waitMs(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.rate.perSecond);
  }

  take(): void {
    this.tokens -= 1;
  }

  /** Takes `n` more after the fact (a large answer); the bucket may go into debt, down to -burst. */
  charge(n: number): void {
    this.tokens = Math.max(-this.rate.burst, this.tokens - n);
  }

  /** Full again: forgetting it changes nothing. */
  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.rate.burst;
  }

  private refill(now: number): void {
    if (now > this.at)
      this.tokens = Math.min(this.rate.burst, this.tokens + ((now - this.at) * this.rate.perSecond) / 1000);
    this.at = now;
  }
}

/** One WebSocket connection's buckets (made on its first store-bound request). */
export interface ConnectionBudget {
  read: TokenBucket;
  write: TokenBucket;
}

/** Why a queued read did not run: its asker has gone. Nobody sees it. */
export class RequestDropped extends Error {
  override readonly name = 'RequestDropped';
}

interface QueuedRead {
  wanted(): boolean;
  start(): void;
  drop(): void;
}

export class FairShare {
  private readonly users = new Map<string, ConnectionBudget>();
  /** Users' buckets are swept (full ones forgotten) when the map passes this size. */
  private sweepAt = 1024;
  private running = 0;
  /** Waiting reads per user; Map order is the round-robin order. */
  private readonly queues = new Map<string, QueuedRead[]>();

  constructor(
    private readonly clock: Clock,
    readonly limits: FairShareLimits = DEFAULT_FAIR_SHARE,
  ) {}

  newConnectionBudget(): ConnectionBudget {
    const now = this.clock.now();
    return {
      read: new TokenBucket(this.limits.connectionReads, now),
      write: new TokenBucket(this.limits.connectionWrites, now),
    };
  }

  /**
   * Takes a token for one request of `userId` (and of its connection, when on a socket), or
   * throws `rate_limited` having taken none.
   */
  admit(userId: string, kind: RequestClass, connection: ConnectionBudget | null): void {
    const waitMs = this.tryAdmit(userId, kind, connection);
    if (waitMs > 0) {
      throw new NatterError(
        'rate_limited',
        `too many ${kind === 'read' ? 'reads' : 'writes'}; retry after ${waitMs} ms`,
        { retryAfterMs: waitMs },
      );
    }
  }

  /**
   * `admit` without the throw, for frames handled on the spot (Session.quick): 0 when a token
   * was taken from each bucket, else the milliseconds to wait, having taken none.
   */
  tryAdmit(userId: string, kind: RequestClass, connection: ConnectionBudget | null): number {
    const now = this.clock.now();
    const user = this.userBudget(userId, now)[kind];
    const own = connection?.[kind];
    const waitMs = Math.max(user.waitMs(now), own?.waitMs(now) ?? 0);
    if (waitMs > 0) return waitMs;
    user.take();
    own?.take();
    return 0;
  }

  /**
   * Charges a read by the size of its answer, once it is known: a token per `BYTES_PER_TOKEN`
   * beyond the first, from the user's bucket and the connection's. A flood of the largest
   * pages then gets a fifth of the pages small ones would, and later requests wait for it.
   */
  chargeAnswer(userId: string, bytes: number, connection: ConnectionBudget | null): void {
    const extra = Math.floor(bytes / BYTES_PER_TOKEN);
    if (extra === 0) return;
    this.userBudget(userId, this.clock.now()).read.charge(extra);
    connection?.read.charge(extra);
  }

  /**
   * Runs a page read when its turn comes (at most `readConcurrency` at once, users in turn).
   * Rejects with RequestDropped, without running it, if `wanted()` is false by then.
   */
  read<T>(userId: string, wanted: () => boolean, fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: QueuedRead = {
        wanted,
        start: () => {
          this.running++;
          // Through a promise even if fn throws at once: the slot is always given back.
          Promise.resolve()
            .then(fn)
            .then(resolve, reject)
            .finally(() => {
              this.running--;
              this.next();
            });
        },
        drop: () => reject(new RequestDropped('the request was dropped: its connection has gone')),
      };
      const queue = this.queues.get(userId);
      if (queue) queue.push(entry);
      else this.queues.set(userId, [entry]);
      this.next();
    });
  }

  /** Reads waiting for their turn (for tests and metrics). */
  get queuedReads(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  private next(): void {
    while (this.running < this.limits.readConcurrency) {
      const first = this.queues.entries().next();
      if (first.done) return;
      const [userId, queue] = first.value;
      const entry = queue.shift()!;
      // Round robin: this user goes to the back of the line if they still have reads waiting.
      this.queues.delete(userId);
      if (queue.length > 0) this.queues.set(userId, queue);
      if (entry.wanted()) entry.start();
      else entry.drop();
    }
  }

  private userBudget(userId: string, now: number): ConnectionBudget {
    let b = this.users.get(userId);
    if (!b) {
      if (this.users.size >= this.sweepAt) this.sweep(now);
      b = {
        read: new TokenBucket(this.limits.userReads, now),
        write: new TokenBucket(this.limits.userWrites, now),
      };
      this.users.set(userId, b);
    }
    return b;
  }

  /** Forgets full buckets (a new one would be the same); the threshold doubles with what stays. */
  private sweep(now: number): void {
    for (const [id, b] of this.users) if (b.read.isFull(now) && b.write.isFull(now)) this.users.delete(id);
    this.sweepAt = Math.max(1024, this.users.size * 2);
  }
}
