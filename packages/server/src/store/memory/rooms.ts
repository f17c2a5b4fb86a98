/** MemoryStore's rooms and broadcasts (see rooms-store.ts), kept beside its tables so a reopened store sees them. */
import type { Broadcast, BroadcastSyncResult, Room } from '@natter/protocol';
import { FIRST_SYNC_BROADCASTS, type FatigueRules, type NewBroadcast, type RoomPatch } from '../rooms-store.js';
import { lowestNeeded, newUserState, publicBroadcast, read, take, unreadOf, type BroadcastUserState, type StoredBroadcast } from '../rules/broadcasts.js';
import type { MemoryTables } from './tables.js';

interface RoomTables {
  rooms: Map<string, Room>;
  broadcasts: StoredBroadcast[];
  states: Map<string, BroadcastUserState>;
}

const all = new WeakMap<MemoryTables, RoomTables>();

function tables(t: MemoryTables): RoomTables {
  let r = all.get(t);
  if (!r) all.set(t, (r = { rooms: new Map(), broadcasts: [], states: new Map() }));
  return r;
}

const copy = (room: Room): Room => structuredClone(room);

export function createRoom(t: MemoryTables, room: Room): boolean {
  const r = tables(t);
  if (r.rooms.has(room.id)) return false;
  r.rooms.set(room.id, copy(room));
  return true;
}

export function getRoom(t: MemoryTables, id: string): Room | null {
  const room = tables(t).rooms.get(id);
  return room ? copy(room) : null;
}

export function updateRoom(t: MemoryTables, id: string, patch: RoomPatch): Room | null {
  const r = tables(t);
  const room = r.rooms.get(id);
  if (!room) return null;
  const next: Room = {
    ...room,
    ...(patch.title !== undefined && { title: patch.title }),
    ...(patch.moderators !== undefined && { moderators: [...patch.moderators] }),
    settings: { ...room.settings, ...(patch.settings ?? {}) },
  };
  r.rooms.set(id, next);
  return copy(next);
}

export function createBroadcast(t: MemoryTables, b: NewBroadcast): Broadcast {
  const r = tables(t);
  const stored: StoredBroadcast = { seq: r.broadcasts.length + 1, id: b.id, title: b.title, body: JSON.parse(b.body), important: b.important, createdAt: b.createdAt, userIds: b.userIds ? [...b.userIds] : null };
  r.broadcasts.push(stored);
  return publicBroadcast(structuredClone(stored));
}

const stateOf = (r: RoomTables, userId: string) => r.states.get(userId) ?? newUserState(r.broadcasts.length, FIRST_SYNC_BROADCASTS);

export function takeBroadcasts(t: MemoryTables, userId: string, after: number | null, now: number, rules: FatigueRules): BroadcastSyncResult {
  const r = tables(t);
  const state = stateOf(r, userId);
  const candidates = r.broadcasts.slice(lowestNeeded(state, after));
  const out = take(state, userId, after, candidates, now, rules);
  r.states.set(userId, out.state);
  return structuredClone(out.result);
}

export function readBroadcasts(t: MemoryTables, userId: string, seq: number): { seq: number; unread: number } {
  const r = tables(t);
  const state = read(stateOf(r, userId), seq);
  r.states.set(userId, state);
  return { seq: state.readSeq, unread: unreadOf(state, userId, r.broadcasts.slice(state.readSeq)) };
}
