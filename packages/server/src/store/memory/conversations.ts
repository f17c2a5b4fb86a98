/**
 * The MemoryStore's conversations and membership: creation with the `conversation.created`
 * entry, one direct conversation per pair, and membership changes with their system entry and
 * the views they changed. Each function checks everything that could refuse the write before
 * writing anything, then writes synchronously: atomic without a transaction.
 */
import type { Conversation, SystemBody } from '@natter/protocol';
import type {
  ConversationState,
  CreatedConversation,
  MembershipChange,
  MembershipOutcome,
  NewConversation,
} from '../store.js';
import { directKey, toMessage } from '../rows.js';
import { MemoryConstraintError, MemoryTables, type MemoryConversationRow, type MemoryMemberRow } from './tables.js';
import { activeMembers, memberViews, stateOf, viewOf } from './views.js';

/** Throws unless `id` is free for a new log entry (message ids are unique across the store). */
function requireNewEntryId(t: MemoryTables, id: string): void {
  if (t.messagesById.has(id)) throw new MemoryConstraintError(`message id ${id} exists`);
}

function requireUsers(t: MemoryTables, userIds: Iterable<string>): void {
  for (const id of userIds) if (!t.users.has(id)) throw new MemoryConstraintError(`member ${id} is no user`);
}

/** Appends a system entry at lastSeq + 1 with a new conversation version. Checked by the caller. */
function appendSystem(t: MemoryTables, c: MemoryConversationRow, entryId: string, by: string, body: SystemBody, now: number) {
  c.version = t.nextVersion();
  c.lastSeq += 1;
  const row = {
    conversation_id: c.id,
    seq: c.lastSeq,
    id: entryId,
    sender_id: by,
    type: 'system',
    body: JSON.stringify(body),
    client_msg_id: null,
    reply_to: null,
    created_at: now,
  };
  c.log.push(row);
  t.messagesById.set(entryId, row);
  return row;
}

/** Makes `userId` an active member from `seq` (a fresh row, or a left member's row renewed). */
function join(t: MemoryTables, c: MemoryConversationRow, userId: string, role: MemoryMemberRow['role'], seq: number, version: number): void {
  c.members.set(userId, { userId, role, state: 'active', joinedSeq: seq, leftSeq: null, readSeq: seq, version });
  MemoryTables.index(t.memberships, userId, c.id);
}

function insertConversation(t: MemoryTables, conv: NewConversation, key: string | null): CreatedConversation {
  if (t.conversations.has(conv.id)) throw new MemoryConstraintError(`conversation id ${conv.id} exists`);
  requireNewEntryId(t, conv.createdMessageId);
  requireUsers(t, conv.members.map((m) => m.userId));
  const version = t.nextVersion();
  const c: MemoryConversationRow = {
    id: conv.id,
    kind: conv.kind,
    title: conv.title,
    directKey: key,
    lastSeq: 0,
    version,
    createdBy: conv.createdBy,
    createdAt: conv.createdAt,
    members: new Map(),
    log: [],
  };
  t.conversations.set(c.id, c);
  if (key !== null) t.directs.set(key, c.id);
  const body: SystemBody = { event: 'conversation.created', by: conv.createdBy, title: conv.title, members: conv.members.map((m) => m.userId) };
  const entry = appendSystem(t, c, conv.createdMessageId, conv.createdBy, body, conv.createdAt);
  for (const m of conv.members) join(t, c, m.userId, m.role, entry.seq, version);
  const state = stateOf(c);
  return { state, entry: toMessage(entry), views: memberViews(c, state.members.map((m) => m.userId)) };
}

export function createConversation(t: MemoryTables, conv: NewConversation): CreatedConversation {
  return insertConversation(t, conv, null);
}

export function openDirect(
  t: MemoryTables,
  a: string,
  b: string,
  make: () => NewConversation,
): { state: ConversationState; created: CreatedConversation | null } {
  const key = directKey(a, b);
  const existing = t.directs.get(key);
  if (existing !== undefined) return { state: stateOf(t.conversations.get(existing)!), created: null };
  const created = insertConversation(t, make(), key);
  // Its own copy: a caller changing `state` must not change `created.state`.
  return { state: structuredClone(created.state), created };
}

export function getConversationState(t: MemoryTables, id: string): ConversationState | null {
  const c = t.conversations.get(id);
  return c ? stateOf(c) : null;
}

export function getConversationForUser(t: MemoryTables, id: string, userId: string): Conversation | null {
  const c = t.conversations.get(id);
  const m = c?.members.get(userId);
  return c && m ? viewOf(c, m) : null;
}

export function activeConversationIds(t: MemoryTables, userId: string): string[] {
  const ids: string[] = [];
  for (const id of t.memberships.get(userId) ?? []) {
    if (t.conversations.get(id)?.members.get(userId)?.state === 'active') ids.push(id);
  }
  return ids;
}

/** What a membership change does, decided before anything is written. */
type MembershipPlan =
  | { kind: 'not_found' | 'forbidden' | 'not_member' | 'noop' }
  | { kind: 'add'; by: string; userIds: string[] }
  | { kind: 'remove'; by: string; userId: string }
  | { kind: 'role'; by: string; userId: string; role: 'admin' | 'member' }
  | { kind: 'leave'; userId: string; heir: string | null };

