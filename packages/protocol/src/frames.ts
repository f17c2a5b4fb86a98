/**
 * Frame schemas. Every frame is one JSON object with a `type`. Client requests may carry an
 * `id` (a number or short string); the server answers each request that has one with a
 * `result` or `error` frame carrying the same `id`. Server pushes (`message`, `conversation`)
 * have no `id`. See docs/protocol.md for the prose version with examples.
 */
import { z } from 'zod';
import type {
  AuthOk,
  Conversation,
  ErrorBody,
  HiddenMessage,
  Message,
  MessagesPage,
  ReadersPage,
  Receipt,
  ReceiptsResult,
  SendResult,
  SyncResult,
  UnhiddenMessage,
  UserSettings,
} from './index.js';
import { type ContactEvent, contactFrameSchemas, type ContactResultData } from './contacts.js';
import {
  presenceGetFrame,
  presenceVisibilityFrame,
  typingFrame,
  type PresencePush,
  type PresenceResultData,
  type TypingPush,
} from './presence.js';
import { roomFrameSchemas, type RoomResultData, type RoomServerFrame } from './rooms.js';
import { groupFrameSchemas, type GroupResultData } from './group-frames.js';
import { messageActionFrameSchemas, type MessageActionResultData } from './message-actions.js';
import { searchFrameSchemas } from './search-frame.js';
import type { SearchResultData } from './search.js';

export const LIMITS = {
  idLength: 64,
  clientMsgIdLength: 64,
  pageSize: 200,
  membersPerRequest: 500,
  titleLength: 200,
  /** Distinct entries of a send's `mentions`. */
  mentionsPerMessage: 50,
  /** Seqs per `receipts.get`. */
  receiptSeqs: 100,
} as const;

const requestId = z.union([z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), z.string().min(1).max(64)]);
export const objectId = z
  .string()
  .min(1)
  .max(LIMITS.idLength)
  .regex(/^[A-Za-z0-9_-]+$/, 'ids are letters, digits, _ and -');
const seq = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const limit = z.number().int().min(1).max(LIMITS.pageSize);

const base = { id: requestId.optional() };

export const authFrame = z.object({ type: z.literal('auth'), ...base, token: z.string().min(1).max(4096) });
export const pingFrame = z.object({ type: z.literal('ping'), ...base });
export const sendFrame = z.object({
  type: z.literal('send'),
  ...base,
  conversationId: objectId,
  clientMsgId: z
    .string()
    .min(1)
    .max(LIMITS.clientMsgIdLength)
    .regex(/^[A-Za-z0-9_.:-]+$/),
  msgType: z.enum(['text', 'custom', 'image', 'file', 'voice', 'video']),
  body: z.unknown(),
  replyTo: objectId.optional(),
  /** Active members' user ids and/or "all"; each must be an active member (else `invalid_request`). */
  mentions: z.array(objectId).max(LIMITS.mentionsPerMessage).optional(),
});
export const ackFrame = z.object({ type: z.literal('ack'), ...base, conversationId: objectId, seq });
export const readFrame = z.object({ type: z.literal('read'), ...base, conversationId: objectId, seq });
export const syncFrame = z.object({
  type: z.literal('sync'),
  ...base,
  since: z.string().max(128).nullable().optional(),
  limit: limit.optional(),
});
export const messagesFrame = z.object({
  type: z.literal('messages'),
  ...base,
  conversationId: objectId,
  /** Entries with seq > after, ascending (catch-up, gap fill). */
  after: seq.optional(),
  /** Entries with seq < before, newest first then returned ascending (history paging). */
  before: seq.optional(),
  limit: limit.optional(),
});
export const directFrame = z.object({ type: z.literal('conversation.direct'), ...base, userId: objectId });
export const createGroupFrame = z.object({
  type: z.literal('conversation.create'),
  ...base,
  title: z.string().min(1).max(LIMITS.titleLength).optional(),
  members: z.array(objectId).max(LIMITS.membersPerRequest),
});
export const getConversationFrame = z.object({ type: z.literal('conversation.get'), ...base, conversationId: objectId });
export const addMembersFrame = z.object({
  type: z.literal('conversation.addMembers'),
  ...base,
  conversationId: objectId,
  userIds: z.array(objectId).min(1).max(LIMITS.membersPerRequest),
});
export const removeMemberFrame = z.object({
  type: z.literal('conversation.removeMember'),
  ...base,
  conversationId: objectId,
  userId: objectId,
});
export const leaveFrame = z.object({ type: z.literal('conversation.leave'), ...base, conversationId: objectId });
export const setRoleFrame = z.object({
  type: z.literal('conversation.setRole'),
  ...base,
  conversationId: objectId,
  userId: objectId,
  role: z.enum(['admin', 'member']),
});

