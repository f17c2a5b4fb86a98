/**
 * The login limiter on rate-limiter-flexible: in-process counters for one process; in cluster
 * mode the counters live in PostgreSQL so every process sees the same failures.
 */
import { RateLimiterMemory, RateLimiterPostgres, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { NatterError } from '@natter/protocol';
import type { LoginLimiter } from '../core/rate-limit.js';

export class FlexibleLoginLimiter implements LoginLimiter {
  constructor(
    private readonly perAccount: RateLimiterAbstract,
    private readonly perIp: RateLimiterAbstract,
    private readonly limits: { account: number; ip: number },
  ) {}

  static inMemory(limits: { account: number; ip: number }, windowSeconds = 900): FlexibleLoginLimiter {
    return new FlexibleLoginLimiter(
      new RateLimiterMemory({ keyPrefix: 'login_acct', points: limits.account, duration: windowSeconds }),
      new RateLimiterMemory({ keyPrefix: 'login_ip', points: limits.ip, duration: windowSeconds }),
      limits,
    );
  }

  /**
   * Counters in PostgreSQL (table `login_limits`, created by the store's migrations), so every
   * process of a cluster sees the same failures.
   */
  static postgres(pool: unknown, limits: { account: number; ip: number }, windowSeconds = 900): FlexibleLoginLimiter {
    const common = { storeClient: pool, tableName: 'login_limits', tableCreated: true, duration: windowSeconds };
    return new FlexibleLoginLimiter(
      new RateLimiterPostgres({ ...common, keyPrefix: 'login_acct', points: limits.account }),
      new RateLimiterPostgres({ ...common, keyPrefix: 'login_ip', points: limits.ip }),
      limits,
    );
  }

  async check(account: string, ip: string): Promise<void> {
    const [a, i] = await guard(Promise.all([this.perAccount.get(account.toLowerCase()), this.perIp.get(ip)]));
    const blocked = [
      a && a.consumedPoints >= this.limits.account ? a.msBeforeNext : 0,
      i && i.consumedPoints >= this.limits.ip ? i.msBeforeNext : 0,
    ];
    const wait = Math.max(...blocked);
    if (wait > 0) {
      throw new NatterError('rate_limited', 'too many failed login attempts', { retryAfterMs: wait });
    }
  }

  async recordFailure(account: string, ip: string): Promise<void> {
    // penalty() adds points without rejecting, so the counters keep counting past the limit.
    await guard(Promise.all([this.perAccount.penalty(account.toLowerCase(), 1), this.perIp.penalty(ip, 1)]));
  }

  async recordSuccess(account: string): Promise<void> {
    await guard(this.perAccount.delete(account.toLowerCase()));
  }
}

/** The counters' store failing (the database is down) must read as "try later", not a crash. */
async function guard<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof NatterError) throw err;
    throw new NatterError('unavailable', 'login checks are unavailable; retry shortly', undefined, { cause: err });
  }
}
