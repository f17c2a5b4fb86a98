/**
 * The MemoryStore's group management: profile, ownership, dissolving and mutes with their system
 * entries, and invite codes. Who may do what is the shared rule (../rules/groups.ts); this module
 * applies its decisions, checking whatever could refuse a write before writing anything.
 */
import type { GroupInvite } from '@natter/protocol';
import {
  DEFAULT_GROUP_PROFILE,
  decideGroupChange,
  decideInviteManagement,
  decideJoin,
  groupInvolvedUsers,
  joinedByInviteBody,
  type GroupChange,
  type GroupMemberRecord,
  type GroupRecord,
} from '../rules/groups.js';
import type { GroupOutcome, InviteOutcome, NewGroupInvite } from '../store.js';
import { appendSystem, join, requireNewEntryId } from './conversations.js';
import { entryOf, MemoryConstraintError, type MemoryConversationRow, type MemoryTables } from './tables.js';
import { activeMembers, memberViews, stateOf } from './views.js';

const recordOf = (c: MemoryConversationRow | undefined): GroupRecord | null => (c ? { kind: c.kind, title: c.title, profile: c.group ?? { ...DEFAULT_GROUP_PROFILE } } : null);

export function changeGroup(t: MemoryTables, conversationId: string, change: GroupChange, entryId: string, now: number): GroupOutcome {
  const c = t.conversations.get(conversationId);
  const members = new Map<string, GroupMemberRecord>();
  for (const u of c ? groupInvolvedUsers(change) : []) {
    const m = c!.members.get(u);
    if (m) members.set(u, { ...m, mutedUntil: m.mutedUntil ?? null });
  }
  const d = decideGroupChange(recordOf(c), change, members, now);
  if (d.kind === 'noop') return { kind: 'noop', conversation: stateOf(c!) };
  if (d.kind !== 'write') return { kind: d.kind };
  const conv = c!;
  requireNewEntryId(t, entryId);
  const entry = appendSystem(t, conv, entryId, d.author, d.body, now);
  const version = t.nextVersion();
  conv.title = d.title;
  conv.group = d.profile;
  for (const r of d.roles) Object.assign(conv.members.get(r.userId)!, { role: r.role, version });
  if (d.mute) Object.assign(conv.members.get(d.mute.userId)!, { mutedUntil: d.mute.until, version });
  return { kind: 'ok', entry: entryOf(entry), conversation: stateOf(conv), affected: d.affected, views: memberViews(conv, d.affected) };
}

function managed<T>(t: MemoryTables, conversationId: string, by: string, then: (c: MemoryConversationRow) => InviteOutcome<T>): InviteOutcome<T> {
  const c = t.conversations.get(conversationId);
  const allowed = decideInviteManagement(recordOf(c), c?.members.get(by));
  return allowed === 'ok' ? then(c!) : { kind: allowed };
}

export function createInvite(t: MemoryTables, conversationId: string, invite: NewGroupInvite): InviteOutcome<GroupInvite> {
  return managed(t, conversationId, invite.createdBy, () => {
    if (t.invites.has(invite.code)) throw new MemoryConstraintError(`invite code ${invite.code} exists`);
    const row: GroupInvite = { ...invite, conversationId, uses: 0, revokedAt: null };
    t.invites.set(row.code, row);
    return { kind: 'ok', value: { ...row } };
  });
}

export function listInvites(t: MemoryTables, conversationId: string, by: string): InviteOutcome<GroupInvite[]> {
  return managed(t, conversationId, by, () => {
    const mine = [...t.invites.values()].filter((i) => i.conversationId === conversationId);
    // Newest first, then by code: the order the SQL stores give.
    mine.sort((a, b) => b.createdAt - a.createdAt || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
    return { kind: 'ok', value: mine.map((i) => ({ ...i })) };
  });
}

export function revokeInvite(t: MemoryTables, conversationId: string, by: string, code: string, now: number): InviteOutcome<GroupInvite> {
  return managed<GroupInvite>(t, conversationId, by, () => {
    const row = t.invites.get(code);
    // Another group's code is as unknown here as one that does not exist.
    if (!row || row.conversationId !== conversationId) return { kind: 'not_found' };
    row.revokedAt ??= now;
    return { kind: 'ok', value: { ...row } };
  });
}

export function joinByInvite(t: MemoryTables, code: string, userId: string, entryId: string, now: number, maxMembers: number): GroupOutcome {
  const invite = t.invites.get(code);
  const c = invite && t.conversations.get(invite.conversationId);
  const member = c?.members.get(userId);
  const d = decideJoin(invite, recordOf(c), member, c ? activeMembers(c).length : 0, maxMembers, now);
  if (d === 'noop') return { kind: 'noop', conversation: stateOf(c!) };
  if (d !== 'join') return { kind: d };
  const conv = c!;
  requireNewEntryId(t, entryId);
  if (!t.users.has(userId)) throw new MemoryConstraintError(`member ${userId} is no user`);
  const entry = appendSystem(t, conv, entryId, userId, joinedByInviteBody(userId, invite!), now);
  join(t, conv, userId, 'member', entry.seq, t.nextVersion());
  invite!.uses += 1;
  return { kind: 'ok', entry: entryOf(entry), conversation: stateOf(conv), affected: [userId], views: memberViews(conv, [userId]) };
}
