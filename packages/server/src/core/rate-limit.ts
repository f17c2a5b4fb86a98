/**
 * Brute-force protection as the core sees it. Every attempt is counted *before* the password is
 * checked, so concurrent attempts cannot all slip past a check that has not yet seen their
 * failures: the number of password verifications never exceeds the limits. Failures are counted
 * per (account, address) with delays that grow with each round of failures, rather than per
 * account alone, so nobody can lock the owner out from another address (ASVS 5 V6.1.1); a limit
 * per address caps what one address may try across accounts. Logins and password changes have
 * key spaces of their own. Implementations live outside core (limits/).
 */

/** What a password guess is for; each has its own counters. */
export type GuardedAction = 'login' | 'password-change';

export interface LoginLimiter {
  /**
   * Takes one attempt from the (account, address) and address budgets, atomically. Throws
   * `rate_limited` (with `retryAfterMs`) when either is spent, and `unavailable` when the
   * counters cannot be reached; in both cases no password may be checked.
   */
  begin(action: GuardedAction, account: string, ip: string): Promise<void>;
  /** The password was right: the pair's failures are forgotten and the address gets its attempt back. */
  succeeded(action: GuardedAction, account: string, ip: string): Promise<void>;
}

/** Registrations per address (each costs a password hash and a user row). */
export interface RegistrationLimiter {
  /** Takes one registration from the address's budget; throws `rate_limited` when spent. */
  consume(ip: string): Promise<void>;
}

/**
 * A per-user budget of one action in a fixed window (searches, friend requests, invite-code
 * guesses, reactions). Counted before the action runs, so concurrent requests cannot all slip past.
 */
export interface UserBudget {
  /** Takes one from the user's budget; throws `rate_limited` (with retryAfterMs) when it is spent, `unavailable` when the counters cannot be reached. */
  consume(userId: string): Promise<void>;
  /** Returns one taken by `consume` (the attempt turned out not to be what the budget guards against). */
  giveBack(userId: string): Promise<void>;
}
