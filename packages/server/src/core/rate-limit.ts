/**
 * Brute-force protection for logins, as the core sees it: failures are counted per account and
 * per client IP over a window; while either is over its limit, attempts are refused before any
 * password check. Implementations live outside core (limits/login-limiter.ts).
 */

export interface LoginLimiter {
  /** Throws `rate_limited` when the account or IP is locked out. */
  check(account: string, ip: string): Promise<void>;
  recordFailure(account: string, ip: string): Promise<void>;
  recordSuccess(account: string): Promise<void>;
}
