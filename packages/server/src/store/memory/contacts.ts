/**
 * The MemoryStore's contacts: prefix search, friend requests, friendships and blocks (see
 * ../contacts.ts for the rules). Each function runs synchronously to completion, so each is atomic.
 */
import type { BlockOutcome, FriendRequestOutcome, Relation, RelatedUser, UserSearch } from '../contacts.js';
import { directKey } from '../rules/conversations.js';
import { usernameKey } from '../rules/usernames.js';
import type { UserRecord } from '../store.js';
import type { MemoryTables } from './tables.js';

const pair = (a: string, b: string) => `${a}\u0000${b}`;

/** The contact relations, keyed `pair(a, b)` (ordered: a → b). */
export class MemoryContactTables {
  /** from → to: when asked. */
  readonly requests = new Map<string, number>();
  /** Both directions of each friendship: since when. */
  readonly friends = new Map<string, number>();
  /** blocker → blocked: when. */
  readonly blocks = new Map<string, number>();
}

const related = (t: MemoryTables, entries: [string, number][], limit: number): RelatedUser[] =>
  entries
    .sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : 1))
    .slice(0, limit)
    .map(([id, at]) => ({ user: { ...t.users.get(id)! }, at }));

function others(map: Map<string, number>, userId: string, side: 'from' | 'to'): [string, number][] {
  const out: [string, number][] = [];
  for (const [k, at] of map) {
    const [a, b] = k.split('\u0000') as [string, string];
    if (side === 'from' && a === userId) out.push([b, at]);
    if (side === 'to' && b === userId) out.push([a, at]);
  }
  return out;
}

const blockedEitherWay = (t: MemoryTables, a: string, b: string) => t.contacts.blocks.has(pair(a, b)) || t.contacts.blocks.has(pair(b, a));

function setDirectClosed(t: MemoryTables, a: string, b: string, closed: boolean): void {
  const id = t.directs.get(directKey(a, b));
  const c = id === undefined ? undefined : t.conversations.get(id);
  if (c) c.closed = closed;
}

export function searchUsers(t: MemoryTables, q: UserSearch): UserRecord[] {
  const matches: UserRecord[] = [];
  for (const u of t.users.values()) {
    if (u.id === q.viewer) continue;
    const hit = usernameKey(u.username).startsWith(q.prefix) || (u.displayName !== null && usernameKey(u.displayName).startsWith(q.prefix));
    if (!hit || blockedEitherWay(t, q.viewer, u.id)) continue;
    if (q.friendsOnly && !t.contacts.friends.has(pair(q.viewer, u.id))) continue;
    matches.push(u);
  }
  return matches
    .sort((x, y) => (usernameKey(x.username) < usernameKey(y.username) ? -1 : 1))
    .slice(0, q.limit)
    .map((u) => ({ ...u }));
}

export function sendFriendRequest(t: MemoryTables, from: string, to: string, now: number): FriendRequestOutcome {
  const c = t.contacts;
  if (from === to || !t.users.has(to) || !t.users.has(from) || blockedEitherWay(t, from, to)) return { kind: 'refused' };
  if (c.friends.has(pair(from, to))) return { kind: 'already_friends' };
  if (c.requests.has(pair(from, to))) return { kind: 'already_requested' };
  if (c.requests.has(pair(to, from))) {
    c.requests.delete(pair(to, from));
    c.friends.set(pair(from, to), now);
    c.friends.set(pair(to, from), now);
    return { kind: 'accepted', since: now };
  }
  c.requests.set(pair(from, to), now);
  return { kind: 'requested', createdAt: now };
}

export function acceptFriendRequest(t: MemoryTables, userId: string, from: string, now: number): number | null {
  const c = t.contacts;
  if (!c.requests.delete(pair(from, userId))) return null;
  c.friends.set(pair(from, userId), now);
  c.friends.set(pair(userId, from), now);
  return now;
}

export const deleteFriendRequest = (t: MemoryTables, from: string, to: string): boolean => t.contacts.requests.delete(pair(from, to));

export function removeFriend(t: MemoryTables, a: string, b: string): boolean {
  const had = t.contacts.friends.delete(pair(a, b));
  t.contacts.friends.delete(pair(b, a));
  return had;
}

export const listFriends = (t: MemoryTables, userId: string, limit: number): RelatedUser[] => related(t, others(t.contacts.friends, userId, 'from'), limit);

export function listFriendRequests(t: MemoryTables, userId: string, limit: number): { incoming: RelatedUser[]; outgoing: RelatedUser[] } {
  return { incoming: related(t, others(t.contacts.requests, userId, 'to'), limit), outgoing: related(t, others(t.contacts.requests, userId, 'from'), limit) };
}

export function blockUser(t: MemoryTables, blocker: string, blocked: string, now: number): BlockOutcome | null {
  if (blocker === blocked || !t.users.has(blocked)) return null;
  const c = t.contacts;
  const created = !c.blocks.has(pair(blocker, blocked));
  if (created) c.blocks.set(pair(blocker, blocked), now);
  const endedFriendship = removeFriend(t, blocker, blocked);
  const endedIncoming = c.requests.delete(pair(blocked, blocker));
  const endedOutgoing = c.requests.delete(pair(blocker, blocked));
  setDirectClosed(t, blocker, blocked, true);
  return { created, endedFriendship, endedIncoming, endedOutgoing };
}

export function unblockUser(t: MemoryTables, blocker: string, blocked: string): boolean {
  if (!t.contacts.blocks.delete(pair(blocker, blocked))) return false;
  if (!t.contacts.blocks.has(pair(blocked, blocker))) setDirectClosed(t, blocker, blocked, false);
  return true;
}

export const listBlocks = (t: MemoryTables, userId: string, limit: number): RelatedUser[] => related(t, others(t.contacts.blocks, userId, 'from'), limit);

export function relations(t: MemoryTables, userId: string, ids: string[]): Relation[] {
  const c = t.contacts;
  return ids.map((id) => ({
    userId: id,
    friends: c.friends.has(pair(userId, id)),
    blocking: c.blocks.has(pair(userId, id)),
    blockedBy: c.blocks.has(pair(id, userId)),
  }));
}
