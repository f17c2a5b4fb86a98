/**
 * The MemoryStore's log: group-committed sends with gap-free seqs and idempotency by
 * (sender, clientMsgId), and paging through what a member may see (the shared rules in
 * ../rules/sends.ts and ../rules/visibility.ts). appendMessages decides a whole batch against
 * the tables plus what the batch itself stores, then writes it all at once: a batch the schema
 * would refuse (a message id used twice) changes nothing.
 */
import type { Message } from '@natter/protocol';
import type { AppendOutcome, NewMessage, PageQuery } from '../store.js';
import { mayMentionAll, sendRefusal } from '../rules/groups.js';
import { replyAllowed, sameSend } from '../rules/sends.js';
import { countable, mentionsAllowed, splitMentions } from '../rules/unread.js';
import { maskPage } from '../rules/hidden.js';
import { hiddenAtOf } from './hidden.js';
import { pageOf, pageRange } from '../rules/visibility.js';
import { clientKey, entryOf, MemoryConstraintError, type MemoryEntryRow, type MemoryTables } from './tables.js';

export function appendMessages(t: MemoryTables, batch: NewMessage[]): AppendOutcome[] {
  // What this batch stores, seen by its later items before it is written to the tables.
  const rows: MemoryEntryRow[] = [];
  const byId = new Map<string, MemoryEntryRow>();
  const byKey = new Map<string, MemoryEntryRow>();
  const lastSeqs = new Map<string, number>();
  // Conversations in the order the batch first names them, stored into or not: the order in
  // which the SQL stores give the changed ones their versions.
  const named = new Set<string>();
  const findById = (id: string) => byId.get(id) ?? t.messagesById.get(id);
  const findByKey = (key: string) => byKey.get(key) ?? t.messagesByClientKey.get(key);
  // A refused send that was stored before (even by a sender who has left since) is answered
  // with its original, as a retry; a reused clientMsgId with other content is a conflict.
  const priorOr = (m: NewMessage, refusal: AppendOutcome): AppendOutcome => {
    const prior = findByKey(clientKey(m.senderId, m.clientMsgId));
    if (!prior) return refusal;
    return sameSend(prior, m) ? { kind: 'duplicate', message: entryOf(prior) } : { kind: 'conflict' };
  };

  const outcomes = batch.map((m): AppendOutcome => {
    const c = t.conversations.get(m.conversationId);
    const member = c?.members.get(m.senderId);
    if (c) named.add(c.id);
    if (!c || member?.state !== 'active' || c.closed === true) return priorOr(m, { kind: 'not_found' });
    const refusal = sendRefusal({ kind: c.kind, profile: c.group ?? null }, { role: member.role, mutedUntil: member.mutedUntil ?? null }, m.createdAt);
    if (refusal) return priorOr(m, { kind: refusal });
    if (m.replyTo !== null && !replyAllowed(findById(m.replyTo), m.conversationId, member.joinedSeq)) {
      return priorOr(m, { kind: 'bad_reply' });
    }
    if (!mentionsAllowed(m.mentions, (u) => c.members.get(u)?.state === 'active')) return priorOr(m, { kind: 'bad_mention' });
    if (!mayMentionAll(m.mentions, c.kind, member.role)) return priorOr(m, { kind: 'mention_all_forbidden' });
    const key = clientKey(m.senderId, m.clientMsgId);
    if (findByKey(key)) return priorOr(m, { kind: 'conflict' });
    if (findById(m.id)) throw new MemoryConstraintError(`message id ${m.id} exists`);
    const seq = (lastSeqs.get(c.id) ?? c.lastSeq) + 1;
    const row: MemoryEntryRow = {
      id: m.id,
      conversationId: m.conversationId,
      seq,
      senderId: m.senderId,
      type: m.type,
      body: m.body,
      clientMsgId: m.clientMsgId,
      replyTo: m.replyTo,
      createdAt: m.createdAt,
    };
    if (m.mentions && m.mentions.length > 0) row.mentions = [...m.mentions];
    rows.push(row);
    byId.set(row.id, row);
    byKey.set(key, row);
    lastSeqs.set(c.id, seq);
    return { kind: 'stored', seq };
  });

  for (const row of rows) {
    const c = t.conversations.get(row.conversationId)!;
    c.log.push(row);
    if (countable(row.type)) c.msgCount += 1;
    c.msgIndex.push(c.msgCount);
    const { userIds, all } = splitMentions(row.mentions);
    for (const u of userIds) {
      const mentioned = c.members.get(u)!;
      mentioned.mentionSeq = Math.max(mentioned.mentionSeq, row.seq);
    }
    if (all) c.allMentionSeq = Math.max(c.allMentionSeq, row.seq);
    t.messagesById.set(row.id, row);
    t.messagesByClientKey.set(clientKey(row.senderId, row.clientMsgId!), row);
    // Sending implies having read up to one's own message. Not a version of its own: the
    // conversation's new version below already changes the sender's view.
    const sender = c.members.get(row.senderId)!;
    if (row.seq > sender.readSeq) {
      sender.readSeq = row.seq;
      sender.readIndex = c.msgCount;
    }
  }
  // One version per changed conversation.
  for (const id of named) {
    const lastSeq = lastSeqs.get(id);
    if (lastSeq === undefined) continue;
    const c = t.conversations.get(id)!;
    c.lastSeq = lastSeq;
    c.version = t.nextVersion();
  }
  return outcomes;
}

/**
 * Entries visible to the user. Seqs are gap-free from 1, so the log is an array indexed by
 * seq - 1 and the rows the shared page range names are one slice.
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
  const range = pageRange(m, c.lastSeq, q);
  const take = Math.max(0, range.take);
  let rows: MemoryEntryRow[];
  if (range.kind === 'before') {
    // seq in [from, below), newest first.
    const to = Math.ceil(range.below) - 1;
    rows = c.log.slice(Math.max(range.from, to - take + 1) - 1, Math.max(0, to)).reverse();
  } else {
    // seq in (above, through], oldest first.
    const from = Math.floor(range.above) + 1;
    rows = c.log.slice(from - 1, Math.min(range.through, from + take - 1));
  }
  const page = pageOf(rows, range, (r) => r.body);
  return { messages: maskPage(page.messages.map(entryOf), hiddenAtOf(t, userId)), hasMore: page.hasMore };
}
