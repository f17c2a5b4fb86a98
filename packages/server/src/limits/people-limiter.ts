/**
 * Per-user budgets for finding people and friend requests (core/contacts.ts's PeopleLimiter), on
 * the same counters as the login limits: in this process alone, or in PostgreSQL (table
 * `login_limits`, own key prefixes) so that every process of a cluster counts together.
 */
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { NatterError } from '@natter/protocol';
import type { PeopleAction, PeopleLimiter } from '../core/contacts.js';
import { inMemory, inPostgres, type Factory } from './login-limiter.js';

export interface PeopleLimits {
  searchesPerHour: number;
  lookupsPerHour: number;
  friendRequestsPerDay: number;
}

export class FlexiblePeopleLimiter implements PeopleLimiter {
  private readonly counters: Record<PeopleAction, RateLimiterAbstract>;

  constructor(make: Factory, limits: PeopleLimits) {
    this.counters = {
      search: make('people_search', limits.searchesPerHour, 3600),
      lookup: make('people_lookup', limits.lookupsPerHour, 3600),
      request: make('friend_request', limits.friendRequestsPerDay, 86_400),
    };
  }

  static inMemory(limits: PeopleLimits): FlexiblePeopleLimiter {
    return new FlexiblePeopleLimiter(inMemory, limits);
  }

  static postgres(pool: unknown, limits: PeopleLimits): FlexiblePeopleLimiter {
    return new FlexiblePeopleLimiter(inPostgres(pool), limits);
  }

  async consume(action: PeopleAction, userId: string): Promise<void> {
    try {
      await this.counters[action].consume(userId);
    } catch (e) {
      if (e instanceof RateLimiterRes) {
        throw new NatterError('rate_limited', `too many ${action === 'request' ? 'friend requests' : `user ${action}es`}; wait before trying again`, {
          retryAfterMs: Math.max(1, Math.ceil(e.msBeforeNext)),
        });
      }
      throw new NatterError('unavailable', 'rate limits are unavailable; retry shortly', undefined, { cause: e });
    }
  }
}
