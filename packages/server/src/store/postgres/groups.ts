/**
 * The PostgreSQL store's group management: profile, ownership, dissolving and mutes with their
 * system entries, and invite codes, as the rules in ../rules/groups.ts decide them. Every write
 * follows db.ts's lock order: the conversation's row first, then member rows, then new rows
 * (invite codes are only written under their group's row lock).
 */
import type pg from 'pg';
import type { GroupInvite } from '@natter/protocol';
import { toInvite, toMemberRecord, type InviteRow, type MemberRow } from '../rows.js';
import {
  decideGroupChange,
  decideInviteManagement,
  decideJoin,
  groupInvolvedUsers,
  joinedByInviteBody,
  parseGroupProfile,
  serializeGroupProfile,
  type GroupChange,
  type GroupMemberRecord,
  type GroupRecord,
} from '../rules/groups.js';
import type { GroupOutcome, InviteOutcome, NewGroupInvite } from '../store.js';
import type { PgConversations } from './conversations.js';
import type { PgDb, Q } from './db.js';

type MemberWithMute = MemberRow & { user_id: string; muted_until: number | null };

export class PgGroups {
  constructor(
    private readonly db: PgDb,
    private readonly conversations: PgConversations,
  ) {}

  /** The group's row, locked (step 1 of the lock order); null when there is none. */
  private async lockedRecord(c: pg.PoolClient, id: string): Promise<GroupRecord | null> {
    const r = (
      await c.query<{ kind: 'direct' | 'group'; title: string | null; group_profile: string | null }>(
        `SELECT kind, title, group_profile FROM conversations WHERE id = $1 FOR NO KEY UPDATE`,
        [id],
      )
    ).rows[0];
    return r ? { kind: r.kind, title: r.title, profile: parseGroupProfile(r.group_profile) } : null;
  }

  private async members(q: Q, conversationId: string, userIds: string[]): Promise<Map<string, MemberWithMute>> {
    const r = await q.query<MemberWithMute>(
      `SELECT user_id, role, state, joined_seq, left_seq, muted_until FROM members WHERE conversation_id = $1 AND user_id = ANY($2::text[])`,
      [conversationId, userIds],
    );
    return new Map(r.rows.map((m) => [m.user_id, m]));
  }

  async changeGroup(conversationId: string, change: GroupChange, entryId: string, now: number): Promise<GroupOutcome> {
    return this.db.tx(async (c, t): Promise<GroupOutcome> => {
      const conv = await this.lockedRecord(c, conversationId);
      const rows = conv ? await this.members(c, conversationId, groupInvolvedUsers(change)) : new Map<string, MemberWithMute>();
      const members = new Map<string, GroupMemberRecord>([...rows].map(([u, r]) => [u, { ...toMemberRecord(u, r), mutedUntil: r.muted_until }]));
      const d = decideGroupChange(conv, change, members, now);
      if (d.kind === 'noop') return { kind: 'noop', conversation: (await this.conversations.state(c, conversationId))! };
      if (d.kind !== 'write') return { kind: d.kind };
      const entry = await this.conversations.appendSystem(c, t, conversationId, entryId, d.author, d.body, now);
      await c.query(`UPDATE conversations SET title = $2, group_profile = $3 WHERE id = $1`, [conversationId, d.title, serializeGroupProfile(d.profile)]);
      for (const r of d.roles) {
        await c.query(`UPDATE members SET role = $3 WHERE conversation_id = $1 AND user_id = $2`, [conversationId, r.userId, r.role]);
        t.member(conversationId, r.userId);
      }
      if (d.mute) {
        await c.query(`UPDATE members SET muted_until = $3 WHERE conversation_id = $1 AND user_id = $2`, [conversationId, d.mute.userId, d.mute.until]);
        t.member(conversationId, d.mute.userId);
      }
      const state = (await this.conversations.state(c, conversationId))!;
      return { kind: 'ok', entry, conversation: state, affected: d.affected, views: await this.conversations.memberViews(c, state, d.affected, entry) };
    });
  }

