/**
 * Message search (docs/search.md): the options the caller gave, and only those, go into the
 * `messages.search` request. NatterClient.search is the public method, documented there.
 */
import type { SearchResult } from '@natter/protocol/wire';
import type { Rpc } from './rpc.js';

export interface SearchOptions {
  conversationId?: string;
  senderId?: string;
  before?: number;
  after?: number;
  limit?: number;
  cursor?: string;
}

export function searchMessages(rpc: Rpc, query: string, options: SearchOptions): Promise<SearchResult> {
  const o: Record<string, string | number> = {};
  for (const k of ['conversationId', 'senderId', 'before', 'after', 'limit', 'cursor'] as const) {
    const v = options[k];
    if (v !== undefined) o[k] = v;
  }
  return rpc((c) => c.request({ type: 'messages.search', query, ...o }));
}
