/**
 * Per-user budgets for finding people and friend requests (core/contacts.ts's PeopleLimiter): one
 * FlexibleUserBudget per action, cluster-wide when the server runs on PostgreSQL.
 */
import type { PeopleAction, PeopleLimiter } from '../core/contacts.js';
import type { UserBudget } from '../core/rate-limit.js';
import { userBudgets } from './user-budget.js';

export interface PeopleLimits {
  searchesPerHour: number;
  lookupsPerHour: number;
  friendRequestsPerDay: number;
}

export class FlexiblePeopleLimiter implements PeopleLimiter {
  private readonly budgets: Record<PeopleAction, UserBudget>;

  /** `pool`: PostgreSQL's, so that a cluster counts together; null for this process alone. */
  constructor(pool: unknown | null, limits: PeopleLimits) {
    const budget = userBudgets(pool);
    this.budgets = {
      search: budget('people_search', limits.searchesPerHour, 3600, 'user searches'),
      lookup: budget('people_lookup', limits.lookupsPerHour, 3600, 'user lookups'),
      request: budget('friend_request', limits.friendRequestsPerDay, 86_400, 'friend requests'),
    };
  }

  consume(action: PeopleAction, userId: string): Promise<void> {
    return this.budgets[action].consume(userId);
  }
}
