/**
 * The visible window, written once for every Store: a user sees a conversation's entries from
 * the one that added them (joinedSeq) to the one that removed them (leftSeq), or to the newest
 * (lastSeq) while active. History pages, cursors and the user's view of the conversation all
 * follow from it. Pure functions over plain records.
 */
import type { Conversation, GroupProfile, MemberRole, Message } from '@natter/protocol';
import type { CursorOutcome, PageQuery } from '../store.js';
import { mentioned, unreadCount } from './unread.js';

/** What of a member row the window depends on. */
export interface Standing {
  state: 'active' | 'left';
  joinedSeq: number;
  leftSeq: number | null;
}

/** A member row with what a view shows of it. */
export interface ViewedMember extends Standing {
  role: MemberRole;
  readSeq: number;
  /** The conversation's countable-entry count at readSeq (rules/unread.ts). */
  readIndex: number;
  /** The newest seq that mentions this member by id (0: none). */
  mentionSeq: number;
  pinned: boolean;
  muted: boolean;
  archived: boolean;
  /** Groups: muted until then; null or absent when not muted. */
  mutedUntil?: number | null;
  /** A left member's title and profile as of leaving (rules/groups.ts); absent for older rows. */
  leftView?: { title: string | null; group?: GroupProfile } | null;
}

/** A conversation's own row (ConversationState has these fields too). */
export interface ConversationRecord {
  id: string;
  kind: Conversation['kind'];
  title: string | null;
  lastSeq: number;
  createdAt: number;
  /** Countable entries (not system ones) in the log (rules/unread.ts). */
  msgCount: number;
  /** The newest seq that mentions everyone (0: none). */
  allMentionSeq: number;
  /** Groups: the profile (rules/groups.ts); absent for direct conversations. */
  group?: GroupProfile;
}

/** The newest seq the member may see: lastSeq while active, else where they left. */
export function visibleLast(m: Standing, lastSeq: number): number {
  return m.state === 'active' ? lastSeq : (m.leftSeq ?? m.joinedSeq);
}

/**
 * Which entries one history page reads, within the window. `before`: seq < below and
 * seq >= from, newest first; `after`: seq > above and seq <= through, oldest first. Both read
 * `take` rows (one more than the page) so `pageOf` can tell whether there are more.
 */
export type PageRange = (
  | { kind: 'before'; below: number; from: number; take: number }
  | { kind: 'after'; above: number; through: number; take: number }
) & { maxBytes?: number };

/** Bytes an entry adds to an encoded page besides its body's JSON text: ids, seq, field names. */
const ENTRY_OVERHEAD_BYTES = 256;

/** About what one stored entry takes in an encoded page (its body is stored as JSON text). */
export function entryBytes(body: string): number {
  return Buffer.byteLength(body) + ENTRY_OVERHEAD_BYTES;
}

/** The rows a getMessages query reads for a member whose conversation is at `lastSeq`. */
export function pageRange(m: Standing, lastSeq: number, q: PageQuery): PageRange {
  const hi = visibleLast(m, lastSeq);
  const cap = q.maxBytes !== undefined ? { maxBytes: q.maxBytes } : {};
  // Capped at hi + 1: a left member must not page back into entries after leftSeq.
  if (q.before !== undefined) return { kind: 'before', below: Math.min(q.before, hi + 1), from: m.joinedSeq, take: q.limit + 1, ...cap };
  return { kind: 'after', above: Math.max(q.after ?? 0, m.joinedSeq - 1), through: hi, take: q.limit + 1, ...cap };
}

/**
 * The page from the rows read for `range`, in the order the range reads them (newest first for
 * `before`): at most `take - 1` entries, always ascending, and whether more lie beyond. Entries
 * stop once their size (`bodyOf` each row's JSON text) passes `range.maxBytes`: the page keeps
 * the entries nearest its start (`after`: the oldest; `before`: the newest), so the next page
 * continues from its end and nothing is skipped; at least one entry is kept so paging moves on.
 * Rows are taken one at a time, so a lazy iterator (a statement's rows) is read no further.
 */
export function pageOf<T>(rows: Iterable<T>, range: PageRange, bodyOf: (row: T) => string): { messages: T[]; hasMore: boolean } {
  const page: T[] = [];
  let bytes = 0;
  let hasMore = false;
  for (const row of rows) {
    if (page.length === range.take - 1) {
      hasMore = true;
      break;
    }
    if (range.maxBytes !== undefined) {
      bytes += entryBytes(bodyOf(row));
      if (bytes > range.maxBytes && page.length > 0) {
        hasMore = true;
        break;
      }
    }
    page.push(row);
  }
  return { messages: range.kind === 'before' ? page.reverse() : page, hasMore };
}

/**
 * Whether a member may move their read cursor to `seq`: as cursorRefusal, and only while
 * active (a read cursor in a conversation one has left would change nothing one can see).
 */
export function readRefusal(m: Standing | undefined, lastSeq: number, seq: number): Exclude<CursorOutcome, { kind: 'ok' }> | null {
  if (m && m.state !== 'active') return { kind: 'not_member' };
  return cursorRefusal(m, lastSeq, seq);
}

/**
 * Whether a member may put a delivery or read cursor at `seq`: the refusal, or null when it is
 * within their window. `m`: their member row, undefined when they never were a member.
 */
export function cursorRefusal(m: Standing | undefined, lastSeq: number, seq: number): Exclude<CursorOutcome, { kind: 'ok' }> | null {
  if (!m) return { kind: 'not_found' };
  const last = visibleLast(m, lastSeq);
  return seq > last ? { kind: 'invalid_position', lastSeq: last } : null;
}

/**
 * One user's view of a conversation. A left member sees it as it was when they left: its
 * log up to leftSeq and no member list (who joined since is not theirs to know).
 * `activeMembers`: the active member ids, longest standing first.
 */
export function buildView(conv: ConversationRecord, m: ViewedMember, activeMembers: readonly string[], preview: Message | null): Conversation {
  const active = m.state === 'active';
  const lastMessage = preview && { ...preview, clientMsgId: null };
  // A left member sees the conversation as it was when they left: later titles and profiles
  // are not theirs to know (rows from before this was kept show the title, and no profile).
  const left = active ? null : (m.leftView ?? { title: conv.title });
  const view: Conversation = {
    id: conv.id,
    kind: conv.kind,
    title: left ? left.title : conv.title,
    lastSeq: visibleLast(m, conv.lastSeq),
    createdAt: conv.createdAt,
    members: active ? [...activeMembers] : [],
    membership: { role: m.role, state: m.state, joinedSeq: m.joinedSeq, leftSeq: m.leftSeq, readSeq: m.readSeq },
    lastMessage,
    lastActivityAt: lastMessage?.createdAt ?? conv.createdAt,
    unreadCount: unreadCount(conv, m),
    mentioned: mentioned(conv, m),
    pinned: m.pinned,
    muted: m.muted,
    archived: m.archived,
  };
  // A mute that has ended is still shown until lifted or replaced: clients compare with their clock.
  if (active && m.mutedUntil !== undefined && m.mutedUntil !== null) view.membership.mutedUntil = m.mutedUntil;
  const group = left ? left.group : conv.group;
  if (conv.kind === 'group' && group) view.group = { ...group };
  return view;
}
