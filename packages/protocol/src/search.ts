/**
 * Message search (issue 22, item 5): the limits and the result a `messages.search` request (or
 * `GET /v1/search`) answers with. zod-free, so '@natter/protocol/wire' exports it; the frame's
 * schema is in search-frame.ts. How matching works (terms, tokenizer, CJK) is in docs/search.md.
 */
import type { Message } from './model.js';

export const SEARCH_LIMITS = {
  /** The query as typed: at most this many characters. */
  queryMax: 200,
  /** Whitespace-separated terms used; later ones are ignored. */
  termsMax: 8,
  /** Most hits a page returns (the default is `pageDefault`). */
  pageMax: 50,
  pageDefault: 20,
  /** A cursor as the server hands it out: at most this many characters. */
  cursorMax: 200,
} as const;

/** One page of hits, newest first. */
export interface SearchResult {
  /** Messages whose text (or media caption) contains every term, newest first. */
  messages: Message[];
  /** Pass as `cursor` for the next (older) page; null when this was the last page. */
  nextCursor: string | null;
}

/** What the search request's `result.data` holds. */
export interface SearchResultData {
  'messages.search': SearchResult;
}
