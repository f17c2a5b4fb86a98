/**
 * What the Store keeps for live rooms and broadcasts (issue 25), as a part of the Store
 * interface that store.ts extends. Little is durable here on purpose:
 * - a room's metadata (host, moderators, settings) is stored; its viewers, viewer count,
 *   recent messages, mutes and kicks are ephemeral (core/rooms/) and never touch the database;
 * - a broadcast is stored once for everyone; each user has one small row (how far they were
 *   given broadcasts, how far they read, their fatigue counters), never one row per broadcast.
 *
 * Every method is one transaction, like the rest of the Store.
 */
import type { Broadcast, BroadcastSyncResult, Room, RoomSettings } from '@natter/protocol';

export interface RoomPatch {
  title?: string | null;
  moderators?: string[];
  settings?: Partial<RoomSettings>;
}

export interface NewBroadcast {
  id: string;
  title: string | null;
  /** JSON text of the body. */
  body: string;
  important: boolean;
  /** The segment: these users only; null for everyone. */
  userIds: string[] | null;
  createdAt: number;
}

/** Fatigue caps for broadcasts that are not `important`, per user. */
export interface FatigueRules {
  /** At most this many per window. */
  maxPerWindow: number;
  windowMs: number;
  /** At least this long between two. */
  minIntervalMs: number;
}

export interface RoomStore {
  /** Stores a new room; false when the id is taken. */
  createRoom(room: Room): Promise<boolean>;
  getRoom(id: string): Promise<Room | null>;
  /** Applies the patch (settings merged key by key); null when there is no such room. */
  updateRoom(id: string, patch: RoomPatch): Promise<Room | null>;

  /** Stores a broadcast once, at the next seq of the broadcast log. */
  createBroadcast(b: NewBroadcast): Promise<Broadcast>;
  /**
   * Gives `userId` the broadcasts of their segment they have not been given, in seq order, as far
   * as the fatigue caps allow at `now` (important ones always), and moves their cursor past them in
   * the same transaction: each is given once. Those the caps hold back wait for a later call, in
   * order. With `after` behind the user's cursor (a device that lost an answer), the broadcasts
   * given in between are returned again (the client drops those it has). A user seen for the first
   * time starts at the last FIRST_SYNC_BROADCASTS broadcasts.
   */
  takeBroadcasts(userId: string, after: number | null, now: number, rules: FatigueRules): Promise<BroadcastSyncResult>;
  /** Moves the user's broadcast read cursor forward to `seq` (never back, never past what they were given). */
  readBroadcasts(userId: string, seq: number): Promise<{ seq: number; unread: number }>;
}

/** How many earlier broadcasts a user's first sync may get. */
export const FIRST_SYNC_BROADCASTS = 20;
/** Most broadcasts read per call (for unread counting and re-sending): a user far behind counts at most this many. */
export const BROADCAST_WINDOW = 1000;
