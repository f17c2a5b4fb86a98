/** GET /v1/search: the `messages.search` frame over REST (docs/api.md, docs/search.md), same service and budgets. */
import type { FastifyInstance } from 'fastify';
import { NatterError } from '@natter/protocol';
import type { Accounts } from '../core/accounts.js';
import type { Messaging } from '../core/messaging.js';
import type { MessageSearchService } from '../core/search.js';
import { searchQuery } from './schemas-search.js';
import { parse } from './validate.js';

export interface SearchRouteDeps {
  accounts: Accounts;
  messaging: Messaging;
  search: MessageSearchService;
}

export function registerSearchRoutes(app: FastifyInstance, d: SearchRouteDeps): void {
  app.get('/v1/search', async (req) => {
    const header = req.headers.authorization;
    if (!header?.startsWith('Bearer ')) throw new NatterError('invalid_token', 'send Authorization: Bearer <access token>');
    const claims = await d.accounts.authenticate(header.slice(7).trim());
    d.messaging.fairShare.admit(claims.userId, 'read', null);
    const { q, ...options } = parse(searchQuery, req.query, 'query');
    return d.search.search(claims.userId, q, options);
  });
}
