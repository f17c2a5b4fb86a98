/**
 * Per-user budgets (core/rate-limit.ts's UserBudget) on the same counters as the login limits:
 * in this process alone, or in PostgreSQL (table `login_limits`, a key prefix per budget) so that
 * every process of a cluster counts together — a user whose connections land on several processes
 * gets one allowance, not one per process.
 */
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { NatterError } from '@natter/protocol';
import type { UserBudget } from '../core/rate-limit.js';
import { inMemory, inPostgres, type Factory } from './login-limiter.js';

export class FlexibleUserBudget implements UserBudget {
  private readonly counter: RateLimiterAbstract;

  /** `refusal` completes "too many …", e.g. "searches". */
  constructor(make: Factory, keyPrefix: string, points: number, windowSeconds: number, private readonly refusal: string) {
    this.counter = make(keyPrefix, points, windowSeconds);
  }

  async consume(userId: string): Promise<void> {
    try {
      await this.counter.consume(userId);
    } catch (e) {
      if (e instanceof RateLimiterRes) {
        throw new NatterError('rate_limited', `too many ${this.refusal}; wait before trying again`, { retryAfterMs: Math.max(1, Math.ceil(e.msBeforeNext)) });
      }
      throw new NatterError('unavailable', 'rate limits are unavailable; retry shortly', undefined, { cause: e });
    }
  }

  async giveBack(userId: string): Promise<void> {
    // Best effort: a lost give-back only costs the user one attempt of their window.
    await this.counter.reward(userId, 1).catch(() => undefined);
  }
}

/** Makes budgets in this process's memory, or in PostgreSQL when the server has a pool. */
export function userBudgets(pool: unknown | null): (keyPrefix: string, points: number, windowSeconds: number, refusal: string) => FlexibleUserBudget {
  const make = pool ? inPostgres(pool) : inMemory;
  return (keyPrefix, points, windowSeconds, refusal) => new FlexibleUserBudget(make, keyPrefix, points, windowSeconds, refusal);
}
