/**
 * The SQLite store's group management: profile, ownership, dissolving and mutes with their
 * system entries, and invite codes, as the rules in ../rules/groups.ts decide them. Its
 * statements are its own (prepared here), so the shared statements.ts stays small.
 */
import type Database from 'better-sqlite3';
import type { GroupInvite, MemberRole } from '@natter/protocol';
import { toInvite, toMemberRecord, type InviteRow } from '../rows.js';
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
import type { SqliteConversations } from './conversations.js';
import type { Statements } from './statements.js';

function prepare(db: Database.Database) {
  return {
    setProfile: db.prepare<[string | null, string, number, string]>(`UPDATE conversations SET title = ?, group_profile = ?, version = ? WHERE id = ?`),
    setRole: db.prepare<[MemberRole, number, string, string]>(`UPDATE members SET role = ?, version = ? WHERE conversation_id = ? AND user_id = ?`),
    setMute: db.prepare<[number | null, number, string, string]>(`UPDATE members SET muted_until = ?, version = ? WHERE conversation_id = ? AND user_id = ?`),
    activeCount: db.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM members WHERE conversation_id = ? AND state = 'active'`),
    insertInvite: db.prepare(
      `INSERT INTO group_invites (code, conversation_id, created_by, created_at, expires_at, max_uses, uses, revoked_at)
       VALUES (@code, @conversationId, @createdBy, @createdAt, @expiresAt, @maxUses, 0, NULL)`,
    ),
    invite: db.prepare<[string], InviteRow>(`SELECT * FROM group_invites WHERE code = ?`),
    invitesOf: db.prepare<[string], InviteRow>(`SELECT * FROM group_invites WHERE conversation_id = ? ORDER BY created_at DESC, code`),
    revoke: db.prepare<[number, string]>(`UPDATE group_invites SET revoked_at = coalesce(revoked_at, ?) WHERE code = ?`),
    used: db.prepare<[string]>(`UPDATE group_invites SET uses = uses + 1 WHERE code = ?`),
  };
}

export class SqliteGroups {
  private readonly g: ReturnType<typeof prepare>;

  constructor(
    private readonly db: Database.Database,
    private readonly s: Statements,
    private readonly conversations: SqliteConversations,
  ) {
    this.g = prepare(db);
  }

  private record(id: string): GroupRecord | null {
    const c = this.s.conversation.get(id);
    return c ? { kind: c.kind, title: c.title, profile: parseGroupProfile(c.group_profile) } : null;
  }

  async changeGroup(conversationId: string, change: GroupChange, entryId: string, now: number): Promise<GroupOutcome> {
    return this.db
      .transaction((): GroupOutcome => {
        const conv = this.record(conversationId);
        const members = new Map<string, GroupMemberRecord>();
        for (const userId of conv ? groupInvolvedUsers(change) : []) {
          const row = this.s.member.get(conversationId, userId);
          if (row) members.set(userId, { ...toMemberRecord(userId, row), mutedUntil: row.muted_until });
        }
        const d = decideGroupChange(conv, change, members, now);
        if (d.kind === 'noop') return { kind: 'noop', conversation: this.conversations.state(conversationId)! };
        if (d.kind !== 'write') return { kind: d.kind };
        const entry = this.conversations.appendSystem(conversationId, entryId, d.author, d.body, now);
        const version = this.s.nextVersion.get()!.value;
        this.g.setProfile.run(d.title, serializeGroupProfile(d.profile), version, conversationId);
        for (const r of d.roles) this.g.setRole.run(r.role, version, conversationId, r.userId);
        if (d.mute) this.g.setMute.run(d.mute.until, version, conversationId, d.mute.userId);
        const state = this.conversations.state(conversationId)!;
        return { kind: 'ok', entry, conversation: state, affected: d.affected, views: this.conversations.memberViews(state, d.affected, entry) };
      })
      .immediate();
  }

  /** Runs `then` if `by` manages the group's invites, in one transaction. */
  private managed<T>(conversationId: string, by: string, then: () => InviteOutcome<T>): Promise<InviteOutcome<T>> {
    return Promise.resolve(
      this.db
        .transaction((): InviteOutcome<T> => {
          const allowed = decideInviteManagement(this.record(conversationId), this.s.member.get(conversationId, by));
          return allowed === 'ok' ? then() : { kind: allowed };
        })
        .immediate(),
    );
  }

  createInvite(conversationId: string, invite: NewGroupInvite): Promise<InviteOutcome<GroupInvite>> {
    return this.managed(conversationId, invite.createdBy, () => {
      this.g.insertInvite.run({ ...invite, conversationId });
      return { kind: 'ok', value: toInvite(this.g.invite.get(invite.code)!) };
    });
  }

  listInvites(conversationId: string, by: string): Promise<InviteOutcome<GroupInvite[]>> {
    return this.managed(conversationId, by, () => ({ kind: 'ok', value: this.g.invitesOf.all(conversationId).map(toInvite) }));
  }

  revokeInvite(conversationId: string, by: string, code: string, now: number): Promise<InviteOutcome<GroupInvite>> {
    return this.managed<GroupInvite>(conversationId, by, () => {
      const row = this.g.invite.get(code);
      if (row?.conversation_id !== conversationId) return { kind: 'not_found' };
      this.g.revoke.run(now, code);
      return { kind: 'ok', value: toInvite(this.g.invite.get(code)!) };
    });
  }

  async joinByInvite(code: string, userId: string, entryId: string, now: number, maxMembers: number): Promise<GroupOutcome> {
    return this.db
      .transaction((): GroupOutcome => {
        const row = this.g.invite.get(code);
        const invite = row && toInvite(row);
        const conv = invite ? this.record(invite.conversationId) : null;
        const member = invite && this.s.member.get(invite.conversationId, userId);
        const count = invite ? this.g.activeCount.get(invite.conversationId)!.n : 0;
        const d = decideJoin(invite, conv, member, count, maxMembers, now);
        if (d === 'noop') return { kind: 'noop', conversation: this.conversations.state(invite!.conversationId)! };
        if (d !== 'join') return { kind: d };
        const id = invite!.conversationId;
        const entry = this.conversations.appendSystem(id, entryId, userId, joinedByInviteBody(userId, invite!), now);
        const version = this.s.nextVersion.get()!.value;
        this.s.upsertMember.run({ conversationId: id, userId, role: 'member', seq: entry.seq, version });
        this.g.used.run(code);
        const state = this.conversations.state(id)!;
        return { kind: 'ok', entry, conversation: state, affected: [userId], views: this.conversations.memberViews(state, [userId], entry) };
      })
      .immediate();
  }
}
