/**
 * `@natter/protocol/wire`: what a client needs at run time, without the zod schemas the server
 * validates client frames with (issue 20). The SDK imports only this entry point, so neither
 * its Node build nor its browser bundle loads zod. The types are the same as the root entry's.
 */
export * from './model.js';
export * from './errors.js';
export * from './close-codes.js';
export * from './backoff.js';
export { ACK_DELAY_MS } from './ack-cadence.js';
export { decodeServerFrame } from './server-frame.js';
export type { ClientFrame, ClientFrameOf, ClientFrameType, RequestId, ResultData, ServerFrame } from './frames.js';
export type {
  BlockedUser,
  Contact,
  ContactEvent,
  ContactEventKind,
  ContactResultData,
  FriendRequest,
  FriendRequestResult,
  FriendRequests,
} from './contacts.js';
export { PRESENCE_LIMITS } from './presence-limits.js';
export type { Presence, PresencePush, PresenceResultData, TypingPush } from './presence.js';
export { expandCompactRoomFrame } from './room-wire.js';
export type {
  Broadcast,
  BroadcastSyncResult,
  Room,
  RoomJoinResult,
  RoomMessage,
  RoomMessageType,
  RoomPriority,
  RoomResultData,
  RoomServerFrame,
  RoomSettings,
} from './rooms.js';
export * from './media.js';
export type { GroupFrame, GroupFrameType, GroupResultData } from './group-frames.js';
export type { MessageActionFrame, MessageActionFrameType, MessageActionResult, MessageActionResultData } from './message-actions.js';
export * from './message-action-apply.js';
export { SEARCH_LIMITS } from './search.js';
export type { SearchResult, SearchResultData } from './search.js';
