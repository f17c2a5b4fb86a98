/**
 * The PostgreSQL store's conversations and membership: creating them with their first entry,
 * the one direct conversation per pair, states and views, and membership changes as the rules
 * in ../rules/membership.ts decide them, under the conversation's row lock.
 */
import type pg from 'pg';
import type { Conversation, MemberRole, Message, SystemBody } from '@natter/protocol';
import {
  MEMBER_VIEW_COLUMNS,
  PREVIEW_COLUMNS,
  previewHiddenAt,
  toMemberRecord,
  toPreview,
  toView,
  toViewedMember,
  VIEW_BASE_COLUMNS,
  type BaseViewRow,
  type MemberRow,
  type MemberViewColumns,
  type PreviewColumns,
} from '../rows.js';
import { visibleLast } from '../rules/visibility.js';
import { createdBody, directKey } from '../rules/conversations.js';
import { parseGroupProfile, serializeLeftView } from '../rules/groups.js';
import { affectedBy, decideMembership, heirOf, involvedUsers, viewedUsers, type GroupStanding } from '../rules/membership.js';
import { buildView } from '../rules/visibility.js';
import type {
  ConversationState,
  CreatedConversation,
  MembershipChange,
  MembershipOutcome,
  MemberView,
  NewConversation,
} from '../store.js';
import type { PgDb, Q, Touched } from './db.js';

/** The columns of one user's view: a member row joined with its conversation (rows.ts BaseViewRow). */
export const VIEW_COLUMNS = `${VIEW_BASE_COLUMNS}, m.user_id AS viewer_id`;

/** Conversations and membership; `views` and `viewRow` are shared with messages.ts and sync.ts. */
export class PgConversations {
  constructor(private readonly db: PgDb) {}

  async appendSystem(c: pg.PoolClient, t: Touched, conversationId: string, entryId: string, by: string, body: SystemBody, now: number): Promise<Message> {
    const { last_seq: seq, msg_count: msgIndex } = (
      await c.query<{ last_seq: number; msg_count: number }>(`UPDATE conversations SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq, msg_count`, [
        conversationId,
      ])
    ).rows[0]!;
    await c.query(
      `INSERT INTO messages (conversation_id, seq, id, sender_id, type, body, client_msg_id, reply_to, created_at, msg_index)
       VALUES ($1, $2, $3, $4, 'system', $5, NULL, NULL, $6, $7)`,
      [conversationId, seq, entryId, by, JSON.stringify(body), now, msgIndex],
    );
    t.conversation(conversationId);
    return { id: entryId, conversationId, seq, senderId: by, type: 'system', body, clientMsgId: null, replyTo: null, createdAt: now };
  }

  /** Inserts the conversation, its first entry and its members; null when the pair's direct one exists. */
  private async insertConversation(c: pg.PoolClient, t: Touched, conv: NewConversation, key: string | null): Promise<CreatedConversation | null> {
    const r = await c.query(
      `INSERT INTO conversations (id, kind, title, direct_key, last_seq, version, created_by, created_at)
       VALUES ($1, $2, $3, $4, 0, 0, $5, $6) ON CONFLICT (direct_key) DO NOTHING`,
      [conv.id, conv.kind, conv.title, key, conv.createdBy, conv.createdAt],
    );
    if (r.rowCount === 0) return null;
    const entry = await this.appendSystem(c, t, conv.id, conv.createdMessageId, conv.createdBy, createdBody(conv), conv.createdAt);
    await c.query(
      `INSERT INTO members (conversation_id, user_id, role, state, joined_seq, left_seq, read_seq, version)
       SELECT $1, u, r, 'active', $2, NULL, $2, 0 FROM unnest($3::text[], $4::text[]) AS x(u, r)`,
      [conv.id, entry.seq, conv.members.map((m) => m.userId), conv.members.map((m) => m.role)],
    );
    for (const m of conv.members) t.member(conv.id, m.userId);
    const state = (await this.state(c, conv.id))!;
    return { state, entry, views: await this.memberViews(c, state, state.members.map((m) => m.userId), entry) };
  }

  async createConversation(conv: NewConversation): Promise<CreatedConversation> {
    return (await this.db.tx((c, t) => this.insertConversation(c, t, conv, null)))!;
  }

  async openDirect(a: string, b: string, make: () => NewConversation): Promise<{ state: ConversationState; created: CreatedConversation | null }> {
    const key = directKey(a, b);
    const existing = await this.db.query<{ id: string }>(`SELECT id FROM conversations WHERE direct_key = $1`, [key]);
    if (existing.rows[0]) return { state: (await this.state(this.db, existing.rows[0].id))!, created: null };
    const conv = make();
    const created = await this.db.tx((c, t) => this.insertConversation(c, t, conv, key));
    if (created) return { state: created.state, created };
    // Lost the race to another caller: theirs is the one.
    const theirs = await this.db.query<{ id: string }>(`SELECT id FROM conversations WHERE direct_key = $1`, [key]);
    return { state: (await this.state(this.db, theirs.rows[0]!.id))!, created: null };
  }

