/**
 * Reading the MemoryStore's conversation rows the way the SQL stores read theirs: the server's
 * ConversationState, one user's view, the window of the log a user may see, and the sync version
 * of a view. Every function builds fresh objects, so no caller ever holds a row.
 */
import type { Conversation } from '@natter/protocol';
import type { ConversationState, MemberView } from '../store.js';
import { toView } from '../rows.js';
import type { MemoryConversationRow, MemoryMemberRow } from './tables.js';

/** Active members in the SQL stores' order: by joinedSeq, then user id. */
export function activeMembers(c: MemoryConversationRow): MemoryMemberRow[] {
  const rows = [...c.members.values()].filter((m) => m.state === 'active');
  return rows.sort((a, b) => a.joinedSeq - b.joinedSeq || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
}

export function stateOf(c: MemoryConversationRow): ConversationState {
  return {
    id: c.id,
    kind: c.kind,
    title: c.title,
    lastSeq: c.lastSeq,
    createdAt: c.createdAt,
    members: activeMembers(c).map((m) => ({ userId: m.userId, role: m.role })),
  };
}

/**
 * The sync version of a member's view: an active member's view changes with the conversation
 * (every new entry) and with their own row; a left member's only with their own row, so later
 * activity never reaches them.
 */
export function viewVersion(c: MemoryConversationRow, m: MemoryMemberRow): number {
  return m.state === 'active' ? Math.max(c.version, m.version) : m.version;
}

/** The user's view of the conversation from their member row. */
export function viewOf(c: MemoryConversationRow, m: MemoryMemberRow): Conversation {
  const members = m.state === 'active' ? activeMembers(c).map((x) => x.userId) : [];
  return toView(
    {
      id: c.id,
      kind: c.kind,
      title: c.title,
      last_seq: c.lastSeq,
      created_at: c.createdAt,
      role: m.role,
      state: m.state,
      joined_seq: m.joinedSeq,
      left_seq: m.leftSeq,
      read_seq: m.readSeq,
      v: viewVersion(c, m),
    },
    members,
  );
}

/** The views of `userIds` (each a member row of `c`), in that order. */
export function memberViews(c: MemoryConversationRow, userIds: string[]): MemberView[] {
  return userIds.map((userId) => ({ userId, conversation: viewOf(c, c.members.get(userId)!) }));
}

/**
 * The newest seq a member may see: the conversation's last while active, their leave entry's
 * after. Until the shared rule lands (store/rules/), this is the SQL stores' visible-window rule.
 */
export function visibleLast(c: MemoryConversationRow, m: MemoryMemberRow): number {
  return m.state === 'active' ? c.lastSeq : (m.leftSeq ?? m.joinedSeq);
}
