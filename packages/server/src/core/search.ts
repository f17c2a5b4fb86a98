/**
 * Message search (issue 22, item 5; docs/search.md): checks the query, spends one of the user's
 * searches, asks the Store (which keeps to the user's visible windows) and hands out an opaque
 * cursor for the next page. Nothing is pushed; search reads only.
 */
import { NatterError, SEARCH_LIMITS, type SearchResult } from '@natter/protocol';
import { decodeSearchCursor, encodeSearchCursor, searchTerms } from '../store/rules/search.js';
import type { MessageSearch, Store } from '../store/store.js';
import type { UserBudget } from './rate-limit.js';

export interface SearchOptions {
  conversationId?: string | undefined;
  senderId?: string | undefined;
  before?: number | undefined;
  after?: number | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

export class MessageSearchService {
  constructor(
    private readonly store: Store,
    /** SEARCHES_PER_MINUTE per user. */
    private readonly limiter: Pick<UserBudget, 'consume'>,
  ) {}

  async search(userId: string, query: string, o: SearchOptions = {}): Promise<SearchResult> {
    if (query.length > SEARCH_LIMITS.queryMax) throw new NatterError('invalid_request', `query: at most ${SEARCH_LIMITS.queryMax} characters`);
    if (/[\p{Cc}]/u.test(query.replace(/[\t\n\r]/g, ' '))) throw new NatterError('invalid_request', 'query: no control characters');
    const terms = searchTerms(query);
    if (terms.length === 0) throw new NatterError('invalid_request', 'query: give at least one term');
    const q: MessageSearch = { terms, limit: Math.min(o.limit ?? SEARCH_LIMITS.pageDefault, SEARCH_LIMITS.pageMax) };
    if (o.cursor !== undefined) {
      const cursor = decodeSearchCursor(o.cursor);
      if (!cursor) throw new NatterError('invalid_request', 'cursor: not one this server handed out');
      q.cursor = cursor;
    }
    if (o.conversationId !== undefined) q.conversationId = o.conversationId;
    if (o.senderId !== undefined) q.senderId = o.senderId;
    if (o.before !== undefined) q.before = o.before;
    if (o.after !== undefined) q.after = o.after;
    await this.limiter.consume(userId);
    const page = await this.store.searchMessages(userId, q);
    const last = page.messages.at(-1);
    return { messages: page.messages, nextCursor: page.hasMore && last ? encodeSearchCursor(last) : null };
  }
}