  /** The views of `userIds` (members or former members) of the conversation in `state`, read with `q`. */
  async memberViews(q: Q, state: ConversationState, userIds: string[], entry: Message): Promise<MemberView[]> {
    const r = await q.query<MemberRow & MemberViewColumns & { user_id: string; msg_count: number; all_mention_seq: number }>(
      `SELECT m.user_id, ${MEMBER_VIEW_COLUMNS}, c.msg_count, c.all_mention_seq FROM members m JOIN conversations c ON c.id = m.conversation_id
       WHERE m.conversation_id = $1 AND m.user_id = ANY($2::text[])`,
      [state.id, userIds],
    );
    const rows = new Map(r.rows.map((m) => [m.user_id, m]));
    const active = state.members.map((m) => m.userId);
    // The entry just appended is the newest each of them may see (a leaver's last one too).
    return userIds.map((userId) => {
      const row = rows.get(userId)!;
      const conv = { ...state, msgCount: row.msg_count, allMentionSeq: row.all_mention_seq };
      return { userId, conversation: buildView(conv, toViewedMember(row), active, entry) };
    });
  }

  async state(q: Q, id: string): Promise<ConversationState | null> {
    const conv = (await q.query<{ id: string; kind: 'direct' | 'group'; title: string | null; last_seq: number; created_at: number; group_profile: string | null }>(
      `SELECT id, kind, title, last_seq, created_at, group_profile FROM conversations WHERE id = $1`,
      [id],
    )).rows[0];
    if (!conv) return null;
    const members = await q.query<{ user_id: string; role: MemberRole }>(
      `SELECT user_id, role FROM members WHERE conversation_id = $1 AND state = 'active' ORDER BY joined_seq, user_id`,
      [id],
    );
    return {
      id: conv.id,
      kind: conv.kind,
      title: conv.title,
      lastSeq: conv.last_seq,
      createdAt: conv.created_at,
      members: members.rows.map((m) => ({ userId: m.user_id, role: m.role })),
      ...(conv.kind === 'group' && { group: parseGroupProfile(conv.group_profile) }),
    };
  }

  async getConversationState(id: string): Promise<ConversationState | null> {
    return this.state(this.db, id);
  }

  async views(q: Q, rows: BaseViewRow[]): Promise<Conversation[]> {
    const activeIds = rows.filter((r) => r.state === 'active').map((r) => r.id);
    const previews = await this.previews(q, rows);
    const members = new Map<string, string[]>();
    if (activeIds.length > 0) {
      const r = await q.query<{ conversation_id: string; user_id: string }>(
        `SELECT conversation_id, user_id FROM members WHERE conversation_id = ANY($1::text[]) AND state = 'active' ORDER BY joined_seq, user_id`,
        [activeIds],
      );
      for (const m of r.rows) {
        let l = members.get(m.conversation_id);
        if (!l) members.set(m.conversation_id, (l = []));
        l.push(m.user_id);
      }
    }
    return rows.map((r) => toView(r, members.get(r.id) ?? [], previews.get(r.id) ?? null));
  }

  /** The preview of each view (the entry at its visible end), in one query. */
  private async previews(q: Q, rows: BaseViewRow[]): Promise<Map<string, Message>> {
    const out = new Map<string, Message>();
    if (rows.length === 0) return out;
    const seqs = rows.map((r) => visibleLast(toViewedMember(r), r.last_seq));
    const r = await q.query<PreviewColumns & { conversation_id: string }>(
      `SELECT p.conversation_id, ${PREVIEW_COLUMNS}, ${previewHiddenAt('k.u')} FROM unnest($1::text[], $2::bigint[], $3::text[]) AS k(c, s, u)
       JOIN messages p ON p.conversation_id = k.c AND p.seq = k.s`,
      [rows.map((x) => x.id), seqs, rows.map((x) => x.viewer_id ?? '')],
    );
    for (const p of r.rows) {
      const m = toPreview(p, p.conversation_id);
      if (m) out.set(p.conversation_id, m);
    }
    return out;
  }

  async viewRow(q: Q, conversationId: string, userId: string): Promise<BaseViewRow | undefined> {
    return (
      await q.query<BaseViewRow>(
        `SELECT ${VIEW_COLUMNS}, m.version AS v FROM members m JOIN conversations c ON c.id = m.conversation_id
         WHERE m.conversation_id = $1 AND m.user_id = $2`,
        [conversationId, userId],
      )
    ).rows[0];
  }

