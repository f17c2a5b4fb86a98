/**
 * The SQLite store's messages: group-committed sends (idempotent by sender and clientMsgId)
 * and history pages within the visible window.
 */
import type Database from 'better-sqlite3';
import type { GroupProfile, MemberRole, Message } from '@natter/protocol';
import { mayMentionAll, parseGroupProfile, sendRefusal } from '../rules/groups.js';
import { mentionsText, toMessage, toSendRecord, toViewedMember } from '../rows.js';
import { replyAllowed, sameSend } from '../rules/sends.js';
import { countable, mentionsAllowed, splitMentions } from '../rules/unread.js';
import { pageOf, pageRange } from '../rules/visibility.js';
import { hideLookupIds, maskPage } from '../rules/hidden.js';
import type { AppendOutcome, NewMessage, PageQuery } from '../store.js';
import type { Statements } from './statements.js';

/** What a send reads of its sender's member row. */
interface SenderRow {
  state: string;
  joined_seq: number;
  role: MemberRole;
  muted_until: number | null;
}

/** One conversation's state while a batch of sends is appended. */
interface BatchConversation {
  lastSeq: number;
  /** Countable entries so far (rules/unread.ts). */
  msgCount: number;
  closed: boolean;
  kind: 'direct' | 'group';
  /** Groups: the profile (mutes, dissolved); null for direct conversations. */
  profile: GroupProfile | null;
  /** Senders looked up so far: their membership, or null when they never were members. */
  senders: Map<string, SenderRow | null>;
  changed: boolean;
}

/** Sends and history pages. */
export class SqliteMessages {
  constructor(
    private readonly db: Database.Database,
    private readonly s: Statements,
  ) {}

  async appendMessages(batch: NewMessage[]): Promise<AppendOutcome[]> {
    return this.db
      .transaction(() => {
        // Work is done once per conversation and per sender in a batch, not per message: one
        // point query loads a conversation's seq with its first sender's membership (a group's
        // other members are never read: a send needs only its sender's), the seq, version and
        // the sender's read cursor are written at the end. Per message there is one insert; the
        // idempotency lookup only runs when the insert hits the (sender, clientMsgId) index or
        // the send is refused anyway (a retried send is answered with its original even after
        // leaving).
        const convs = new Map<string, BatchConversation | null>();
        const readBy = new Map<string, { conversationId: string; userId: string; seq: number; msgIndex: number }>();
        const priorOr = (m: NewMessage, refusal: AppendOutcome): AppendOutcome => {
          const prior = this.s.messageByClientId.get(m.senderId, m.clientMsgId);
          if (!prior) return refusal;
          return sameSend(toSendRecord(prior), m) ? { kind: 'duplicate', message: toMessage(prior) } : { kind: 'conflict' };
        };
        const outcomes = batch.map((m): AppendOutcome => {
          let conv = convs.get(m.conversationId);
          if (conv === undefined) {
            conv = this.batchConversation(m.conversationId, m.senderId);
            convs.set(m.conversationId, conv);
          }
          const member = conv && this.batchSender(conv, m.conversationId, m.senderId);
          // A closed direct conversation (a block between its two members) refuses every send.
          if (!conv || conv.closed || !member || member.state !== 'active') return priorOr(m, { kind: 'not_found' });
          const refusal = sendRefusal(conv, { role: member.role, mutedUntil: member.muted_until }, m.createdAt);
          if (refusal) return priorOr(m, { kind: refusal });
          if (m.replyTo !== null) {
            const target = this.s.messageById.get(m.replyTo);
            if (!replyAllowed(target && { conversationId: target.conversation_id, seq: target.seq }, m.conversationId, member.joined_seq)) {
              return priorOr(m, { kind: 'bad_reply' });
            }
          }
          if (!mentionsAllowed(m.mentions, (u) => this.batchSender(conv, m.conversationId, u)?.state === 'active')) {
            return priorOr(m, { kind: 'bad_mention' });
          }
          if (!mayMentionAll(m.mentions, conv.kind, member.role)) return priorOr(m, { kind: 'mention_all_forbidden' });
          const seq = conv.lastSeq + 1;
          const msgIndex = conv.msgCount + (countable(m.type) ? 1 : 0);
          const row = { ...m, seq, msgIndex, mentions: mentionsText(m) };
          if (this.s.insertMessage.run(row).changes === 0) return priorOr(m, { kind: 'conflict' });
          conv.lastSeq = seq;
          conv.msgCount = msgIndex;
          conv.changed = true;
          readBy.set(`${m.conversationId}\u0000${m.senderId}`, { conversationId: m.conversationId, userId: m.senderId, seq, msgIndex });
          // Mentions write the mentioned members' rows only: bounded by the message, not the group.
          const { userIds, all } = splitMentions(m.mentions);
          for (const u of userIds) this.s.mentionMember.run(seq, m.conversationId, u);
          if (all) this.s.mentionAll.run(seq, m.conversationId);
          return { kind: 'stored', seq };
        });
        const changed = [...convs].filter((e): e is [string, BatchConversation] => e[1]?.changed === true);
        if (changed.length > 0) {
          // One version per changed conversation, taken from the counter in one step.
          let version = this.s.takeVersions.get(changed.length)!.value - changed.length;
          for (const [id, conv] of changed) this.s.setSeq.run(conv.lastSeq, conv.msgCount, ++version, id);
        }
        // Sending implies having read up to one's own message: own messages never count as unread.
        for (const r of readBy.values()) this.s.readAtLeast.run(r);
        return outcomes;
      })
      .immediate();
  }

  /** A conversation's seq and its first sender's membership in one query, for one batch of sends. */
  private batchConversation(id: string, senderId: string): BatchConversation | null {
    const row = this.s.seqAndSender.get(senderId, id);
    if (!row) return null;
    const sender = row.state === null ? null : { state: row.state, joined_seq: row.joined_seq!, role: row.role!, muted_until: row.muted_until };
    const profile = row.kind === 'group' ? parseGroupProfile(row.group_profile) : null;
    return {
      lastSeq: row.last_seq,
      msgCount: row.msg_count,
      closed: row.closed !== 0,
      kind: row.kind,
      profile,
      senders: new Map([[senderId, sender]]),
      changed: false,
    };
  }

  private batchSender(conv: BatchConversation, conversationId: string, senderId: string): SenderRow | null {
    let sender = conv.senders.get(senderId);
    if (sender === undefined) {
      sender = this.s.senderMember.get(conversationId, senderId) ?? null;
      conv.senders.set(senderId, sender);
    }
    return sender;
  }

  async getMessages(conversationId: string, userId: string, q: PageQuery): Promise<{ messages: Message[]; hasMore: boolean } | null> {
    return this.db.transaction(() => {
      const r = this.s.view.get(conversationId, userId);
      if (!r) return null;
      const range = pageRange(toViewedMember(r), r.last_seq, q);
      const rows =
        range.kind === 'before'
          ? this.s.messagesBefore.iterate(conversationId, range.below, range.from, range.take)
          : this.s.messagesAfter.iterate(conversationId, range.above, range.through, range.take);
      const page = pageOf(rows, range, (r) => r.body);
      const messages = page.messages.map(toMessage);
      const hidden = new Map(this.s.hiddenAmong.all(userId, JSON.stringify(hideLookupIds(messages))).map((h) => [h.message_id, h.hidden_at]));
      return { messages: maskPage(messages, hidden), hasMore: page.hasMore };
    })();
  }
}
