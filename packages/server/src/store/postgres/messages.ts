/**
 * The PostgreSQL store's messages: group-committed sends (idempotent by sender and clientMsgId,
 * seqs gap-free under the conversations' row locks) and history pages within the visible window.
 */
import type pg from 'pg';
import type { MemberRole, Message } from '@natter/protocol';
import { mayMentionAll, parseGroupProfile, sendRefusal } from '../rules/groups.js';
import { mentionsText, storedMessage, toMessage, toSendRecord, toViewedMember, type MessageRow } from '../rows.js';
import { replyAllowed, sameSend } from '../rules/sends.js';
import { mentionsAllowed, splitMentions } from '../rules/unread.js';
import { pageOf, pageRange } from '../rules/visibility.js';
import { hideLookupIds, maskPage } from '../rules/hidden.js';
import type { AppendOutcome, NewMessage, PageQuery } from '../store.js';
import type { PgConversations } from './conversations.js';
import type { PgDb, Touched } from './db.js';

/** Thrown inside the set-based append to roll back and take the one-by-one path. */
class RetryOneByOne extends Error {}

/** Sends and history pages. */
export class PgMessages {
  constructor(
    private readonly db: PgDb,
    private readonly conversations: PgConversations,
  ) {}

  async appendMessages(batch: NewMessage[]): Promise<AppendOutcome[]> {
    if (batch.length === 0) return [];
    // Set-based: a handful of round trips per batch whatever its size. If another process
    // stored one of these clientMsgIds at the same moment, fall back to the careful path.
    try {
      return await this.db.tx((c, t) => this.appendSetBased(c, t, batch));
    } catch (err) {
      if (!(err instanceof RetryOneByOne)) throw err;
      return this.appendOneByOne(batch);
    }
  }

