/**
 * The Store's part for message search (issue 22, item 5; docs/search.md). Every Store implements
 * it (Store extends it) and passes the search part of `runStoreContract`. The rules it keeps:
 * - Only entries the user may see: conversations where they have (or had) a member row, seqs
 *   within their window (rules/visibility.ts: joinedSeq .. leftSeq, or lastSeq while active).
 * - Only text messages (their `text`) and media messages (their `caption`); system and custom
 *   entries are never found. What a message says now is what is found: a body changed later
 *   (an edit, a recall) is searched as it is after the change.
 * - A hit contains every term (rules/search.ts: substrings, ASCII letters case-insensitively).
 * - Newest first by (createdAt, id), at most `limit`, continuing after `cursor`.
 */
import type { Message } from '@natter/protocol';

/** Where the previous page ended: its last hit's createdAt and id. */
export interface SearchCursor {
  createdAt: number;
  id: string;
}

export interface MessageSearch {
  /** Terms as rules/search.ts's searchTerms made them: at least one, none empty. */
  terms: string[];
  conversationId?: string;
  senderId?: string;
  /** createdAt < before. */
  before?: number;
  /** createdAt > after. */
  after?: number;
  limit: number;
  /** Only hits older than this (in the page order). */
  cursor?: SearchCursor;
}

export interface SearchStore {
  /**
   * Messages `userId` may see that contain every term, newest first, at most `q.limit`;
   * `hasMore` when more lie beyond. A user who never was a member of anything finds nothing.
   * clientMsgId is the user's own only (null on others' messages).
   */
  searchMessages(userId: string, q: MessageSearch): Promise<{ messages: Message[]; hasMore: boolean }>;
}
