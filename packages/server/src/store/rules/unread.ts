/**
 * Exact unread counts and mentions, written once for every Store (docs/conversation-state.md).
 *
 * Read diffusion: nothing is written per member when a message is stored. Each conversation
 * keeps a running count of its countable entries (`msgCount`: messages, not system entries) and
 * each entry records that count at itself (`msgIndex`). A member row keeps the count at its
 * read cursor (`readIndex`). A send moves its sender's read cursor to it, so everything after a
 * member's read cursor is from others, and
 *
 *   unread = msgCount - readIndex        (active members; 0 once they have left)
 *
 * Mentions: a mention by id writes the mentioned member's `mentionSeq` (bounded by the
 * mentions of one message, not by the group's size); `"all"` writes the conversation's
 * `allMentionSeq`. A member is mentioned while either lies after their read cursor.
 */
import { MENTION_ALL } from '@natter/protocol';

/** What of a conversation's row the counts read. */
export interface CountedConversation {
  msgCount: number;
  allMentionSeq: number;
}

/** What of a member row the counts read. */
export interface CountedMember {
  state: 'active' | 'left';
  readSeq: number;
  readIndex: number;
  mentionSeq: number;
}

/** Whether a log entry of this type counts toward unread (system entries never do). */
export const countable = (type: string): boolean => type !== 'system';

/** The member's exact unread count: never negative, 0 once they have left. */
export function unreadCount(c: CountedConversation, m: CountedMember): number {
  if (m.state !== 'active') return 0;
  return Math.max(0, c.msgCount - m.readIndex);
}

/** Whether an unread message mentions the member (by id or `"all"`); false once they have left. */
export function mentioned(c: CountedConversation, m: CountedMember): boolean {
  if (m.state !== 'active') return false;
  return Math.max(m.mentionSeq, c.allMentionSeq) > m.readSeq;
}

/** A send's mentions split into member ids and whether it mentions everyone. */
export function splitMentions(mentions: readonly string[] | null | undefined): { userIds: string[]; all: boolean } {
  const userIds: string[] = [];
  let all = false;
  for (const u of mentions ?? []) {
    if (u === MENTION_ALL) all = true;
    else userIds.push(u);
  }
  return { userIds, all };
}

/**
 * Whether a send's mentions are allowed: every mentioned id is an active member (`isActive`).
 * `"all"` is allowed here; who may mention everyone is rules/groups.ts mayMentionAll.
 */
export function mentionsAllowed(mentions: readonly string[] | null | undefined, isActive: (userId: string) => boolean): boolean {
  return splitMentions(mentions).userIds.every(isActive);
}

/** The total badge: unread over active, unmuted conversations. */
export function totalUnread(views: Iterable<{ unread: number; muted: boolean; active: boolean }>): number {
  let total = 0;
  for (const v of views) if (v.active && !v.muted) total += v.unread;
  return total;
}