  /** Throws RetryOneByOne (rolling back) when an insert met a concurrent duplicate. */
  private async appendSetBased(c: pg.PoolClient, t: Touched, batch: NewMessage[]): Promise<AppendOutcome[]> {
    const convIds = [...new Set(batch.map((m) => m.conversationId))].sort();
    const locked = await c.query<{ id: string; last_seq: number; msg_count: number; closed: boolean; kind: 'direct' | 'group'; group_profile: string | null }>(
      `SELECT id, last_seq, msg_count, closed, kind, group_profile FROM conversations WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE`,
      [convIds],
    );
    // A closed direct conversation (a block between its two members) takes no sends: not_found.
    const lastSeq = new Map(locked.rows.filter((r) => !r.closed).map((r) => [r.id, r.last_seq]));
    // Sends are all countable (rules/unread.ts): each adds one to its conversation's count.
    const msgCount = new Map(locked.rows.map((r) => [r.id, r.msg_count]));
    // Groups: the profile (mutes, dissolved) each send is checked against (rules/groups.ts).
    const convOf = new Map(locked.rows.map((r) => [r.id, { kind: r.kind, profile: r.kind === 'group' ? parseGroupProfile(r.group_profile) : null }]));
    // Under the lock, one round trip reads what the batch needs: earlier sends with the same
    // (sender, clientMsgId), the senders' memberships (not a group's other members), and the
    // messages replied to.
    // The memberships read are the senders' and those of the users the sends mention (bounded by
    // the mentions, not by the groups' sizes).
    const memberKeys = batch.flatMap((m) => [m.senderId, ...splitMentions(m.mentions).userIds].map((u) => `${m.conversationId}\u0000${u}`));
    const senderKeys = [...new Set(memberKeys)].map((k) => k.split('\u0000'));
    const replyIds = [...new Set(batch.map((m) => m.replyTo).filter((r): r is string => r !== null))];
    const found = await c.query<{
      priors: MessageRow[] | null;
      members: { conversation_id: string; user_id: string; state: string; joined_seq: number; role: MemberRole; muted_until: number | null }[] | null;
      replies: { id: string; conversation_id: string; seq: number }[] | null;
    }>(
      `SELECT
         (SELECT json_agg(m) FROM messages m JOIN unnest($1::text[], $2::text[]) AS k(s, c) ON m.sender_id = k.s AND m.client_msg_id = k.c) AS priors,
         (SELECT json_agg(json_build_object('conversation_id', m.conversation_id, 'user_id', m.user_id, 'state', m.state, 'joined_seq', m.joined_seq,
                                            'role', m.role, 'muted_until', m.muted_until))
            FROM members m JOIN unnest($3::text[], $4::text[]) AS k(c, u) ON m.conversation_id = k.c AND m.user_id = k.u) AS members,
         (SELECT json_agg(json_build_object('id', id, 'conversation_id', conversation_id, 'seq', seq)) FROM messages WHERE id = ANY($5::text[])) AS replies`,
      [batch.map((m) => m.senderId), batch.map((m) => m.clientMsgId), senderKeys.map((k) => k[0]), senderKeys.map((k) => k[1]), replyIds],
    );
    const { priors, members, replies: replyRows } = found.rows[0]!;
    const prior = new Map((priors ?? []).map((r) => [`${r.sender_id}\u0000${r.client_msg_id}`, r]));
    const member = new Map((members ?? []).map((r) => [`${r.conversation_id}\u0000${r.user_id}`, r]));
    const replies = new Map((replyRows ?? []).map((r) => [r.id, r]));

    const out: AppendOutcome[] = [];
    const inserts: { m: NewMessage; seq: number; msgIndex: number }[] = [];
    const inBatch = new Map<string, { m: NewMessage; seq: number }>();
    for (const m of batch) {
      const key = `${m.senderId}\u0000${m.clientMsgId}`;
      const earlier = prior.get(key);
      if (earlier) {
        out.push(this.priorOutcome(earlier, m));
        continue;
      }
      const twin = inBatch.get(key);
      if (twin) {
        out.push(sameSend(twin.m, m) ? { kind: 'duplicate', message: storedMessage(twin.m, twin.seq) } : { kind: 'conflict' });
        continue;
      }
      const mem = member.get(`${m.conversationId}\u0000${m.senderId}`);
      if (!mem || mem.state !== 'active' || !lastSeq.has(m.conversationId)) {
        out.push({ kind: 'not_found' });
        continue;
      }
      const refusal = sendRefusal(convOf.get(m.conversationId)!, { role: mem.role, mutedUntil: mem.muted_until }, m.createdAt);
      if (refusal) {
        out.push({ kind: refusal });
        continue;
      }
      if (m.replyTo !== null) {
        const stored = replies.get(m.replyTo);
        const inBatchTarget = inserts.find((i) => i.m.id === m.replyTo && i.m.conversationId === m.conversationId);
        const target = stored ? { conversationId: stored.conversation_id, seq: stored.seq } : inBatchTarget && { conversationId: inBatchTarget.m.conversationId, seq: inBatchTarget.seq };
        if (!replyAllowed(target, m.conversationId, mem.joined_seq)) {
          out.push({ kind: 'bad_reply' });
          continue;
        }
      }
      if (!mentionsAllowed(m.mentions, (u) => member.get(`${m.conversationId}\u0000${u}`)?.state === 'active')) {
        out.push({ kind: 'bad_mention' });
        continue;
      }
      if (!mayMentionAll(m.mentions, convOf.get(m.conversationId)!.kind, mem.role)) {
        out.push({ kind: 'mention_all_forbidden' });
        continue;
      }
      const seq = lastSeq.get(m.conversationId)! + 1;
      lastSeq.set(m.conversationId, seq);
      const msgIndex = msgCount.get(m.conversationId)! + 1;
      msgCount.set(m.conversationId, msgIndex);
      const entry = { m, seq, msgIndex };
      inserts.push(entry);
      inBatch.set(key, entry);
      out.push({ kind: 'stored', seq });
    }
    if (inserts.length === 0) return out;

    const inserted = await c.query(
      `INSERT INTO messages (conversation_id, seq, id, sender_id, type, body, client_msg_id, reply_to, created_at, msg_index, mentions)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::bigint[], $11::text[])
       ON CONFLICT (sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL DO NOTHING`,
      [
        inserts.map((i) => i.m.conversationId),
        inserts.map((i) => i.seq),
        inserts.map((i) => i.m.id),
        inserts.map((i) => i.m.senderId),
        inserts.map((i) => i.m.type),
        inserts.map((i) => i.m.body),
        inserts.map((i) => i.m.clientMsgId),
        inserts.map((i) => i.m.replyTo),
        inserts.map((i) => i.m.createdAt),
        inserts.map((i) => i.msgIndex),
        inserts.map((i) => mentionsText(i.m)),
      ],
    );
    // A concurrent process stored one of these clientMsgIds first: seqs would have a hole.
    if (inserted.rowCount !== inserts.length) throw new RetryOneByOne();
    const touched = [...new Set(inserts.map((i) => i.m.conversationId))];
    // Sending implies having read up to one's own message: own messages never count as unread.
    const readBy = new Map<string, { seq: number; msgIndex: number }>();
    for (const i of inserts) readBy.set(`${i.m.conversationId}\u0000${i.m.senderId}`, i);
    const reads = [...readBy].map(([k, r]) => [...k.split('\u0000'), r.seq, r.msgIndex] as [string, string, number, number]);
    await c.query(
      `UPDATE members SET read_seq = GREATEST(read_seq, v.s), read_index = CASE WHEN v.s > read_seq THEN v.i ELSE read_index END
       FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) AS v(c, u, s, i)
       WHERE members.conversation_id = v.c AND members.user_id = v.u`,
      [reads.map((r) => r[0]), reads.map((r) => r[1]), reads.map((r) => r[2]), reads.map((r) => r[3])],
    );
    await this.storeMentions(c, inserts);
    // last_seq and msg_count are written with the version stamp at the end of the transaction.
    for (const id of touched) t.conversation(id, lastSeq.get(id)!, msgCount.get(id)!);
    return out;
  }

