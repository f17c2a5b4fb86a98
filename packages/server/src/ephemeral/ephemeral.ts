/**
 * Ephemeral state: short-lived state shared by the processes of a cluster that must never be
 * written to the database — who is online on which process and device, who is typing where,
 * rate-limit windows. It sits beside Store (durable) and Bus (fan-out): the Store keeps what must
 * survive, the Bus carries what happens now, Ephemeral holds what is true for a few seconds and
 * fades by itself when nobody refreshes it (a process that dies stops refreshing).
 *
 * Three kinds of entries, each in its own namespace (a value, a set and a counter may share a
 * name without touching each other):
 * - values: `set(key, value, ttlMs)`, `get(key)`, `delete(key)`;
 * - sets with per-member expiry: `addMember`, `removeMember`, `members` — "user u is online on
 *   device d", "u is typing in c". Sets are meant to be small (a user's devices, a conversation's
 *   typists: tens, not thousands); a live room's audience does not belong here;
 * - fixed-window counters: `increment(key, by, windowMs)` for rate limits.
 *
 * Implementations (every one passes runEphemeralContract, @natter/testkit's contracts/ephemeral.ts):
 * - memory/ — one process, or several instances sharing one MemoryEphemeralSpace in tests; takes
 *   an injected Clock so expiry is tested without sleeping.
 * - redis/ — keys with Redis TTLs; expiry by Redis's clock, so process clocks do not matter.
 * - nats/ — one JetStream KV bucket (memory storage) with compare-and-set updates; the installed
 *   nats-server (2.9) has no per-message TTL, so each entry carries its expiry beside the value
 *   and readers filter; the bucket's max age bounds how long a forgotten entry is stored.
 *   Expiry follows the processes' clocks: keep them in sync (NTP).
 * `createEphemeral(url)` in factory.ts picks one from a URL (unset / `memory:`, `redis://`, `nats://`).
 *
 * Rules every implementation keeps:
 * - Keys, set names, members and values are arbitrary strings (any characters, empty included).
 * - Every entry lives under the instance's `prefix` (a token of [A-Za-z0-9_-], default `natter`):
 *   instances with different prefixes never see each other's entries, so two clusters or two test
 *   runs can share a Redis or a NATS server.
 * - A TTL is a whole number of milliseconds from 1 to MAX_TTL_MS; anything else rejects with
 *   RangeError (a programming error, not an outage).
 * - An entry is gone once its TTL has elapsed: reads never return it again, whether or not the
 *   backend has reclaimed its memory yet.
 * - When the backend is unreachable, or does not answer within the instance's timeout, every
 *   call rejects promptly with EphemeralUnavailableError (code `unavailable`, retryable) — never
 *   hangs, never queues the call to replay later. A rejected write may still have taken effect
 *   (it reached the backend before the connection dropped): callers refresh, they do not undo.
 * - After close(), every call rejects with EphemeralUnavailableError. Entries written by a closed
 *   instance stay until their TTL: closing is not forgetting (a crashed process cannot clean up
 *   either, so nobody may rely on it).
 *
 * @example
 * const eph = await createEphemeral(process.env.EPHEMERAL_URL, { logger });
 * await eph.addMember(`online:${userId}`, `${processId}/${deviceId}`, 60_000); // refreshed every 20 s
 * const devices = await eph.members(`online:${userId}`);
 * const { count } = await eph.increment(`send:${userId}`, 1, 10_000);
 * if (count > 50) throw new NatterError('rate_limited', 'slow down');
 */

/** Longest TTL or window: a day. The NATS backend sizes its bucket's max age from it. */
export const MAX_TTL_MS = 24 * 60 * 60 * 1000;

/** The result of an increment: the count in the current window, and when the window ends. */
export interface WindowCount {
  /** The count after this increment, counting only increments of the current window. */
  count: number;
  /** Milliseconds until the window ends and the count starts again from zero (> 0). */
  resetInMs: number;
}

export interface Ephemeral {
  /**
   * Stores `value` under `key` for `ttlMs`, replacing any earlier value and its TTL (setting
   * again is how a value is refreshed). Atomic: a concurrent get sees the old or the new value.
   */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** The value under `key`, or null if there is none or its TTL has elapsed. */
  get(key: string): Promise<string | null>;
  /** Removes the value under `key`; idempotent (no value is not an error). */
  delete(key: string): Promise<void>;

  /**
   * Adds `member` to `set` for `ttlMs`, or refreshes it: its expiry becomes now + ttlMs, even if
   * that is sooner than before. Members expire one by one; the set exists while any member does.
   * Atomic per call: concurrent adds and removes on one set, from any processes, all take effect
   * (none is lost to another's update).
   */
  addMember(set: string, member: string, ttlMs: number): Promise<void>;
  /** Removes `member` from `set` at once; idempotent. Atomic as addMember. */
  removeMember(set: string, member: string): Promise<void>;
  /** The members of `set` whose TTL has not elapsed, each once, in no particular order. */
  members(set: string): Promise<string[]>;

  /**
   * Adds `by` (a positive safe integer) to the counter `key` and returns the new count.
   * Fixed window: the first increment of a window starts it, and `windowMs` then counts from that
   * moment; later increments in the window do not extend it (their `windowMs` is ignored). Once
   * the window has ended the next increment starts a new one from `by`. Atomic: N concurrent
   * increments by 1 from any processes return 1..N, each once.
   */
  increment(key: string, by: number, windowMs: number): Promise<WindowCount>;

  /**
   * Releases the connection (memory: detaches). Idempotent, and prompt even when the backend is
   * unreachable. Calls in flight may reject; later calls reject with EphemeralUnavailableError.
   */
  close(): Promise<void>;
}

/** What a prefix may be: one token that every backend takes in a key as it is. */
export const PREFIX_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const DEFAULT_PREFIX = 'natter';

/** Returns the prefix option, checked; throws a plain Error (a configuration mistake) if bad. */
export function checkPrefix(prefix: string | undefined): string {
  const p = prefix ?? DEFAULT_PREFIX;
  if (!PREFIX_PATTERN.test(p)) throw new Error('Ephemeral: prefix must be 1-64 characters of [A-Za-z0-9_-]');
  return p;
}

/** Throws RangeError unless `ms` is a TTL every backend honours (see the module comment). */
export function checkTtl(ms: number, what = 'ttlMs'): void {
  if (!Number.isInteger(ms) || ms < 1 || ms > MAX_TTL_MS) {
    throw new RangeError(
      `Ephemeral: ${what} must be a whole number of ms from 1 to ${MAX_TTL_MS} (got ${ms})`,
    );
  }
}

/** Throws RangeError unless `by` is a positive safe integer. */
export function checkIncrement(by: number): void {
  if (!Number.isSafeInteger(by) || by < 1) {
    throw new RangeError(`Ephemeral: increment must be a positive safe integer (got ${by})`);
  }
}
