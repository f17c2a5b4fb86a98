/**
 * The one exponential backoff of the project (issue 20): the SDK's reconnects, the bench's
 * reconnect storm (which plays the SDK) and the server's worker restarts all use it. Full jitter
 * (AWS architecture blog): delay = random(0, min(cap, base·2^n)). Kept here rather than taken from
 * a library: it is three lines, the libraries that do it (exponential-backoff, p-retry) own the
 * retry loop too, and the SDK's loop is driven by socket events, not by a promise to retry.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

/**
 * The delay before attempt `attempt` (0 for the first retry). `random` defaults to Math.random;
 * `() => 1` gives the ceiling itself, a deterministic schedule.
 *
 * @example backoffDelay(3, { initialMs: 250, maxMs: 10_000 }) // somewhere in [0, 2000)
 */
export function backoffDelay(attempt: number, o: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(o.maxMs, o.initialMs * 2 ** Math.min(attempt, 30));
  return Math.min(ceiling, Math.floor(random() * ceiling));
}
