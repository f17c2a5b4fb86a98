/** Exponential backoff with full jitter (AWS architecture blog): delay = random(0, min(cap, base·2^n)). */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

export function backoffDelay(attempt: number, o: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(o.maxMs, o.initialMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