  /** Runs `then` in a transaction holding the group's row lock, if `by` manages its invites. */
  private managed<T>(conversationId: string, by: string, then: (c: pg.PoolClient) => Promise<InviteOutcome<T>>): Promise<InviteOutcome<T>> {
    return this.db.tx(async (c): Promise<InviteOutcome<T>> => {
      const conv = await this.lockedRecord(c, conversationId);
      const member = conv ? (await this.members(c, conversationId, [by])).get(by) : undefined;
      const allowed = decideInviteManagement(conv, member);
      return allowed === 'ok' ? then(c) : { kind: allowed };
    });
  }

  createInvite(conversationId: string, invite: NewGroupInvite): Promise<InviteOutcome<GroupInvite>> {
    return this.managed(conversationId, invite.createdBy, async (c) => {
      const r = await c.query<InviteRow>(
        `INSERT INTO group_invites (code, conversation_id, created_by, created_at, expires_at, max_uses, uses, revoked_at)
         VALUES ($1, $2, $3, $4, $5, $6, 0, NULL) RETURNING *`,
        [invite.code, conversationId, invite.createdBy, invite.createdAt, invite.expiresAt, invite.maxUses],
      );
      return { kind: 'ok', value: toInvite(r.rows[0]!) };
    });
  }

  listInvites(conversationId: string, by: string): Promise<InviteOutcome<GroupInvite[]>> {
    return this.managed(conversationId, by, async (c) => {
      const r = await c.query<InviteRow>(`SELECT * FROM group_invites WHERE conversation_id = $1 ORDER BY created_at DESC, code COLLATE "C"`, [conversationId]);
      return { kind: 'ok', value: r.rows.map(toInvite) };
    });
  }

  revokeInvite(conversationId: string, by: string, code: string, now: number): Promise<InviteOutcome<GroupInvite>> {
    return this.managed<GroupInvite>(conversationId, by, async (c) => {
      const r = await c.query<InviteRow>(
        `UPDATE group_invites SET revoked_at = COALESCE(revoked_at, $3) WHERE code = $1 AND conversation_id = $2 RETURNING *`,
        [code, conversationId, now],
      );
      return r.rows[0] ? { kind: 'ok', value: toInvite(r.rows[0]) } : { kind: 'not_found' };
    });
  }

  async joinByInvite(code: string, userId: string, entryId: string, now: number, maxMembers: number): Promise<GroupOutcome> {
    // Which group: read before the transaction (a code never moves between groups), so the
    // group's row is locked first, as everywhere; the code's row is read again under that lock.
    const found = (await this.db.query<{ conversation_id: string }>(`SELECT conversation_id FROM group_invites WHERE code = $1`, [code])).rows[0];
    if (!found) return { kind: 'not_found' };
    const id = found.conversation_id;
    return this.db.tx(async (c, t): Promise<GroupOutcome> => {
      const conv = await this.lockedRecord(c, id);
      const row = (await c.query<InviteRow>(`SELECT * FROM group_invites WHERE code = $1`, [code])).rows[0];
      const member = (await this.members(c, id, [userId])).get(userId);
      const count = (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM members WHERE conversation_id = $1 AND state = 'active'`, [id])).rows[0]!.n;
      const invite = row && toInvite(row);
      const d = decideJoin(invite, conv, member, count, maxMembers, now);
      if (d === 'noop') return { kind: 'noop', conversation: (await this.conversations.state(c, id))! };
      if (d !== 'join') return { kind: d };
      const entry = await this.conversations.appendSystem(c, t, id, entryId, userId, joinedByInviteBody(userId, invite!), now);
      await c.query(
        // A member who joins has read everything before: the read index is the count at the join.
        `INSERT INTO members (conversation_id, user_id, role, state, joined_seq, left_seq, read_seq, read_index, version, muted_until)
         VALUES ($1, $2, 'member', 'active', $3, NULL, $3, (SELECT msg_count FROM conversations WHERE id = $1), 0, NULL)
         ON CONFLICT (conversation_id, user_id) DO UPDATE SET role = 'member', state = 'active', joined_seq = excluded.joined_seq,
           left_seq = NULL, read_seq = excluded.read_seq, read_index = excluded.read_index, muted_until = NULL, left_view = NULL`,
        [id, userId, entry.seq],
      );
      t.member(id, userId);
      await c.query(`UPDATE group_invites SET uses = uses + 1 WHERE code = $1`, [code]);
      const state = (await this.conversations.state(c, id))!;
      return { kind: 'ok', entry, conversation: state, affected: [userId], views: await this.conversations.memberViews(c, state, [userId], entry) };
    });
  }
}
