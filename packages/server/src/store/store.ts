/**
 * The Store: everything Natter keeps. Async so that SQLite (embedded) and PostgreSQL
 * (cluster) implement it alike; both, and MemoryStore, must pass `runStoreContract`
 * (@natter/testkit's contracts/store.ts).
 *
 * Guarantees every implementation gives:
 * - Each method is one transaction: it either happens whole or not at all.
 * - When a write method's promise resolves, the write is durable at the configured level.
 * - Conversation logs are gap-free: entries get seq lastSeq+1, lastSeq+2, … in commit order.
 * - Versions (used by sync) are unique, increasing in commit order, one per conversation change.
 */
import type { Conversation, ConversationFlags, GroupInvite, Message, UserSettings } from '@natter/protocol';
import type { DeviceRecord, NewDevice, NewInvite, NewUser, PresenceAudience, RotateOutcome, UserRecord } from './account-types.js';
import type { ContactsStore } from './contacts.js';
import type {
  ConversationState,
  CreatedConversation,
  GroupOutcome,
  InviteOutcome,
  MembershipChange,
  MembershipOutcome,
  NewConversation,
  NewGroupInvite,
} from './conversation-types.js';
import type { MediaRecords } from './media.js';
import type { AppendOutcome, HideOutcome, MessageActionOutcome, NewMessage, PageQuery, UnhideOutcome } from './message-types.js';
import type { RoomStore } from './rooms-store.js';
import type { SearchStore } from './search.js';
import type { CursorOutcome, DeliveryCursor, ReceiptCursors, SyncPage } from './sync-types.js';
import type { GroupChange } from './rules/groups.js';
import type { MessageAction } from './rules/message-actions.js';

// The types of the Store's methods live beside it by subject; importers take them from here.
export type * from './account-types.js';
export type * from './contacts.js';
export type * from './conversation-types.js';
export type * from './message-types.js';
export type * from './sync-types.js';
export type { MessageSearch, SearchCursor, SearchStore } from './search.js';
export type { BlobRecord, BlobRef, CreateUploadOutcome, GarbageQuery, MediaRecords, NewUpload } from './media.js';

/** Rooms and broadcasts (RoomStore) are declared in rooms-store.ts. */
export interface Store extends ContactsStore, RoomStore, MediaRecords, SearchStore {
  /**
   * True when appendMessages calls run one after another in call order (one connection, one
   * thread): the committer may then hand over several batches at once without reordering.
   */
  readonly appendsInOrder?: boolean;
  /**
   * What this store's sync versions are, carried in the sync token so a token of the other kind
   * gets a full resync instead of a wrong answer: `counter` (the default; SQLite, memory) or `xid`
   * (PostgreSQL: transaction-id stamps, see store/postgres/db.ts).
   */
  readonly syncVersions?: 'counter' | 'xid';
  /** Releases connections and files. Idempotent. */
  close(): Promise<void>;

  // --- accounts ---------------------------------------------------------------------------
  /** Returns null when the username is taken (case-insensitively). */
  createUser(user: NewUser): Promise<UserRecord | null>;
  getUser(id: string): Promise<UserRecord | null>;
  getUserByUsername(username: string): Promise<UserRecord | null>;
  /** Returns the users among `ids` that exist. */
  existingUserIds(ids: string[]): Promise<string[]>;
  updateProfile(id: string, patch: { displayName?: string | null; avatarUrl?: string | null }): Promise<UserRecord | null>;
  setPasswordHash(id: string, hash: string): Promise<void>;

  // --- administration (issue 20: the CLI and the admin API) --------------------------------
  /** Users in id order, those after `after` (null: from the first), at most `limit`. */
  listUsers(after: string | null, limit: number): Promise<UserRecord[]>;
  /**
   * Disables the user (`disabledAt` a time) and revokes every live device of theirs in the same
   * transaction, or enables them again (null). Returns the user as it now is; null when there is none.
   */
  setUserDisabled(id: string, disabledAt: number | null): Promise<UserRecord | null>;
  /** Stores a new invite. */
  createInvite(invite: NewInvite): Promise<void>;
  /**
   * Spends the invite: true exactly once per invite — for the first caller while it is unused and
   * not expired at `now` — however many race; false otherwise (unknown, used or expired).
   */
  useInvite(codeHash: string, now: number): Promise<boolean>;
  /** Makes a spent invite usable again (the registration it was spent on failed). */
  restoreInvite(codeHash: string): Promise<void>;

