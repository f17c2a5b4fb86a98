/** The objects the protocol carries: users, conversations, messages. Shared by server and SDK. */

export const PROTOCOL_VERSION = 1;

export type ConversationKind = 'direct' | 'group';
export type MemberRole = 'owner' | 'admin' | 'member';
/** `system` entries are conversation events (created, members joined/left/removed) in the log. */
export type MessageType = 'text' | 'custom' | 'system';

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
  | { event: 'member.role'; by: string; userId: string; role: 'admin' | 'member' }
  /** Group management (docs/groups.md): each change is one entry, so every device converges. */
  | { event: 'member.joinedByInvite'; userId: string; invitedBy: string }
  | { event: 'group.updated'; by: string; changes: GroupProfilePatch }
  | { event: 'group.ownerTransferred'; by: string; userId: string }
  | { event: 'group.dissolved'; by: string }
  | { event: 'member.muted'; by: string; userId: string; until: number | null }
  | { event: 'group.mutedAll'; by: string; muted: boolean };

/** A group's profile and state besides its title and members (docs/groups.md). */
export interface GroupProfile {
  /** An http(s) URL of the group's picture. */
  avatarUrl: string | null;
  description: string | null;
  /** A pinned notice shown to every member. */
  announcement: string | null;
  /** Only the owner and admins may send while true. */
  mutedAll: boolean;
  /** When the owner dissolved the group: it is read-only for everyone from then on. */
  dissolvedAt: number | null;
}

/** The fields a `group.update` changes; a field left out stays as it is, null clears it. */
export interface GroupProfilePatch {
  title?: string | null;
  avatarUrl?: string | null;
  description?: string | null;
  announcement?: string | null;
}

/** An invite code of a group, as its owner and admins see it. */
export interface GroupInvite {
  /** The secret to join with (put it in a link as the app likes). */
  code: string;
  conversationId: string;
  createdBy: string;
  createdAt: number;
  /** Milliseconds since the epoch; null: never expires. */
  expiresAt: number | null;
  /** Null: no limit. */
  maxUses: number | null;
  uses: number;
  revokedAt: number | null;
}

export interface Message {
  /** Global id. */
  id: string;
  conversationId: string;
  /** Position in the conversation's log: 1, 2, 3 … with no gaps. */
  seq: number;
  senderId: string;
  type: MessageType;
  /** `TextBody` for text, any JSON for custom, `SystemBody` for system. */
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
  /** Groups: this member may not send until then (milliseconds since the epoch); absent when not muted. */
  mutedUntil?: number;
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
  /** Groups only: profile, mute-all and dissolved state (docs/groups.md). */
  group?: GroupProfile;
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