/**
 * Who may do what, and who inherits ownership. Until the shared rule lands (store/rules/), this
 * is the SQL stores' rule: owners and admins add; they remove plain members (only the owner
 * removes an admin; nobody removes the owner or themselves); only the owner changes roles, never
 * its own; anyone leaves, and an owner who leaves hands the group to its longest-standing admin,
 * else its longest-standing member.
 */
function planMembership(c: MemoryConversationRow, change: MembershipChange): MembershipPlan {
  const actor = c.members.get(change.kind === 'leave' ? change.userId : change.by);
  if (!actor || actor.state !== 'active') return { kind: 'not_found' };
  if (c.kind === 'direct') return { kind: 'forbidden' };
  const canManage = actor.role === 'owner' || actor.role === 'admin';
  switch (change.kind) {
    case 'add': {
      if (!canManage) return { kind: 'forbidden' };
      const fresh = [...new Set(change.userIds)].filter((u) => c.members.get(u)?.state !== 'active');
      return fresh.length === 0 ? { kind: 'noop' } : { kind: 'add', by: change.by, userIds: fresh };
    }
    case 'remove': {
      if (!canManage) return { kind: 'forbidden' };
      const target = c.members.get(change.userId);
      if (!target || target.state !== 'active') return { kind: 'noop' };
      if (change.userId === change.by) return { kind: 'forbidden' };
      if (target.role === 'owner' || (target.role === 'admin' && actor.role !== 'owner')) return { kind: 'forbidden' };
      return { kind: 'remove', by: change.by, userId: change.userId };
    }
    case 'role': {
      if (actor.role !== 'owner') return { kind: 'forbidden' };
      const target = c.members.get(change.userId);
      if (!target || target.state !== 'active') return { kind: 'not_member' };
      if (target.role === 'owner') return { kind: 'forbidden' };
      if (target.role === change.role) return { kind: 'noop' };
      return { kind: 'role', by: change.by, userId: change.userId, role: change.role };
    }
    case 'leave': {
      let heir: string | null = null;
      if (actor.role === 'owner') {
        const rest = activeMembers(c).filter((m) => m.userId !== change.userId);
        heir = (rest.find((m) => m.role === 'admin') ?? rest[0])?.userId ?? null;
      }
      return { kind: 'leave', userId: change.userId, heir };
    }
  }
}

export function changeMembership(
  t: MemoryTables,
  conversationId: string,
  change: MembershipChange,
  entryId: string,
  now: number,
): MembershipOutcome {
  const c = t.conversations.get(conversationId);
  if (!c) return { kind: 'not_found' };
  const plan = planMembership(c, change);
  switch (plan.kind) {
    case 'not_found':
    case 'forbidden':
    case 'not_member':
      return { kind: plan.kind };
    case 'noop':
      return { kind: 'noop', conversation: stateOf(c) };
  }
  requireNewEntryId(t, entryId);
  if (plan.kind === 'add') requireUsers(t, plan.userIds);
  let affected: string[];
  let newOwner: string | null = null;
  switch (plan.kind) {
    case 'add': {
      const entry = appendSystem(t, c, entryId, plan.by, { event: 'member.joined', by: plan.by, userIds: plan.userIds }, now);
      const version = t.nextVersion();
      for (const u of plan.userIds) join(t, c, u, 'member', entry.seq, version);
      affected = plan.userIds;
      break;
    }
    case 'remove': {
      const entry = appendSystem(t, c, entryId, plan.by, { event: 'member.removed', by: plan.by, userId: plan.userId }, now);
      leave(c, plan.userId, entry.seq, t.nextVersion());
      affected = [plan.userId];
      break;
    }
    case 'role': {
      appendSystem(t, c, entryId, plan.by, { event: 'member.role', by: plan.by, userId: plan.userId, role: plan.role }, now);
      const m = c.members.get(plan.userId)!;
      m.role = plan.role;
      m.version = t.nextVersion();
      affected = [plan.userId];
      break;
    }
    case 'leave': {
      const entry = appendSystem(t, c, entryId, plan.userId, { event: 'member.left', userId: plan.userId }, now);
      const version = t.nextVersion();
      leave(c, plan.userId, entry.seq, version);
      if (plan.heir !== null) {
        const heir = c.members.get(plan.heir)!;
        heir.role = 'owner';
        heir.version = version;
      }
      affected = [plan.userId];
      newOwner = plan.heir;
      break;
    }
  }
  const changed = newOwner === null || affected.includes(newOwner) ? affected : [...affected, newOwner];
  return {
    kind: 'ok',
    entry: toMessage(c.log[c.lastSeq - 1]!),
    conversation: stateOf(c),
    affected: [...affected],
    newOwner,
    views: memberViews(c, changed),
  };
}

function leave(c: MemoryConversationRow, userId: string, seq: number, version: number): void {
  const m = c.members.get(userId)!;
  m.state = 'left';
  m.leftSeq = seq;
  m.version = version;
}
