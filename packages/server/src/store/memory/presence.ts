/**
 * The MemoryStore's presence settings and membership questions (see sqlite/presence.ts). The
 * settings live beside the tables (keyed by them) rather than in them, so a reopened store on the
 * same tables keeps them too.
 */
import type { PresenceAudience } from '../store.js';
import type { MemoryTables } from './tables.js';

const hidden = new WeakMap<MemoryTables, Set<string>>();

function hiddenOf(t: MemoryTables): Set<string> {
  let set = hidden.get(t);
  if (!set) hidden.set(t, (set = new Set()));
  return set;
}

export function getPresenceVisible(t: MemoryTables, userId: string): boolean {
  return !hiddenOf(t).has(userId);
}

export function setPresenceVisible(t: MemoryTables, userId: string, visible: boolean): void {
  if (visible) hiddenOf(t).delete(userId);
  else hiddenOf(t).add(userId);
}

function activeConversations(t: MemoryTables, userId: string) {
  const out = [];
  for (const id of t.memberships.get(userId) ?? []) {
    const c = t.conversations.get(id);
    if (c?.members.get(userId)?.state === 'active') out.push(c);
  }
  return out;
}

export function presencePeers(t: MemoryTables, userId: string): string[] {
  const peers = new Set<string>();
  for (const c of activeConversations(t, userId)) {
    if (c.kind !== 'direct') continue;
    for (const [id, m] of c.members) if (id !== userId && m.state === 'active') peers.add(id);
  }
  return [...peers];
}

export function presenceAudience(t: MemoryTables, viewerId: string, userIds: string[]): PresenceAudience[] {
  const mine = activeConversations(t, viewerId);
  const out: PresenceAudience[] = [];
  for (const userId of new Set(userIds)) {
    if (mine.some((c) => c.members.get(userId)?.state === 'active')) out.push({ userId, visible: getPresenceVisible(t, userId) });
  }
  return out;
}