  async getConversationForUser(id: string, userId: string): Promise<Conversation | null> {
    const r = await this.viewRow(this.db, id, userId);
    return r ? (await this.views(this.db, [r]))[0]! : null;
  }

  async activeConversationIds(userId: string): Promise<string[]> {
    const r = await this.db.query<{ conversation_id: string }>(`SELECT conversation_id FROM members WHERE user_id = $1 AND state = 'active'`, [userId]);
    return r.rows.map((x) => x.conversation_id);
  }

  async changeMembership(conversationId: string, change: MembershipChange, entryId: string, now: number): Promise<MembershipOutcome> {
    return this.db.tx(async (c, t): Promise<MembershipOutcome> => {
      await this.db.lockConversations(c, [conversationId]);
      const conv = (
        await c.query<{ kind: 'direct' | 'group'; title: string | null; group_profile: string | null }>(`SELECT kind, title, group_profile FROM conversations WHERE id = $1`, [
          conversationId,
        ])
      ).rows[0];
      const rows = conv
        ? (
            await c.query<MemberRow & { user_id: string }>(
              `SELECT user_id, role, state, joined_seq, left_seq FROM members WHERE conversation_id = $1 AND user_id = ANY($2::text[])`,
              [conversationId, involvedUsers(change)],
            )
          ).rows
        : [];
      let standing: GroupStanding | undefined;
      if (conv?.kind === 'group') {
        const count = change.kind === 'add' ? (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM members WHERE conversation_id = $1 AND state = 'active'`, [conversationId])).rows[0]!.n : 0;
        standing = { dissolved: parseGroupProfile(conv.group_profile).dissolvedAt !== null, activeCount: count };
      }
      const d = decideMembership(conv?.kind ?? null, change, new Map(rows.map((r) => [r.user_id, toMemberRecord(r.user_id, r)])), standing);
      if (d.kind === 'not_found' || d.kind === 'forbidden' || d.kind === 'not_member' || d.kind === 'full' || d.kind === 'dissolved') return d;
      if (d.kind === 'noop') return { kind: 'noop', conversation: (await this.state(c, conversationId))! };
      const entry = await this.appendSystem(c, t, conversationId, entryId, d.author, d.body, now);
      let newOwner: string | null = null;
      switch (d.kind) {
        case 'join':
          await c.query(
            // A member who joins has read everything before: the read index is the count at the join.
            `INSERT INTO members (conversation_id, user_id, role, state, joined_seq, left_seq, read_seq, read_index, version)
             SELECT $1, u, 'member', 'active', $2, NULL, $2, (SELECT msg_count FROM conversations WHERE id = $1), 0 FROM unnest($3::text[]) AS u
             ON CONFLICT (conversation_id, user_id) DO UPDATE SET role = 'member', state = 'active', joined_seq = excluded.joined_seq,
               left_seq = NULL, read_seq = excluded.read_seq, read_index = excluded.read_index, muted_until = NULL, left_view = NULL`,
            [conversationId, entry.seq, d.userIds],
          );
          for (const u of d.userIds) t.member(conversationId, u);
          break;
        case 'role':
          await c.query(`UPDATE members SET role = $3 WHERE conversation_id = $1 AND user_id = $2`, [conversationId, d.userId, d.role]);
          t.member(conversationId, d.userId);
          break;
        case 'leave':
          await c.query(`UPDATE members SET state = 'left', left_seq = $3, left_view = $4 WHERE conversation_id = $1 AND user_id = $2`, [
            conversationId,
            d.userId,
            entry.seq,
            serializeLeftView(conv!.title, conv!.kind === 'group' ? parseGroupProfile(conv!.group_profile) : undefined),
          ]);
          t.member(conversationId, d.userId);
          if (d.passOwnership) {
            const rest = await c.query<MemberRow & { user_id: string }>(
              `SELECT user_id, role, state, joined_seq, left_seq FROM members WHERE conversation_id = $1 AND state = 'active'`,
              [conversationId],
            );
            newOwner = heirOf(rest.rows.map((r) => toMemberRecord(r.user_id, r)), d.userId);
            if (newOwner !== null) {
              await c.query(`UPDATE members SET role = 'owner' WHERE conversation_id = $1 AND user_id = $2`, [conversationId, newOwner]);
              t.member(conversationId, newOwner);
            }
          }
          break;
      }
      const state = (await this.state(c, conversationId))!;
      const affected = affectedBy(d);
      return { kind: 'ok', entry, conversation: state, affected, newOwner, views: await this.memberViews(c, state, viewedUsers(affected, newOwner), entry) };
    });
  }
}
