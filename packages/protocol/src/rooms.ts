/**
 * Live rooms and broadcasts: the objects and client frames of issue 25. A room is the third
 * conversation kind, but its audience are viewers (subscriptions), not members: nothing is kept
 * per viewer, and nothing in a room is part of a conversation log (no seq, no sync). A broadcast
 * is a notice from the operator to every user (or a segment), stored once and read by each user
 * through `broadcast.sync`. See docs/rooms.md for the delivery semantics.
 */
import { z } from 'zod';

/** `high`: gifts, system notices and the host's messages; never dropped. `normal`: chat; sampled or dropped under load. */
export type RoomPriority = 'high' | 'normal';
export type RoomMessageType = 'text' | 'custom' | 'gift' | 'system';

export interface RoomSettings {
  /** Viewers may join without authenticating (they can watch, not send). */
  anonymous: boolean;
  /** Messages are batched per tick: one `room` frame per viewer per tick at most. */
  tickMs: number;
  /** Messages kept for joining and reconnecting viewers (the last N of each priority). */
  retention: number;
  /** Delivery budget: normal messages per viewer per second; beyond it they are sampled. */
  budgetPerViewer: number;
  /** Sends accepted per second in the whole room (all processes), normal priority. */
  roomSendsPerSecond: number;
  /** Sends accepted per user per 10 seconds in this room. */
  userSendsPer10s: number;
}

export interface Room {
  id: string;
  kind: 'room';
  title: string | null;
  hostId: string;
  moderators: string[];
  settings: RoomSettings;
  createdAt: number;
}

/** One message of a room. Ids are time-ordered: `since` on join compares them. */
export interface RoomMessage {
  id: string;
  roomId: string;
  senderId: string;
  type: RoomMessageType;
  body: unknown;
  priority: RoomPriority;
  createdAt: number;
}

export interface RoomJoinResult {
  room: Room;
  /** Viewers across the cluster, approximate (refreshed every second or so). */
  viewers: number;
  /** Recent messages (the last `retention` chat messages, and high-priority ones after `since`), ascending by id. */
  recent: RoomMessage[];
}

export interface Broadcast {
  /** Position in the broadcast log (one log for the whole deployment). */
  seq: number;
  id: string;
  title: string | null;
  body: unknown;
  /** Bypasses fatigue caps (security notices); use sparingly. */
  important: boolean;
  createdAt: number;
}

export interface BroadcastSyncResult {
  /** Broadcasts for this user after `after`, ascending; some may be held back by fatigue caps (`held`). */
  broadcasts: Broadcast[];
  /** Pass as `after` next time. */
  cursor: number;
  /** Broadcasts given to this user and not yet read. */
  unread: number;
  /** Broadcasts waiting for this user's fatigue caps to allow them. */
  held: number;
}

const objectId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'ids are letters, digits, _ and -');
const requestId = z.union([z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), z.string().min(1).max(64)]);
const base = { id: requestId.optional() };

export const roomSettingsPatch = z
  .object({
    anonymous: z.boolean(),
    tickMs: z.number().int().min(50).max(2000),
    retention: z.number().int().min(0).max(500),
    budgetPerViewer: z.number().int().min(1).max(1000),
    roomSendsPerSecond: z.number().int().min(1).max(100_000),
    userSendsPer10s: z.number().int().min(1).max(1000),
  })
  .partial();

export const roomCreateFrame = z.object({
  type: z.literal('room.create'),
  ...base,
  title: z.string().min(1).max(200).optional(),
  settings: roomSettingsPatch.optional(),
});
export const roomUpdateFrame = z.object({
  type: z.literal('room.update'),
  ...base,
  roomId: objectId,
  title: z.string().min(1).max(200).optional(),
  moderators: z.array(objectId).max(100).optional(),
  settings: roomSettingsPatch.optional(),
});
export const roomJoinFrame = z.object({
  type: z.literal('room.join'),
  ...base,
  roomId: objectId,
  /** The newest room message id this viewer has: high-priority messages after it are in `recent`. */
  since: z.string().max(64).optional(),
});
export const roomLeaveFrame = z.object({ type: z.literal('room.leave'), ...base, roomId: objectId });
export const roomSendFrame = z.object({
  type: z.literal('room.send'),
  ...base,
  roomId: objectId,
  msgType: z.enum(['text', 'custom', 'gift']),
  body: z.unknown(),
  /** Asked priority; `high` is granted to the host, moderators and gifts only (others get `normal`). */
  priority: z.enum(['high', 'normal']).optional(),
});
export const roomMuteFrame = z.object({
  type: z.literal('room.mute'),
  ...base,
  roomId: objectId,
  userId: objectId,
  /** 0 unmutes. */
  seconds: z.number().int().min(0).max(86_400),
});
export const roomKickFrame = z.object({
  type: z.literal('room.kick'),
  ...base,
  roomId: objectId,
  userId: objectId,
  /** How long the user may not join again. */
  seconds: z.number().int().min(0).max(86_400).optional(),
});
export const broadcastSyncFrame = z.object({
  type: z.literal('broadcast.sync'),
  ...base,
  /** The cursor of the last answer this device kept; broadcasts after it are sent again if it is behind. */
  after: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
});
export const broadcastReadFrame = z.object({
  type: z.literal('broadcast.read'),
  ...base,
  seq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
});

export const roomFrameSchemas = {
  'room.create': roomCreateFrame,
  'room.update': roomUpdateFrame,
  'room.join': roomJoinFrame,
  'room.leave': roomLeaveFrame,
  'room.send': roomSendFrame,
  'room.mute': roomMuteFrame,
  'room.kick': roomKickFrame,
  'broadcast.sync': broadcastSyncFrame,
  'broadcast.read': broadcastReadFrame,
} as const;

export interface RoomResultData {
  'room.create': Room;
  'room.update': Room;
  'room.join': RoomJoinResult;
  'room.leave': { roomId: string };
  'room.send': { id: string; priority: RoomPriority; createdAt: number };
  'room.mute': { roomId: string; userId: string; seconds: number };
  'room.kick': { roomId: string; userId: string };
  'broadcast.sync': BroadcastSyncResult;
  'broadcast.read': { seq: number; unread: number };
}

export type RoomServerFrame =
  /**
   * One tick of a room: its messages since the last tick (ascending), the viewer count, and how
   * many normal-priority messages this viewer did not get since its last frame (sampled under
   * the room's budget or shed for a full send queue).
   */
  | { type: 'room'; roomId: string; viewers: number; messages: RoomMessage[]; dropped?: number }
  /**
   * The compact form of the same (ROOM_FRAME_ENCODING=compact): `m` holds
   * [id, senderId, type, body, priority (1 high, 0 normal), createdAt] arrays.
   */
  | { type: 'room~'; r: string; v: number; m: [string, string, RoomMessageType, unknown, 0 | 1, number][]; d?: number }
  /** This viewer no longer watches the room: `kicked` by a moderator, or the room `closed`. */
  | { type: 'room.left'; roomId: string; reason: 'kicked' | 'closed' }
  /** New broadcasts may wait for this user: run `broadcast.sync` (the SDK does, after a short random delay). */
  | { type: 'broadcast'; seq: number };

export { expandCompactRoomFrame } from './room-wire.js';