  // --- devices (sessions) -----------------------------------------------------------------
  createDevice(device: NewDevice): Promise<DeviceRecord>;
  getDevice(id: string): Promise<DeviceRecord | null>;
  /** Not revoked, newest first. */
  listDevices(userId: string): Promise<DeviceRecord[]>;
  /**
   * Atomically swaps the refresh hash if `presentedHash` is the current one and the device is
   * live. One of the device's recent earlier hashes revokes it (refresh token reuse means
   * theft); a hash it never had is `unknown` and changes nothing.
   */
  rotateRefresh(deviceId: string, presentedHash: string, next: { hash: string; expiresAt: number }, now: number): Promise<RotateOutcome>;
  /** Returns false when there was no such live device of that user. */
  revokeDevice(userId: string, deviceId: string, now: number): Promise<boolean>;
  /** Revokes all of a user's devices except `keep`; returns the revoked ids. */
  revokeOtherDevices(userId: string, keep: string | null, now: number): Promise<string[]>;

  // --- conversations ----------------------------------------------------------------------
  /** Creates the conversation with its `conversation.created` entry at seq 1. */
  createConversation(conv: NewConversation): Promise<CreatedConversation>;
  /**
   * The direct conversation of a pair, created with its first entry if it did not exist.
   * Exactly one per pair, however many callers race. `created`: null when it existed already.
   */
  openDirect(a: string, b: string, make: () => NewConversation): Promise<{ state: ConversationState; created: CreatedConversation | null }>;
  getConversationState(id: string): Promise<ConversationState | null>;
  /** The user's view; null when the user never was a member (or it does not exist). */
  getConversationForUser(id: string, userId: string): Promise<Conversation | null>;
  /** Conversation ids where the user is an active member (used to route live delivery). */
  activeConversationIds(userId: string): Promise<string[]>;
  /** Applies a membership change with its system entry, checking the actor's role. */
  changeMembership(conversationId: string, change: MembershipChange, entryId: string, now: number): Promise<MembershipOutcome>;

  // --- message actions (rules/message-actions.ts decides) --------------------------------------
  /**
   * Recalls, edits or reacts to one message of the conversation, in one transaction: the
   * message's stored state changes (a recall overwrites its body with `{}`) and a system entry
   * (`entryId`, sent by the actor) records the action in the log.
   */
  applyMessageAction(conversationId: string, action: MessageAction, entryId: string, now: number): Promise<MessageActionOutcome>;
  /**
   * Delete for me: records, durably, that `userId` hid the message, in one transaction with a new
   * sync version for their view of the conversation (so their other devices learn it through
   * `changesSince().hidden`). Only a message in the conversation, within the user's visible
   * window (rules/hidden.ts), not a system entry; anything else is `not_found`. Idempotent: a
   * second hide changes nothing and keeps the first `hiddenAt`. Other users' views never change.
   * From then on getMessages, previews and searchMessages show the user the message's
   * hiddenCopy (search leaves it out).
   */
  hideMessage(userId: string, conversationId: string, messageId: string, now: number): Promise<HideOutcome>;
  /**
   * Undoes hideMessage: the message shows again to the user, with a new sync version for their
   * view (their other devices learn it through `changesSince().unhidden`). The same `not_found`
   * rule. Idempotent: a message not hidden changes nothing (`changed` false).
   */
  unhideMessage(userId: string, conversationId: string, messageId: string, now: number): Promise<UnhideOutcome>;

  // --- group management (rules/groups.ts decides; docs/groups.md) ---------------------------
  /** Applies a profile, ownership, dissolve or mute change with its system entry, checking roles. */
  changeGroup(conversationId: string, change: GroupChange, entryId: string, now: number): Promise<GroupOutcome>;
  /** Stores a new invite code of the group, if `invite.createdBy` is its owner or an admin. */
  createGroupInvite(conversationId: string, invite: NewGroupInvite): Promise<InviteOutcome<GroupInvite>>;
  /** The group's invite codes, newest first (revoked and used-up ones too), for its owner and admins. */
  listGroupInvites(conversationId: string, by: string): Promise<InviteOutcome<GroupInvite[]>>;
  /** Revokes one of the group's codes (idempotent), for its owner and admins. */
  revokeGroupInvite(conversationId: string, by: string, code: string, now: number): Promise<InviteOutcome<GroupInvite>>;
  /**
   * Joins `userId` to the code's group with a `member.joinedByInvite` entry and counts one use,
   * in one transaction; `not_found` for a code that is unknown, expired, used up or revoked.
   */
  joinByInvite(code: string, userId: string, entryId: string, now: number, maxMembers: number): Promise<GroupOutcome>;

