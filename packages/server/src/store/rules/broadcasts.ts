/**
 * The one rule for giving broadcasts to a user, shared by the three stores: which of the stored
 * broadcasts a user gets now, which wait for their fatigue caps, and how their state moves.
 * Pure: the stores load the state and the candidates, call `take`, and save what it returns in
 * the same transaction.
 */
import type { Broadcast, BroadcastSyncResult } from '@natter/protocol';
import type { FatigueRules } from '../rooms-store.js';

export interface BroadcastUserState {
  /** Every broadcast up to here was given to the user or was not for them. */
  deliveredSeq: number;
  readSeq: number;
  windowStart: number;
  windowCount: number;
  /** When the user was last given a broadcast that counts against the caps (0: never). */
  lastAt: number;
}

export interface StoredBroadcast extends Broadcast {
  userIds: string[] | null;
}

export const forUser = (b: StoredBroadcast, userId: string) => b.userIds === null || b.userIds.includes(userId);

export const publicBroadcast = (b: StoredBroadcast): Broadcast => ({ seq: b.seq, id: b.id, title: b.title, body: b.body, important: b.important, createdAt: b.createdAt });

/** A new user's state: the last `lookback` broadcasts are still ahead of them. */
export const newUserState = (maxSeq: number, lookback: number): BroadcastUserState => {
  const start = Math.max(0, maxSeq - lookback);
  return { deliveredSeq: start, readSeq: start, windowStart: 0, windowCount: 0, lastAt: 0 };
};

/** The lowest seq `take` needs to see (candidates are those above it). */
export const lowestNeeded = (s: BroadcastUserState, after: number | null) => Math.min(s.readSeq, s.deliveredSeq, after ?? s.deliveredSeq);

/**
 * `candidates`: stored broadcasts with seq > lowestNeeded(state, after), ascending.
 * Returns the answer and the user's new state.
 */
export function take(
  state: BroadcastUserState,
  userId: string,
  after: number | null,
  candidates: StoredBroadcast[],
  now: number,
  rules: FatigueRules,
): { result: BroadcastSyncResult; state: BroadcastUserState } {
  const s = { ...state };
  if (now - s.windowStart >= rules.windowMs) {
    s.windowStart = now;
    s.windowCount = 0;
  }
  const given: Broadcast[] = [];
  // Given before, but this device says it does not have them.
  if (after !== null && after < s.deliveredSeq) {
    for (const b of candidates) if (b.seq > after && b.seq <= s.deliveredSeq && forUser(b, userId)) given.push(publicBroadcast(b));
  }
  let held = 0;
  for (const b of candidates) {
    if (b.seq <= s.deliveredSeq) continue;
    if (held > 0) {
      if (forUser(b, userId)) held++;
      continue;
    }
    if (!forUser(b, userId)) {
      s.deliveredSeq = b.seq;
      continue;
    }
    const allowed = b.important || (s.windowCount < rules.maxPerWindow && (s.lastAt === 0 || now - s.lastAt >= rules.minIntervalMs));
    if (!allowed) {
      held = 1;
      continue;
    }
    given.push(publicBroadcast(b));
    s.deliveredSeq = b.seq;
    if (!b.important) {
      s.windowCount++;
      s.lastAt = now;
    }
  }
  const unread = candidates.filter((b) => b.seq > s.readSeq && b.seq <= s.deliveredSeq && forUser(b, userId)).length;
  return { result: { broadcasts: given, cursor: s.deliveredSeq, unread, held }, state: s };
}

/** Moves the read cursor: forward only, never past what was given. */
export function read(state: BroadcastUserState, seq: number): BroadcastUserState {
  return { ...state, readSeq: Math.max(state.readSeq, Math.min(seq, state.deliveredSeq)) };
}

/** Unread after a read: `candidates` are the stored broadcasts above the new read cursor. */
export const unreadOf = (state: BroadcastUserState, userId: string, candidates: StoredBroadcast[]) =>
  candidates.filter((b) => b.seq > state.readSeq && b.seq <= state.deliveredSeq && forUser(b, userId)).length;

/** Room settings every new room starts with (ROOM_* in config may change them per server). */
export const mergeSettings = <T extends object>(base: T, patch: Partial<T> | undefined): T => ({ ...base, ...(patch ?? {}) });