  /**
   * The mentioned members' mention_seq and the conversations' all_mention_seq (rules/unread.ts):
   * rows written are bounded by the mentions, never by the groups' sizes. Nothing without mentions.
   */
  private async storeMentions(c: pg.PoolClient, stored: { m: NewMessage; seq: number }[]): Promise<void> {
    const convs: string[] = [];
    const users: string[] = [];
    const seqs: number[] = [];
    const all = new Map<string, number>();
    for (const { m, seq } of stored) {
      const split = splitMentions(m.mentions);
      for (const u of split.userIds) {
        convs.push(m.conversationId);
        users.push(u);
        seqs.push(seq);
      }
      if (split.all) all.set(m.conversationId, seq);
    }
    if (convs.length > 0) {
      await c.query(
        `UPDATE members SET mention_seq = GREATEST(mention_seq, v.s) FROM (
           SELECT c, u, max(s) AS s FROM unnest($1::text[], $2::text[], $3::bigint[]) AS x(c, u, s) GROUP BY c, u ORDER BY c, u) AS v
         WHERE members.conversation_id = v.c AND members.user_id = v.u`,
        [convs, users, seqs],
      );
    }
    if (all.size > 0) {
      await c.query(
        `UPDATE conversations SET all_mention_seq = GREATEST(all_mention_seq, v.s) FROM unnest($1::text[], $2::bigint[]) AS v(id, s) WHERE conversations.id = v.id`,
        [[...all.keys()], [...all.values()]],
      );
    }
  }

