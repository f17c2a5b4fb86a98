/**
 * The MemoryStore's log: group-committed sends with gap-free seqs and idempotency by
 * (sender, clientMsgId), and paging through what a member may see. appendMessages decides a
 * whole batch against the tables plus what the batch itself has stored so far, then writes it
 * all at once: a batch the schema would refuse (a message id used twice) changes nothing.
 */
import type { Message } from '@natter/protocol';
import type { AppendOutcome, NewMessage, PageQuery } from '../store.js';
import { sameSend, toMessage, type MessageRow } from '../rows.js';
import { clientKey, MemoryConstraintError, type MemoryTables } from './tables.js';
import { visibleLast } from './views.js';

export function appendMessages(t: MemoryTables, batch: NewMessage[]): AppendOutcome[] {
  // What this batch stores, seen by its later items before it is written to the tables.
  const rows: MessageRow[] = [];
  const byId = new Map<string, MessageRow>();
  const byKey = new Map<string, MessageRow>();
  const lastSeqs = new Map<string, number>();
  const findById = (id: string) => byId.get(id) ?? t.messagesById.get(id);
  const findByKey = (key: string) => byKey.get(key) ?? t.messagesByClientKey.get(key);
  // A refused send that was stored before (even by a sender who has left since) is answered
  // with its original, as a retry; a reused clientMsgId with other content is a conflict.
  const priorOr = (m: NewMessage, refusal: AppendOutcome): AppendOutcome => {
    const prior = findByKey(clientKey(m.senderId, m.clientMsgId));
    if (!prior) return refusal;
    return sameSend(prior, m) ? { kind: 'duplicate', message: toMessage(prior) } : { kind: 'conflict' };
  };

  const outcomes = batch.map((m): AppendOutcome => {
    const c = t.conversations.get(m.conversationId);
    const member = c?.members.get(m.senderId);
    if (!c || !member || member.state !== 'active') return priorOr(m, { kind: 'not_found' });
    if (m.replyTo !== null) {
      const target = findById(m.replyTo);
      if (!target || target.conversation_id !== m.conversationId || target.seq < member.joinedSeq) {
        return priorOr(m, { kind: 'bad_reply' });
      }
    }
    const key = clientKey(m.senderId, m.clientMsgId);
    if (findByKey(key)) return priorOr(m, { kind: 'conflict' });
    if (findById(m.id)) throw new MemoryConstraintError(`message id ${m.id} exists`);
    const seq = (lastSeqs.get(c.id) ?? c.lastSeq) + 1;
    const row: MessageRow = {
      conversation_id: m.conversationId,
      seq,
      id: m.id,
      sender_id: m.senderId,
      type: m.type,
      body: m.body,
      client_msg_id: m.clientMsgId,
      reply_to: m.replyTo,
      created_at: m.createdAt,
    };
    rows.push(row);
    byId.set(row.id, row);
    byKey.set(key, row);
    lastSeqs.set(c.id, seq);
    return { kind: 'stored', seq };
  });

  for (const row of rows) {
    t.conversations.get(row.conversation_id)!.log.push(row);
    t.messagesById.set(row.id, row);
    t.messagesByClientKey.set(clientKey(row.sender_id, row.client_msg_id!), row);
    // Sending implies having read up to one's own message (not a change of the sender's view
    // of its own: the conversation's new version covers it).
    const sender = t.conversations.get(row.conversation_id)!.members.get(row.sender_id)!;
    sender.readSeq = Math.max(sender.readSeq, row.seq);
  }
  // One version per changed conversation, in the order the batch first named them.
  for (const [id, lastSeq] of lastSeqs) {
    const c = t.conversations.get(id)!;
    c.lastSeq = lastSeq;
    c.version = t.nextVersion();
  }
  return outcomes;
}

/**
 * Entries visible to the user, within [joinedSeq, visibleLast]: `before` gives the newest below
 * it, otherwise the oldest above `after`; ascending either way. Seqs are gap-free, so the log
 * is an array indexed by seq - 1 and a page is one slice.
 */
export function getMessages(
  t: MemoryTables,
  conversationId: string,
  userId: string,
  q: PageQuery,
): { messages: Message[]; hasMore: boolean } | null {
  const c = t.conversations.get(conversationId);
  const m = c?.members.get(userId);
  if (!c || !m) return null;
  const lo = m.joinedSeq;
  const hi = visibleLast(c, m);
  const limit = Math.max(0, q.limit);
  let from: number;
  let to: number;
  let available: number;
  if (q.before !== undefined) {
    // Capped at hi: a left member must not page back into entries after leftSeq.
    to = Math.min(Math.ceil(q.before) - 1, hi);
    available = Math.max(0, to - lo + 1);
    from = Math.max(lo, to - limit + 1);
  } else {
    from = Math.max(Math.floor(q.after ?? 0) + 1, lo);
    available = Math.max(0, hi - from + 1);
    to = Math.min(hi, from + limit - 1);
  }
  const messages = from <= to ? c.log.slice(from - 1, to).map(toMessage) : [];
  return { messages, hasMore: available > limit };
}