  // --- messages ---------------------------------------------------------------------------
  /**
   * Group commit: stores a batch of sends in one transaction, in array order. Outcomes are
   * per item and in the same order. Membership is checked inside the transaction.
   */
  appendMessages(batch: NewMessage[]): Promise<AppendOutcome[]>;
  /**
   * Entries visible to the user: within [joinedSeq, leftSeq ?? lastSeq]. `after` returns the
   * oldest entries above it; `before` the newest below it; always ascending.
   * Null when the user never was a member.
   */
  getMessages(conversationId: string, userId: string, query: PageQuery): Promise<{ messages: Message[]; hasMore: boolean } | null>;

  // --- cursors ----------------------------------------------------------------------------
  /** Moves the device's delivery cursor forward (never back) and returns it. */
  ackDelivered(deviceId: string, userId: string, conversationId: string, seq: number): Promise<CursorOutcome>;
  /**
   * Moves each device's delivery cursor forward to at least its `seq` (never back), all in one
   * transaction, without checking what the user may see: for cursors the caller has already
   * checked (core/cursors.ts keeps acks in memory and writes them this way, in batches).
   */
  ackDeliveredMany(cursors: readonly DeliveryCursor[]): Promise<void>;
  /**
   * Moves the user's read cursor forward (never back) and returns it, with the count of
   * countable entries at it (rules/unread.ts), in one transaction. `not_member` once they left.
   */
  markRead(userId: string, conversationId: string, seq: number): Promise<CursorOutcome>;

  // --- per-user conversation flags ---------------------------------------------------------
  /**
   * Sets the given flags of the user's membership (others stay) and returns the user's view,
   * with a new sync version for that view only; null when the user never was a member.
   * Idempotent: setting a flag to what it is changes nothing but the version.
   */
  setConversationFlags(userId: string, conversationId: string, flags: ConversationFlags): Promise<Conversation | null>;

  // --- receipts and settings ----------------------------------------------------------------
  /**
   * The cursors behind receipts: null unless `userId` is an active member of the conversation
   * (never joined, left, or no such conversation look the same). `entries`: those of `seqs`
   * and `messageId` that exist within the caller's window (an id of another conversation, or
   * outside the window, is simply absent). O(members) reads; writes nothing.
   */
  receiptCursors(conversationId: string, userId: string, query: { seqs?: readonly number[]; messageId?: string }): Promise<ReceiptCursors | null>;
  /** The user's settings, defaults filled in (a user who never changed one has no row). */
  getUserSettings(userId: string): Promise<UserSettings>;
  /**
   * Changes the given settings (others keep their values) in one transaction and returns them
   * all. Null when there is no such user.
   */
  updateUserSettings(userId: string, patch: Partial<UserSettings>): Promise<UserSettings | null>;

  // --- sync -------------------------------------------------------------------------------
  /** Conversations of the user whose view changed after `sinceVersion`, oldest change first. */
  changesSince(userId: string, sinceVersion: number, limit: number): Promise<SyncPage>;

  // --- presence (core/presence/; the online state itself is Ephemeral, never stored) --------
  /** Whether the user shows their presence to others; true unless they turned it off. */
  getPresenceVisible(userId: string): Promise<boolean>;
  /** Shows or hides the user's presence; idempotent. */
  setPresenceVisible(userId: string, visible: boolean): Promise<void>;
  /** The users who share an active direct conversation with `userId` (both active members), each once. */
  presencePeers(userId: string): Promise<string[]>;
  /**
   * Of `userIds`, those who share at least one conversation with `viewerId` in which both are
   * active members, each once with whether they show their presence; the others are left out.
   */
  presenceAudience(viewerId: string, userIds: string[]): Promise<PresenceAudience[]>;
}