/** This user's pinned / muted / archived flags of a conversation; fields left out stay as they are. */
export const setFlagsFrame = z.object({
  type: z.literal('conversation.setFlags'),
  ...base,
  conversationId: objectId,
  pinned: z.boolean().optional(),
  muted: z.boolean().optional(),
  archived: z.boolean().optional(),
});
/** Receipts of a conversation: the other member's read and delivery cursors (direct), read-by counts for `seqs`. */
export const receiptsFrame = z.object({
  type: z.literal('receipts.get'),
  ...base,
  conversationId: objectId,
  seqs: z.array(seq.min(1)).max(LIMITS.receiptSeqs).optional(),
});
/** Who has read one message (members other than its sender), paged by user id. */
export const readersFrame = z.object({
  type: z.literal('receipts.readers'),
  ...base,
  conversationId: objectId,
  messageId: objectId,
  after: objectId.optional(),
  limit: limit.optional(),
});
/** The fields of UserSettings a client may change; each optional. */
export const userSettingsPatch = z.strictObject({ readReceipts: z.boolean().optional() });
export const settingsGetFrame = z.object({ type: z.literal('settings.get'), ...base });
export const settingsUpdateFrame = z.object({ type: z.literal('settings.update'), ...base, settings: userSettingsPatch });

export const clientFrameSchemas = {
  auth: authFrame,
  ping: pingFrame,
  send: sendFrame,
  ack: ackFrame,
  read: readFrame,
  sync: syncFrame,
  messages: messagesFrame,
  'conversation.direct': directFrame,
  'conversation.create': createGroupFrame,
  'conversation.get': getConversationFrame,
  'conversation.addMembers': addMembersFrame,
  'conversation.removeMember': removeMemberFrame,
  'conversation.leave': leaveFrame,
  'conversation.setRole': setRoleFrame,
  'conversation.setFlags': setFlagsFrame,
  'receipts.get': receiptsFrame,
  'receipts.readers': readersFrame,
  'settings.get': settingsGetFrame,
  'settings.update': settingsUpdateFrame,
  ...contactFrameSchemas,
  typing: typingFrame,
  'presence.get': presenceGetFrame,
  'presence.setVisible': presenceVisibilityFrame,
  ...roomFrameSchemas,
  ...groupFrameSchemas,
  ...messageActionFrameSchemas,
  ...searchFrameSchemas,
} as const;

export type ClientFrameType = keyof typeof clientFrameSchemas;
export type ClientFrame = { [K in ClientFrameType]: z.infer<(typeof clientFrameSchemas)[K]> }[ClientFrameType];
export type ClientFrameOf<K extends ClientFrameType> = z.infer<(typeof clientFrameSchemas)[K]>;
export type RequestId = z.infer<typeof requestId>;

/** What each request's `result.data` holds. */
export interface ResultData
  extends ContactResultData,
    PresenceResultData,
    RoomResultData,
    GroupResultData,
    MessageActionResultData,
    SearchResultData {
  auth: AuthOk;
  ping: { time: number };
  send: SendResult;
  ack: { seq: number };
  read: { seq: number };
  sync: SyncResult;
  messages: MessagesPage;
  'conversation.direct': Conversation;
  'conversation.create': Conversation;
  'conversation.get': Conversation;
  'conversation.addMembers': Conversation;
  'conversation.removeMember': Conversation;
  'conversation.leave': { conversationId: string; seq: number };
  'conversation.setRole': Conversation;
  'conversation.setFlags': Conversation;
  'receipts.get': ReceiptsResult;
  'receipts.readers': ReadersPage;
  'settings.get': UserSettings;
  'settings.update': UserSettings;
}

export type ServerFrame =
  | { type: 'result'; id: RequestId; data: unknown }
  | { type: 'error'; id?: RequestId; error: ErrorBody }
  /** A new log entry in a conversation the user is a member of. */
  | { type: 'message'; message: Message }
  /** This user's view of a conversation changed: added to it, removed from it. */
  | { type: 'conversation'; conversation: Conversation }
  /**
   * Someone read or received entries of a conversation up to a seq: read receipts and delivery
   * receipts of direct conversations. Keep the highest seq per user and kind; they never go back.
   */
  | { type: 'receipt'; receipt: Receipt }
  /**
   * Live deliveries may have been missed (the server's bus was interrupted): run `sync` now.
   * Nothing is lost — everything is in the store — but it will not arrive by itself.
   */
  | { type: 'resync' }
  /** Something changed in the user's contacts (friend requests, friendships, blocks): see ContactEvent. */
  | { type: 'contact'; event: ContactEvent }
  /** This user deleted a message for themselves on one of their devices (`message.hide`): drop its body. */
  | { type: 'message.hidden'; hidden: HiddenMessage }
  /** This user restored a message they had deleted for themselves (`message.unhide`): fetch it again. */
  | { type: 'message.unhidden'; unhidden: UnhiddenMessage }
  /** Someone in a conversation started or stopped typing (docs/presence.md). */
  | TypingPush
  /** A user you share a direct conversation with came online or went offline (docs/presence.md). */
  | PresencePush
  /** Live rooms and broadcasts (docs/rooms.md). */
  | RoomServerFrame;
