/** The room frame helpers a zod-free client (`@natter/protocol/wire`) needs at run time. */
import type { RoomServerFrame } from './rooms.js';

/** Reads a `room~` compact frame into the messages of a `room` frame. */
export function expandCompactRoomFrame(f: Extract<RoomServerFrame, { type: 'room~' }>): Extract<RoomServerFrame, { type: 'room' }> {
  return {
    type: 'room',
    roomId: f.r,
    viewers: f.v,
    messages: f.m.map(([id, senderId, type, body, p, createdAt]) => ({ id, roomId: f.r, senderId, type, body, priority: p === 1 ? 'high' : 'normal', createdAt })),
    ...(f.d !== undefined && { dropped: f.d }),
  };
}