  /** The original path: one entry at a time, handling a concurrent duplicate per entry. */
  private async appendOneByOne(batch: NewMessage[]): Promise<AppendOutcome[]> {
    return this.db.tx(async (c, t) => {
      await this.db.lockConversations(
        c,
        batch.map((m) => m.conversationId),
      );
      const closed = new Set(
        (await c.query<{ id: string }>(`SELECT id FROM conversations WHERE id = ANY($1::text[]) AND closed`, [batch.map((m) => m.conversationId)])).rows.map((r) => r.id),
      );
      const out: AppendOutcome[] = [];
      for (const m of batch) {
        const prior = (await c.query<MessageRow>(`SELECT * FROM messages WHERE sender_id = $1 AND client_msg_id = $2`, [m.senderId, m.clientMsgId])).rows[0];
        if (prior) {
          out.push(this.priorOutcome(prior, m));
          continue;
        }
        const member = (
          await c.query<{ state: string; joined_seq: number; role: MemberRole; muted_until: number | null; kind: 'direct' | 'group'; group_profile: string | null }>(
            `SELECT m.state, m.joined_seq, m.role, m.muted_until, c.kind, c.group_profile
             FROM members m JOIN conversations c ON c.id = m.conversation_id WHERE m.conversation_id = $1 AND m.user_id = $2`,
            [m.conversationId, m.senderId],
          )
        ).rows[0];
        if (!member || member.state !== 'active' || closed.has(m.conversationId)) {
          out.push({ kind: 'not_found' });
          continue;
        }
        const refusal = sendRefusal(
          { kind: member.kind, profile: member.kind === 'group' ? parseGroupProfile(member.group_profile) : null },
          { role: member.role, mutedUntil: member.muted_until },
          m.createdAt,
        );
        if (refusal) {
          out.push({ kind: refusal });
          continue;
        }
        if (m.replyTo !== null) {
          const target = (await c.query<{ conversation_id: string; seq: number }>(`SELECT conversation_id, seq FROM messages WHERE id = $1`, [m.replyTo])).rows[0];
          if (!replyAllowed(target && { conversationId: target.conversation_id, seq: target.seq }, m.conversationId, member.joined_seq)) {
            out.push({ kind: 'bad_reply' });
            continue;
          }
        }
        const mentionedIds = splitMentions(m.mentions).userIds;
        if (mentionedIds.length > 0) {
          const active = await c.query<{ user_id: string }>(
            `SELECT user_id FROM members WHERE conversation_id = $1 AND user_id = ANY($2::text[]) AND state = 'active'`,
            [m.conversationId, mentionedIds],
          );
          const ids = new Set(active.rows.map((r) => r.user_id));
          if (!mentionsAllowed(m.mentions, (u) => ids.has(u))) {
            out.push({ kind: 'bad_mention' });
            continue;
          }
        }
        if (!mayMentionAll(m.mentions, member.kind, member.role)) {
          out.push({ kind: 'mention_all_forbidden' });
          continue;
        }
        const { last_seq: seq, msg_count: msgIndex } = (
          await c.query<{ last_seq: number; msg_count: number }>(
            `UPDATE conversations SET last_seq = last_seq + 1, msg_count = msg_count + 1 WHERE id = $1 RETURNING last_seq, msg_count`,
            [m.conversationId],
          )
        ).rows[0]!;
        const inserted = await c.query(
          `INSERT INTO messages (conversation_id, seq, id, sender_id, type, body, client_msg_id, reply_to, created_at, msg_index, mentions)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
           ON CONFLICT (sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL DO NOTHING`,
          [m.conversationId, seq, m.id, m.senderId, m.type, m.body, m.clientMsgId, m.replyTo, m.createdAt, msgIndex, mentionsText(m)],
        );
        if (inserted.rowCount === 0) {
          // Another process stored this clientMsgId first: give the seq back (we hold the row lock).
          await c.query(`UPDATE conversations SET last_seq = last_seq - 1, msg_count = msg_count - 1 WHERE id = $1`, [m.conversationId]);
          const theirs = (await c.query<MessageRow>(`SELECT * FROM messages WHERE sender_id = $1 AND client_msg_id = $2`, [m.senderId, m.clientMsgId])).rows[0]!;
          out.push(this.priorOutcome(theirs, m));
          continue;
        }
        await c.query(
          `UPDATE members SET read_seq = GREATEST(read_seq, $3), read_index = CASE WHEN $3 > read_seq THEN $4 ELSE read_index END
           WHERE conversation_id = $1 AND user_id = $2`,
          [m.conversationId, m.senderId, seq, msgIndex],
        );
        await this.storeMentions(c, [{ m, seq }]);
        t.conversation(m.conversationId);
        out.push({ kind: 'stored', seq });
      }
      return out;
    });
  }

  private priorOutcome(prior: MessageRow, m: NewMessage): AppendOutcome {
    return sameSend(toSendRecord(prior), m) ? { kind: 'duplicate', message: toMessage(prior) } : { kind: 'conflict' };
  }

  async getMessages(conversationId: string, userId: string, q: PageQuery): Promise<{ messages: Message[]; hasMore: boolean } | null> {
    const r = await this.conversations.viewRow(this.db, conversationId, userId);
    if (!r) return null;
    const range = pageRange(toViewedMember(r), r.last_seq, q);
    const rows = (
      range.kind === 'before'
        ? await this.db.query<MessageRow>(`SELECT * FROM messages WHERE conversation_id = $1 AND seq < $2 AND seq >= $3 ORDER BY seq DESC LIMIT $4`, [
            conversationId,
            range.below,
            range.from,
            range.take,
          ])
        : await this.db.query<MessageRow>(`SELECT * FROM messages WHERE conversation_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4`, [
            conversationId,
            range.above,
            range.through,
            range.take,
          ])
    ).rows;
    const page = pageOf(rows, range, (r) => r.body);
    const messages = page.messages.map(toMessage);
    const h = await this.db.query<{ message_id: string; hidden_at: number }>(
      `SELECT message_id, hidden_at FROM hidden_messages WHERE user_id = $1 AND message_id = ANY($2::text[]) AND unhidden_at IS NULL`,
      [userId, hideLookupIds(messages)],
    );
    return { messages: maskPage(messages, new Map(h.rows.map((x) => [x.message_id, Number(x.hidden_at)]))), hasMore: page.hasMore };
  }
}
