/** The objects the protocol carries: users, conversations, messages. Shared by server and SDK. */
import type { MediaMessageType } from './media.js';

export const PROTOCOL_VERSION = 1;

export type ConversationKind = 'direct' | 'group';
export type MemberRole = 'owner' | 'admin' | 'member';
/** `system` entries are conversation events (created, members joined/left/removed) in the log. */
export type MessageType = 'text' | 'custom' | 'system' | MediaMessageType;

export interface TextBody {
  text: string;
  mentions?: string[];
}

/** Body of a `system` log entry. */
export type SystemBody =
  | { event: 'conversation.created'; by: string; title: string | null; members: string[] }
  | { event: 'member.joined'; by: string; userIds: string[] }
  | { event: 'member.removed'; by: string; userId: string }
  | { event: 'member.left'; userId: string }
  | { event: 'member.role'; by: string; userId: string; role: 'admin' | 'member' };

export interface Message {
  /** Global id. */
  id: string;
  conversationId: string;
  /** Position in the conversation's log: 1, 2, 3 … with no gaps. */
  seq: number;
  senderId: string;
  type: MessageType;
  /** `TextBody` for text, any JSON for custom, `SystemBody` for system, `MediaBody` for image/file/voice/video. */
  body: unknown;
  /** The sender's idempotency key, in the sender's own copies only: null for other members and for system entries. */
  clientMsgId: string | null;
  replyTo: string | null;
  /** Milliseconds since the epoch, server time. */
  createdAt: number;
}

export interface Membership {
  role: MemberRole;
  state: 'active' | 'left';
  /** The seq of the entry that added this user; they see history from here. */
  joinedSeq: number;
  /** The seq of the entry that removed them, or null while active. */
  leftSeq: number | null;
  /** How far this user has read (all devices together). */
  readSeq: number;
}

export interface Conversation {
  id: string;
  kind: ConversationKind;
  title: string | null;
  /** The seq of the newest log entry this user may see. */
  lastSeq: number;
  createdAt: number;
  /** Active member ids (for direct: both users). */
  members: string[];
  membership: Membership;
}

export interface SendResult {
  id: string;
  seq: number;
  createdAt: number;
}

export interface SyncResult {
  /** Conversations that changed since the token: new ones, new entries, membership changes. */
  conversations: Conversation[];
  /** Pass as `since` next time. Opaque. */
  token: string;
  /** More changed conversations wait: call sync again with `token` at once. */
  hasMore: boolean;
}

export interface MessagesPage {
  /** Ascending by seq. */
  messages: Message[];
  /** More entries exist in the requested direction beyond this page. */
  hasMore: boolean;
}

export interface PublicUser {
  id: string;
  username: string;
  displayName: string | null;
  avatarUrl: string | null;
}

export interface AuthOk {
  userId: string;
  deviceId: string;
  /** Seconds between the server's pings; the client may use it for its own liveness check. */
  heartbeatSeconds: number;
  protocolVersion: number;
}
