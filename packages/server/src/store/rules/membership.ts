/**
 * Membership rules, written once for every Store: who may add, remove, promote, demote and
 * leave, what each change writes (its system entry and member rows), and who inherits a group
 * when its owner leaves. Pure functions over plain member records: a store loads the rows the
 * decision needs (`involvedUsers`), asks `decideMembership`, applies the writes it names in its
 * own transaction, and returns `viewedUsers`' views.
 */
import type { ConversationKind, MemberRole, SystemBody } from '@natter/protocol';
import type { MembershipChange } from '../store.js';

/** A member row as every store keeps it (a user who never joined has none). */
export interface MemberRecord {
  userId: string;
  role: MemberRole;
  state: 'active' | 'left';
  /** The seq of the entry that added them. */
  joinedSeq: number;
  /** The seq of the entry that removed them; null while active. */
  leftSeq: number | null;
}

/** What a membership change does, once allowed. `author` is the system entry's sender. */
export type MembershipWrite =
  /** Each of `userIds` becomes an active `member` who joined at the entry's seq. */
  | { kind: 'join'; author: string; body: SystemBody; userIds: string[] }
  /**
   * `userId` leaves at the entry's seq (removed, or by leaving). `passOwnership`: they were the
   * owner, so the store then gives the group to `heirOf` the remaining members.
   */
  | { kind: 'leave'; author: string; body: SystemBody; userId: string; passOwnership: boolean }
  /** `userId`'s role becomes `role`. */
  | { kind: 'role'; author: string; body: SystemBody; userId: string; role: 'admin' | 'member' };

export type MembershipDecision =
  | MembershipWrite
  /** No such conversation, or the actor is not an active member of it. */
  | { kind: 'not_found' }
  | { kind: 'forbidden' }
  /** A role change for someone who is not an active member. */
  | { kind: 'not_member' }
  /** Allowed but changes nothing: adding only active members, removing a non-member, a role they have. */
  | { kind: 'noop' }
  /** Adding would pass the change's `maxMembers`. */
  | { kind: 'full' }
  /** The group was dissolved: only leaving is allowed. */
  | { kind: 'dissolved' };

/** What the rules read of a group besides member rows (absent: not dissolved, no limit checked). */
export interface GroupStanding {
  dissolved: boolean;
  /** Active members now (read for `add` changes with a `maxMembers`). */
  activeCount: number;
}

/** The user who asks for the change: the leaver, or `by`. */
export const actorOf = (change: MembershipChange): string => (change.kind === 'leave' ? change.userId : change.by);

/**
 * The users whose member rows `decideMembership` reads: the actor first, then the change's
 * targets, each once. A store loads these (those who never joined have no row) and nothing more.
 */
export function involvedUsers(change: MembershipChange): string[] {
  const targets = change.kind === 'add' ? change.userIds : change.kind === 'leave' ? [] : [change.userId];
  return [...new Set([actorOf(change), ...targets])];
}

/**
 * Decides a membership change. `kind`: the conversation's kind, null when it does not exist.
 * `members`: the rows of `involvedUsers(change)` that exist, by user id.
 *
 * Direct conversations never change. Owners and admins add members; they remove members, but
 * only the owner removes an admin and nobody removes the owner or themselves (they leave).
 * Only the owner changes roles, never its own. Anyone active may leave.
 *
 * @example
 * decideMembership('group', { kind: 'leave', userId: 'u1' }, new Map([['u1', owner]]))
 * // → { kind: 'leave', author: 'u1', userId: 'u1', passOwnership: true, body: { event: 'member.left', userId: 'u1' } }
 */
export function decideMembership(
  kind: ConversationKind | null,
  change: MembershipChange,
  members: ReadonlyMap<string, MemberRecord>,
  group?: GroupStanding,
): MembershipDecision {
  const actor = members.get(actorOf(change));
  if (kind === null || actor?.state !== 'active') return { kind: 'not_found' };
  if (kind === 'direct') return { kind: 'forbidden' };
  if (group?.dissolved && change.kind !== 'leave') return { kind: 'dissolved' };
  const canManage = actor.role === 'owner' || actor.role === 'admin';
  const isActive = (userId: string) => members.get(userId)?.state === 'active';

  switch (change.kind) {
    case 'add': {
      if (!canManage) return { kind: 'forbidden' };
      const fresh = [...new Set(change.userIds)].filter((u) => !isActive(u));
      if (fresh.length === 0) return { kind: 'noop' };
      if (change.maxMembers !== undefined && group && group.activeCount + fresh.length > change.maxMembers) return { kind: 'full' };
      return { kind: 'join', author: change.by, body: { event: 'member.joined', by: change.by, userIds: fresh }, userIds: fresh };
    }
    case 'remove': {
      if (!canManage) return { kind: 'forbidden' };
      const target = members.get(change.userId);
      if (target?.state !== 'active') return { kind: 'noop' };
      if (change.userId === change.by) return { kind: 'forbidden' };
      if (target.role === 'owner' || (target.role === 'admin' && actor.role !== 'owner')) return { kind: 'forbidden' };
      const body: SystemBody = { event: 'member.removed', by: change.by, userId: change.userId };
      return { kind: 'leave', author: change.by, body, userId: change.userId, passOwnership: false };
    }
    case 'role': {
      if (actor.role !== 'owner') return { kind: 'forbidden' };
      const target = members.get(change.userId);
      if (target?.state !== 'active') return { kind: 'not_member' };
      if (target.role === 'owner') return { kind: 'forbidden' };
      if (target.role === change.role) return { kind: 'noop' };
      const body: SystemBody = { event: 'member.role', by: change.by, userId: change.userId, role: change.role };
      return { kind: 'role', author: change.by, body, userId: change.userId, role: change.role };
    }
    case 'leave': {
      const body: SystemBody = { event: 'member.left', userId: change.userId };
      return { kind: 'leave', author: change.userId, body, userId: change.userId, passOwnership: actor.role === 'owner' };
    }
  }
}

/** The users whose member row a write changes besides the log (the outcome's `affected`). */
export const affectedBy = (w: MembershipWrite): string[] => (w.kind === 'join' ? [...w.userIds] : [w.userId]);

/**
 * Longest standing first: earlier join, then user id (code-unit order, as SQLite and the
 * C-collated PostgreSQL database sort). The order of a conversation's member list.
 */
export function byStanding(a: Pick<MemberRecord, 'joinedSeq' | 'userId'>, b: Pick<MemberRecord, 'joinedSeq' | 'userId'>): number {
  if (a.joinedSeq !== b.joinedSeq) return a.joinedSeq - b.joinedSeq;
  return a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0;
}

/**
 * Who owns a group once its owner has left, so that it always keeps one: the longest-standing
 * admin, else the longest-standing member; null when nobody is left. `members` may be in any
 * order and may include left members and the leaver (`leaving`), who are passed over.
 */
export function heirOf(members: readonly MemberRecord[], leaving: string): string | null {
  const rest = members.filter((m) => m.state === 'active' && m.userId !== leaving).sort(byStanding);
  return (rest.find((m) => m.role === 'admin') ?? rest[0])?.userId ?? null;
}

/**
 * Whose views a change returns: every affected user and the new owner, each once. These are
 * the users whose own view changed beyond the log (the others' views changed by one entry).
 */
export function viewedUsers(affected: readonly string[], newOwner: string | null): string[] {
  return [...new Set(newOwner === null ? affected : [...affected, newOwner])];
}
