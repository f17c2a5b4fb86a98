/**
 * Per-user budget of message searches (core/search.ts's SearchLimiter), on the same counters as
 * the login limits: in this process alone, or in PostgreSQL so that a cluster counts together.
 */
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { NatterError } from '@natter/protocol';
import type { SearchLimiter } from '../core/search.js';
import { inMemory, inPostgres, type Factory } from './login-limiter.js';

export class FlexibleSearchLimiter implements SearchLimiter {
  private readonly counter: RateLimiterAbstract;

  constructor(make: Factory, perMinute: number) {
    this.counter = make('message_search', perMinute, 60);
  }

  static inMemory(perMinute: number): FlexibleSearchLimiter {
    return new FlexibleSearchLimiter(inMemory, perMinute);
  }

  static postgres(pool: unknown, perMinute: number): FlexibleSearchLimiter {
    return new FlexibleSearchLimiter(inPostgres(pool), perMinute);
  }

  async consume(userId: string): Promise<void> {
    try {
      await this.counter.consume(userId);
    } catch (e) {
      if (e instanceof RateLimiterRes) {
        throw new NatterError('rate_limited', 'too many searches; wait before trying again', { retryAfterMs: Math.max(1, Math.ceil(e.msBeforeNext)) });
      }
      throw new NatterError('unavailable', 'rate limits are unavailable; retry shortly', undefined, { cause: e });
    }
  }
}
