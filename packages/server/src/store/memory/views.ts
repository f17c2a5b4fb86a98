/**
 * Reading the MemoryStore's conversation rows: the server's ConversationState, one user's view
 * (built by the shared rule, ../rules/visibility.ts), and the sync version of a view. Every
 * function builds fresh objects, so no caller ever holds a row.
 */
import type { Conversation } from '@natter/protocol';
import type { ConversationState, MemberView } from '../store.js';
import { byStanding } from '../rules/membership.js';
import { buildView, visibleLast } from '../rules/visibility.js';
import { hiddenCopy } from '@natter/protocol';
import { hiddenAt } from './hidden.js';
import { entryOf, type MemoryConversationRow, type MemoryMemberRow, type MemoryTables } from './tables.js';

/** Active members, longest standing first (the order of every member list). */
export function activeMembers(c: MemoryConversationRow): MemoryMemberRow[] {
  return [...c.members.values()].filter((m) => m.state === 'active').sort(byStanding);
}

export function stateOf(c: MemoryConversationRow): ConversationState {
  return {
    id: c.id,
    kind: c.kind,
    title: c.title,
    lastSeq: c.lastSeq,
    createdAt: c.createdAt,
    members: activeMembers(c).map((m) => ({ userId: m.userId, role: m.role })),
    ...(c.group && { group: { ...c.group } }),
  };
}

/**
 * The sync version of a member's view: an active member's view changes with the conversation
 * (every new entry) and with their own row; a left member's only with their own row, so later
 * activity never reaches them. As the SQL stores compute it.
 */
export function viewVersion(c: MemoryConversationRow, m: MemoryMemberRow): number {
  return m.state === 'active' ? Math.max(c.version, m.version) : m.version;
}

/** The user's view of the conversation from their member row. */
/** `t`: to show a preview the user hid as its tombstone (memberViews' previews are system entries, never hidden). */
export function viewOf(c: MemoryConversationRow, m: MemoryMemberRow, t?: MemoryTables): Conversation {
  const preview = c.log[visibleLast(m, c.lastSeq) - 1];
  const hidAt = preview && t ? hiddenAt(t, m.userId, preview.id) : undefined;
  const shown = preview ? (hidAt === undefined ? entryOf(preview) : hiddenCopy(entryOf(preview), hidAt)) : null;
  return buildView(c, m, m.state === 'active' ? activeMembers(c).map((x) => x.userId) : [], shown);
}

/** The views of `userIds` (each has a member row in `c`), in that order. */
export function memberViews(c: MemoryConversationRow, userIds: readonly string[]): MemberView[] {
  return userIds.map((userId) => ({ userId, conversation: viewOf(c, c.members.get(userId)!) }));
}
