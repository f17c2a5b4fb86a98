/** Message search in memory: a scan of the user's visible windows (rules/search.ts decides). */
import type { Message } from '@natter/protocol';
import { matchesTerms, newestFirst, pastCursor, searchableText } from '../rules/search.js';
import { visibleLast } from '../rules/visibility.js';
import type { MessageSearch } from '../search.js';
import { hiddenAt } from './hidden.js';
import { entryOf, type MemoryEntryRow, type MemoryTables } from './tables.js';

export function searchMessages(t: MemoryTables, userId: string, q: MessageSearch): { messages: Message[]; hasMore: boolean } {
  const hits: MemoryEntryRow[] = [];
  for (const cid of t.memberships.get(userId) ?? []) {
    if (q.conversationId !== undefined && cid !== q.conversationId) continue;
    const c = t.conversations.get(cid);
    const m = c?.members.get(userId);
    if (!c || !m) continue;
    const last = visibleLast(m, c.lastSeq);
    for (let seq = m.joinedSeq; seq <= last; seq++) {
      const row = c.log[seq - 1];
      if (!row) continue;
      if (q.senderId !== undefined && row.senderId !== q.senderId) continue;
      if (q.before !== undefined && row.createdAt >= q.before) continue;
      if (q.after !== undefined && row.createdAt <= q.after) continue;
      if (!pastCursor(row.createdAt, row.id, q.cursor)) continue;
      if (hiddenAt(t, userId, row.id) !== undefined) continue;
      const text = searchableText(row.type, JSON.parse(row.body) as unknown);
      if (text !== null && matchesTerms(text, q.terms)) hits.push(row);
    }
  }
  hits.sort(newestFirst);
  const page = hits.slice(0, q.limit).map((row) => {
    const msg = entryOf(row);
    return row.senderId === userId ? msg : { ...msg, clientMsgId: null };
  });
  return { messages: page, hasMore: hits.length > q.limit };
}
