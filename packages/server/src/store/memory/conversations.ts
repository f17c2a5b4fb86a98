/**
 * The MemoryStore's conversations and membership: creation with the `conversation.created`
 * entry, one direct conversation per pair, and membership changes with their system entry and
 * the views they changed. Who may do what is the shared rule (../rules/membership.ts); this
 * module applies its decisions. Each function checks whatever could refuse the write before
 * writing anything, then writes synchronously: atomic without a transaction.
 */
import type { Conversation, MemberRole, SystemBody } from '@natter/protocol';
import type {
  ConversationState,
  CreatedConversation,
  MembershipChange,
  MembershipOutcome,
  NewConversation,
} from '../store.js';
import { createdBody, directKey } from '../rules/conversations.js';
import { affectedBy, decideMembership, heirOf, viewedUsers } from '../rules/membership.js';
import { DEFAULT_GROUP_PROFILE, parseLeftView, serializeLeftView } from '../rules/groups.js';
import { entryOf, MemoryConstraintError, MemoryTables, type MemoryConversationRow, type MemoryEntryRow } from './tables.js';
import { activeMembers, memberViews, stateOf, viewOf } from './views.js';

/** Throws unless `id` is free for a new log entry (message ids are unique across the store). */
export function requireNewEntryId(t: MemoryTables, id: string): void {
  if (t.messagesById.has(id)) throw new MemoryConstraintError(`message id ${id} exists`);
}

/** Throws unless every one of `userIds` is a user (members reference users). */
function requireUsers(t: MemoryTables, userIds: Iterable<string>): void {
  for (const id of userIds) if (!t.users.has(id)) throw new MemoryConstraintError(`member ${id} is no user`);
}

/** Appends a system entry at lastSeq + 1 with a new conversation version. Checked by the caller. */
export function appendSystem(t: MemoryTables, c: MemoryConversationRow, entryId: string, by: string, body: SystemBody, now: number): MemoryEntryRow {
  c.version = t.nextVersion();
  c.lastSeq += 1;
  const row: MemoryEntryRow = {
    id: entryId,
    conversationId: c.id,
    seq: c.lastSeq,
    senderId: by,
    type: 'system',
    body: JSON.stringify(body),
    clientMsgId: null,
    replyTo: null,
    createdAt: now,
  };
  c.log.push(row);
  c.msgIndex.push(c.msgCount);
  t.messagesById.set(entryId, row);
  return row;
}

/** Makes `userId` an active member from `seq`: a fresh row, or a left member's row renewed. */
export function join(t: MemoryTables, c: MemoryConversationRow, userId: string, role: MemberRole, seq: number, version: number): void {
  const prior = c.members.get(userId);
  // Flags outlive a membership; mentions before the join are read (readSeq is the join).
  c.members.set(userId, {
    userId,
    role,
    state: 'active',
    joinedSeq: seq,
    leftSeq: null,
    readSeq: seq,
    readIndex: c.msgCount,
    mentionSeq: prior?.mentionSeq ?? 0,
    pinned: prior?.pinned ?? false,
    muted: prior?.muted ?? false,
    archived: prior?.archived ?? false,
    version,
    mutedUntil: null,
  });
  MemoryTables.index(t.memberships, userId, c.id);
}

function insertConversation(t: MemoryTables, conv: NewConversation, key: string | null): CreatedConversation {
  if (t.conversations.has(conv.id)) throw new MemoryConstraintError(`conversation id ${conv.id} exists`);
  requireNewEntryId(t, conv.createdMessageId);
  requireUsers(t, conv.members.map((m) => m.userId));
  // Versions as the SQL stores take them: the member rows keep the first, the entry the next.
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
    ...(conv.kind === 'group' && { group: { ...DEFAULT_GROUP_PROFILE } }),
    members: new Map(),
    log: [],
    msgIndex: [],
    msgCount: 0,
    allMentionSeq: 0,
  };
  t.conversations.set(c.id, c);
  if (key !== null) t.directs.set(key, c.id);
  const entry = appendSystem(t, c, conv.createdMessageId, conv.createdBy, createdBody(conv), conv.createdAt);
  for (const m of conv.members) join(t, c, m.userId, m.role, entry.seq, version);
  const state = stateOf(c);
  return { state, entry: entryOf(entry), views: memberViews(c, state.members.map((m) => m.userId)) };
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
  return { state: stateOf(t.conversations.get(created.state.id)!), created };
}

export function getConversationState(t: MemoryTables, id: string): ConversationState | null {
  const c = t.conversations.get(id);
  return c ? stateOf(c) : null;
}

export function getConversationForUser(t: MemoryTables, id: string, userId: string): Conversation | null {
  const c = t.conversations.get(id);
  const m = c?.members.get(userId);
  return c && m ? viewOf(c, m, t) : null;
}

export function activeConversationIds(t: MemoryTables, userId: string): string[] {
  const ids: string[] = [];
  for (const id of t.memberships.get(userId) ?? []) {
    if (t.conversations.get(id)!.members.get(userId)!.state === 'active') ids.push(id);
  }
  return ids;
}

export function changeMembership(
  t: MemoryTables,
  conversationId: string,
  change: MembershipChange,
  entryId: string,
  now: number,
): MembershipOutcome {
  const c = t.conversations.get(conversationId);
  const standing = c?.group && { dissolved: c.group.dissolvedAt !== null, activeCount: activeMembers(c).length };
  const decision = decideMembership(c?.kind ?? null, change, c?.members ?? new Map(), standing);
  switch (decision.kind) {
    case 'not_found':
    case 'forbidden':
    case 'not_member':
    case 'full':
    case 'dissolved':
      return { kind: decision.kind };
    case 'noop':
      return { kind: 'noop', conversation: stateOf(c!) };
    case 'join':
    case 'leave':
    case 'role':
      break;
  }
  const conv = c!;
  requireNewEntryId(t, entryId);
  if (decision.kind === 'join') requireUsers(t, decision.userIds);
  const entry = appendSystem(t, conv, entryId, decision.author, decision.body, now);
  // One version for the member rows this change writes, taken after the entry's.
  const version = t.nextVersion();
  let newOwner: string | null = null;
  switch (decision.kind) {
    case 'join':
      for (const u of decision.userIds) join(t, conv, u, 'member', entry.seq, version);
      break;
    case 'leave': {
      const m = conv.members.get(decision.userId)!;
      m.state = 'left';
      m.leftView = parseLeftView(serializeLeftView(conv.title, conv.group));
      m.leftSeq = entry.seq;
      m.version = version;
      if (decision.passOwnership) {
        newOwner = heirOf([...conv.members.values()], decision.userId);
        if (newOwner !== null) Object.assign(conv.members.get(newOwner)!, { role: 'owner', version });
      }
      break;
    }
    case 'role':
      Object.assign(conv.members.get(decision.userId)!, { role: decision.role, version });
      break;
  }
  const affected = affectedBy(decision);
  return {
    kind: 'ok',
    entry: entryOf(entry),
    conversation: stateOf(conv),
    affected,
    newOwner,
    views: memberViews(conv, viewedUsers(affected, newOwner)),
  };
}
