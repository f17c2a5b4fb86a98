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
  | { event: 'member.role'; by: string; userId: string; role: 'admin' | 'member' }
  /** Group management (docs/groups.md): each change is one entry, so every device converges. */
  | { event: 'member.joinedByInvite'; userId: string; invitedBy: string }
  | { event: 'group.updated'; by: string; changes: GroupProfilePatch }
  | { event: 'group.ownerTransferred'; by: string; userId: string }
  | { event: 'group.dissolved'; by: string }
  | { event: 'member.muted'; by: string; userId: string; until: number | null }
  | { event: 'group.mutedAll'; by: string; muted: boolean }
  /** Message actions (docs/protocol.md): apply to the message `messageId` of the same conversation. */
  | { event: 'message.recalled'; by: string; messageId: string }
  | { event: 'message.edited'; by: string; messageId: string; text: string }
  | { event: 'reaction.added'; by: string; messageId: string; emoji: string }
  | { event: 'reaction.removed'; by: string; messageId: string; emoji: string };

/** One emoji's reactions to a message: how many, and who (in the order they reacted). */
export interface Reaction {
  emoji: string;
  count: number;
  userIds: string[];
}

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
  /** `TextBody` for text, any JSON for custom, `SystemBody` for system, `MediaBody` for image/file/voice/video. */
  body: unknown;
  /** The sender's idempotency key, in the sender's own copies only: null for other members and for system entries. */
  clientMsgId: string | null;
  replyTo: string | null;
  /** Milliseconds since the epoch, server time. */
  createdAt: number;
  /**
   * Who the message mentions: active members' user ids, and/or `"all"` (every member). Left out
   * when it mentions nobody. A mention of a user with the message unread sets their
   * conversation's `mentioned` flag.
   */
  mentions?: string[];
  /** When it was recalled (ms since the epoch): its body is then `{}` and nothing of it is stored. */
  recalledAt?: number;
  /** When its text was last edited (ms since the epoch); absent if never. */
  editedAt?: number;
  /** Reactions, one per emoji in the order first used; absent when none. */
  reactions?: Reaction[];
  /**
   * When this user deleted it for themselves ("delete for me", `message.hide`): the entry keeps
   * its seq, sender, type and time so the log has no gap, but its body is `{}` and its mentions,
   * reactions and edit marker are left out — in this user's copies only; other members see it
   * unchanged.
   */
  hiddenAt?: number;
}

/**
 * A message one user deleted for themselves (`message.hide`): told to all their devices live (the
 * `message.hidden` push) and through `sync` (`SyncResult.hidden`), so each drops its body.
 */
export interface HiddenMessage {
  conversationId: string;
  messageId: string;
  seq: number;
  /** Milliseconds since the epoch, server time. */
  hiddenAt: number;
}

/** A message one user had deleted for themselves and restored (`message.unhide`): show it again. */
export interface UnhiddenMessage {
  conversationId: string;
  messageId: string;
  seq: number;
}

/** The `mentions` entry that mentions every member of the conversation. */
export const MENTION_ALL = 'all';

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
  /**
   * The preview: the newest entry this user may see (the entry at `lastSeq`), system entries
   * included ("Ann added Bob" is what the list shows after it). Its `clientMsgId` is always null.
   * Null only in a conversation whose first entry the user cannot see (never, today).
   */
  lastMessage: Message | null;
  /**
   * The activity ordering key: milliseconds since the epoch of the newest entry this user may
   * see (`lastMessage.createdAt`, else the conversation's `createdAt`). Lists sort by it,
   * newest first, after the pinned conversations.
   */
  lastActivityAt: number;
  /**
   * Exact unread count: messages from other members after `membership.readSeq` that this user
   * may see. System entries and the user's own messages never count (sending a message moves
   * the sender's read cursor to it). Never negative. 0 once the user has left.
   */
  unreadCount: number;
  /** An unread message mentions this user (by id or with `"all"`). False once the user has left. */
  mentioned: boolean;
  /** This user's own flags, the same on every device of theirs (`conversation.setFlags`). */
  pinned: boolean;
  /** A muted conversation does not count toward `SyncResult.totalUnread`. */
  muted: boolean;
  archived: boolean;
  /** Groups only: profile, mute-all and dissolved state (docs/groups.md). */
  group?: GroupProfile;
}

/** The per-user flags of a conversation, as `conversation.setFlags` and the REST route set them. */
export interface ConversationFlags {
  pinned?: boolean;
  muted?: boolean;
  archived?: boolean;
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
  /**
   * The user's total badge when this page was read: the sum of `unreadCount` over every
   * conversation they are an active member of and have not muted (archived ones count).
   * Between syncs a client derives it from the conversations it holds (the SDK's list does).
   */
  totalUnread: number;
  /**
   * Messages this user deleted for themselves (`message.hide`) since the token, on any device:
   * drop their bodies from what you hold (history fetched later comes as tombstones already).
   * Left out when there are none.
   */
  hidden?: HiddenMessage[];
  /**
   * Messages this user restored (`message.unhide`) since the token: fetch the ones you hold as
   * tombstones again (`messages` with `after: seq - 1, limit: 1`). A message is in at most one of
   * `hidden` and `unhidden`: the state it is in now. Left out when there are none.
   */
  unhidden?: UnhiddenMessage[];
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

/**
 * Per-user settings, kept by the server and shared by every device of the user (GET/PATCH
 * /v1/me/settings, or the `settings.get` / `settings.update` frames). New settings are new
 * optional-on-input fields with a default.
 */
export interface UserSettings {
  /**
   * Others see how far this user has read (default true). Off: nobody is told this user's reads,
   * and this user is told nobody's (as in WhatsApp). Delivery receipts are not affected.
   */
  readReceipts: boolean;
}

/**
 * A receipt: `userId` has read (`read`) or received on at least one device (`delivered`) every
 * entry of the conversation up to `seq`. Cursors only move forward: a client keeps the highest
 * seq it was told per user and kind.
 */
export interface Receipt {
  conversationId: string;
  kind: 'read' | 'delivered';
  userId: string;
  seq: number;
}

/** A user's cursor in a receipts answer. */
export interface ReceiptCursor {
  userId: string;
  seq: number;
}

/** The answer to `receipts.get`. */
export interface ReceiptsResult {
  conversationId: string;
  /**
   * Whether the caller may see read receipts: false when their own `readReceipts` setting is off
   * (then `read` is empty and every count is 0).
   */
  readReceipts: boolean;
  /** Direct conversations: the other member's read cursor (absent when they turned receipts off). Groups: empty. */
  read: ReceiptCursor[];
  /** Direct conversations: the other member's delivery cursor (any of their devices). Groups: empty. */
  delivered: ReceiptCursor[];
  /** For each seq asked: how many members other than the entry's sender have read it. */
  counts: { seq: number; readBy: number }[];
}

/** The answer to `receipts.readers`: who has read one message, a page at a time. */
export interface ReadersPage {
  messageId: string;
  seq: number;
  /** Readers on this page, in user id order. */
  readers: string[];
  /** Readers in all (members other than the sender whose read cursor is at or past the message). */
  count: number;
  /** Pass as `after` for the next page; null on the last. */
  next: string | null;
}
