/**
 * MemoryStore: the Store kept in plain Maps in this process, for tests and single-process
 * experiments only. Nothing survives a restart, and two processes never share it: it must not
 * back a server whose users expect their messages to be kept (guarantee 1 of DESIGN.md).
 *
 * It keeps every other guarantee of store.ts, and passes the same contract suite as SQLite and
 * PostgreSQL (@natter/testkit's contracts/memory-store.test.ts). Each method runs synchronously
 * to completion inside one call — nothing awaits in between — so each is atomic and they run one
 * after another in call order (`appendsInOrder`); each checks whatever could refuse its write
 * before writing. Results are fresh objects: a caller changing one never changes the store.
 *
 * @example
 * const store = new MemoryStore();
 * await store.createUser({ id: 'u1', username: 'alice', passwordHash: null, displayName: null, avatarUrl: null, createdAt: Date.now() });
 */
import { applyMessageAction } from './message-actions.js';
import { hideMessage, unhideMessage } from './hidden.js';
import type { MessageAction } from '../rules/message-actions.js';
import type { HideOutcome, MessageActionOutcome, UnhideOutcome } from '../store.js';
import type { Conversation, ConversationFlags, GroupInvite, Message, UserSettings } from '@natter/protocol';
import type { GroupChange } from '../rules/groups.js';
import type {
  AppendOutcome,
  ConversationState,
  CreatedConversation,
  CursorOutcome,
  DeliveryCursor,
  DeviceRecord,
  GroupOutcome,
  InviteOutcome,
  MembershipChange,
  MembershipOutcome,
  NewConversation,
  NewDevice,
  NewGroupInvite,
  NewInvite,
  NewMessage,
  NewUser,
  PageQuery,
  ReceiptCursors,
  PresenceAudience,
  RotateOutcome,
  Store,
  SyncPage,
  UserRecord,
  ContactsStore,
} from '../store.js';
import * as accounts from './accounts.js';
import * as admin from './admin.js';
import * as contacts from './contacts.js';
import { searchMessages } from './search.js';
import * as conversations from './conversations.js';
import * as media from './media.js';
import * as groups from './groups.js';
import * as messages from './messages.js';
import * as receipts from './receipts.js';
import * as presence from './presence.js';
import * as sync from './sync.js';
import * as rooms from './rooms.js';
import { MemoryStoreClosedError, MemoryTables } from './tables.js';

export { MemoryConstraintError, MemoryStoreClosedError, MemoryTables } from './tables.js';

export interface MemoryStoreOptions {
  /**
   * The data to work on; a fresh, empty set by default. A test passes the tables of a closed
   * store to "reopen" it in the same process.
   */
  tables?: MemoryTables;
}

export class MemoryStore implements Store {
  /** One thread, no awaits inside a method: calls take effect in call order. */
  readonly appendsInOrder = true;
  private readonly t: MemoryTables;
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.t = options.tables ?? new MemoryTables();
  }

  /** The tables, for a test to reopen them in another MemoryStore once this one is closed. */
  get tables(): MemoryTables {
    return this.t;
  }

  /** The tables of an open store; a closed store refuses every call. */
  private get open(): MemoryTables {
    if (this.closed) throw new MemoryStoreClosedError();
    return this.t;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  // --- accounts -----------------------------------------------------------------------------

  async createUser(user: NewUser): Promise<UserRecord | null> {
    return accounts.createUser(this.open, user);
  }

  async getUser(id: string): Promise<UserRecord | null> {
    return accounts.getUser(this.open, id);
  }

  async getUserByUsername(username: string): Promise<UserRecord | null> {
    return accounts.getUserByUsername(this.open, username);
  }

  async existingUserIds(ids: string[]): Promise<string[]> {
    const t = this.open;
    return ids.filter((id) => t.users.has(id));
  }

  async updateProfile(id: string, patch: { displayName?: string | null; avatarUrl?: string | null }): Promise<UserRecord | null> {
    return accounts.updateProfile(this.open, id, patch);
  }

  async setPasswordHash(id: string, hash: string): Promise<void> {
    accounts.setPasswordHash(this.open, id, hash);
  }

  // --- administration -------------------------------------------------------------------------

  async listUsers(after: string | null, limit: number): Promise<UserRecord[]> {
    return admin.listUsers(this.open, after, limit);
  }

  async setUserDisabled(id: string, disabledAt: number | null): Promise<UserRecord | null> {
    return admin.setUserDisabled(this.open, id, disabledAt);
  }

  async createInvite(invite: NewInvite): Promise<void> {
    admin.createInvite(this.open, invite);
  }

  async useInvite(codeHash: string, now: number): Promise<boolean> {
    return admin.useInvite(this.open, codeHash, now);
  }

  async restoreInvite(codeHash: string): Promise<void> {
    admin.restoreInvite(this.open, codeHash);
  }

  // --- devices ------------------------------------------------------------------------------

  async createDevice(device: NewDevice): Promise<DeviceRecord> {
    return accounts.createDevice(this.open, device);
  }

  async getDevice(id: string): Promise<DeviceRecord | null> {
    return accounts.getDevice(this.open, id);
  }

  async listDevices(userId: string): Promise<DeviceRecord[]> {
    return accounts.listDevices(this.open, userId);
  }

  async rotateRefresh(deviceId: string, presentedHash: string, next: { hash: string; expiresAt: number }, now: number): Promise<RotateOutcome> {
    return accounts.rotateRefresh(this.open, deviceId, presentedHash, next, now);
  }

  async revokeDevice(userId: string, deviceId: string, now: number): Promise<boolean> {
    return accounts.revokeDevice(this.open, userId, deviceId, now);
  }

  async revokeOtherDevices(userId: string, keep: string | null, now: number): Promise<string[]> {
    return accounts.revokeOtherDevices(this.open, userId, keep, now);
  }

  // --- conversations ------------------------------------------------------------------------

  async createConversation(conv: NewConversation): Promise<CreatedConversation> {
    return conversations.createConversation(this.open, conv);
  }

  async openDirect(a: string, b: string, make: () => NewConversation): Promise<{ state: ConversationState; created: CreatedConversation | null }> {
    return conversations.openDirect(this.open, a, b, make);
  }

  async getConversationState(id: string): Promise<ConversationState | null> {
    return conversations.getConversationState(this.open, id);
  }

  async getConversationForUser(id: string, userId: string): Promise<Conversation | null> {
    return conversations.getConversationForUser(this.open, id, userId);
  }

  async activeConversationIds(userId: string): Promise<string[]> {
    return conversations.activeConversationIds(this.open, userId);
  }

  async changeMembership(conversationId: string, change: MembershipChange, entryId: string, now: number): Promise<MembershipOutcome> {
    return conversations.changeMembership(this.open, conversationId, change, entryId, now);
  }

  // --- group management ---------------------------------------------------------------------

  async changeGroup(conversationId: string, change: GroupChange, entryId: string, now: number): Promise<GroupOutcome> {
    return groups.changeGroup(this.open, conversationId, change, entryId, now);
  }

  async createGroupInvite(conversationId: string, invite: NewGroupInvite): Promise<InviteOutcome<GroupInvite>> {
    return groups.createInvite(this.open, conversationId, invite);
  }

  async listGroupInvites(conversationId: string, by: string): Promise<InviteOutcome<GroupInvite[]>> {
    return groups.listInvites(this.open, conversationId, by);
  }

  async revokeGroupInvite(conversationId: string, by: string, code: string, now: number): Promise<InviteOutcome<GroupInvite>> {
    return groups.revokeInvite(this.open, conversationId, by, code, now);
  }

  async applyMessageAction(conversationId: string, action: MessageAction, entryId: string, now: number): Promise<MessageActionOutcome> {
    return applyMessageAction(this.open, conversationId, action, entryId, now);
  }

  async hideMessage(userId: string, conversationId: string, messageId: string, now: number): Promise<HideOutcome> {
    return hideMessage(this.open, userId, conversationId, messageId, now);
  }

  async unhideMessage(userId: string, conversationId: string, messageId: string, now: number): Promise<UnhideOutcome> {
    return unhideMessage(this.open, userId, conversationId, messageId, now);
  }

  async joinByInvite(code: string, userId: string, entryId: string, now: number, maxMembers: number): Promise<GroupOutcome> {
    return groups.joinByInvite(this.open, code, userId, entryId, now, maxMembers);
  }

  // --- messages -----------------------------------------------------------------------------

  async appendMessages(batch: NewMessage[]): Promise<AppendOutcome[]> {
    return messages.appendMessages(this.open, batch);
  }

  async getMessages(conversationId: string, userId: string, query: PageQuery): Promise<{ messages: Message[]; hasMore: boolean } | null> {
    return messages.getMessages(this.open, conversationId, userId, query);
  }

  // --- cursors and sync ---------------------------------------------------------------------

  async ackDelivered(deviceId: string, userId: string, conversationId: string, seq: number): Promise<CursorOutcome> {
    return sync.ackDelivered(this.open, deviceId, userId, conversationId, seq);
  }

  async ackDeliveredMany(cursors: readonly DeliveryCursor[]): Promise<void> {
    sync.ackDeliveredMany(this.open, cursors);
  }

  async markRead(userId: string, conversationId: string, seq: number): Promise<CursorOutcome> {
    return sync.markRead(this.open, userId, conversationId, seq);
  }

  async changesSince(userId: string, sinceVersion: number, limit: number): Promise<SyncPage> {
    return sync.changesSince(this.open, userId, sinceVersion, limit);
  }

  async setConversationFlags(userId: string, conversationId: string, flags: ConversationFlags): Promise<Conversation | null> {
    return sync.setConversationFlags(this.open, userId, conversationId, flags);
  }

  // --- receipts and settings ----------------------------------------------------------------

  async receiptCursors(conversationId: string, userId: string, query: { seqs?: readonly number[]; messageId?: string }): Promise<ReceiptCursors | null> {
    return receipts.receiptCursors(this.open, conversationId, userId, query);
  }

  async getUserSettings(userId: string): Promise<UserSettings> {
    return receipts.getUserSettings(this.open, userId);
  }

  async updateUserSettings(userId: string, patch: Partial<UserSettings>): Promise<UserSettings | null> {
    return receipts.updateUserSettings(this.open, userId, patch);
  }
  // --- message search (search.ts) ---------------------------------------------------------------
  searchMessages: Store['searchMessages'] = async (...a) => searchMessages(this.open, ...a);
  // --- contacts (contacts.ts) -----------------------------------------------------------------
  searchUsers: ContactsStore['searchUsers'] = async (...a) => contacts.searchUsers(this.open, ...a);
  sendFriendRequest: ContactsStore['sendFriendRequest'] = async (...a) => contacts.sendFriendRequest(this.open, ...a);
  acceptFriendRequest: ContactsStore['acceptFriendRequest'] = async (...a) => contacts.acceptFriendRequest(this.open, ...a);
  deleteFriendRequest: ContactsStore['deleteFriendRequest'] = async (...a) => contacts.deleteFriendRequest(this.open, ...a);
  removeFriend: ContactsStore['removeFriend'] = async (...a) => contacts.removeFriend(this.open, ...a);
  listFriends: ContactsStore['listFriends'] = async (...a) => contacts.listFriends(this.open, ...a);
  listFriendRequests: ContactsStore['listFriendRequests'] = async (...a) => contacts.listFriendRequests(this.open, ...a);
  blockUser: ContactsStore['blockUser'] = async (...a) => contacts.blockUser(this.open, ...a);
  unblockUser: ContactsStore['unblockUser'] = async (...a) => contacts.unblockUser(this.open, ...a);
  listBlocks: ContactsStore['listBlocks'] = async (...a) => contacts.listBlocks(this.open, ...a);
  relations: ContactsStore['relations'] = async (...a) => contacts.relations(this.open, ...a);
  // --- presence -----------------------------------------------------------------------------

  async getPresenceVisible(userId: string): Promise<boolean> {
    return presence.getPresenceVisible(this.open, userId);
  }

  async setPresenceVisible(userId: string, visible: boolean): Promise<void> {
    presence.setPresenceVisible(this.open, userId, visible);
  }

  async presencePeers(userId: string): Promise<string[]> {
    return presence.presencePeers(this.open, userId);
  }

  async presenceAudience(viewerId: string, userIds: string[]): Promise<PresenceAudience[]> {
    return presence.presenceAudience(this.open, viewerId, userIds);
  }
  // --- rooms and broadcasts (rooms-store.ts) ---------------------------------------------------

  createRoom: Store['createRoom'] = async (room) => rooms.createRoom(this.open, room);
  getRoom: Store['getRoom'] = async (id) => rooms.getRoom(this.open, id);
  updateRoom: Store['updateRoom'] = async (id, patch) => rooms.updateRoom(this.open, id, patch);
  createBroadcast: Store['createBroadcast'] = async (b) => rooms.createBroadcast(this.open, b);
  takeBroadcasts: Store['takeBroadcasts'] = async (userId, after, now, rules) => rooms.takeBroadcasts(this.open, userId, after, now, rules);
  readBroadcasts: Store['readBroadcasts'] = async (userId, seq) => rooms.readBroadcasts(this.open, userId, seq);
  // --- media --------------------------------------------------------------------------------

  createUpload: Store['createUpload'] = async (...a) => media.createUpload(this.open, ...a);
  getBlob: Store['getBlob'] = async (...a) => media.getBlob(this.open, ...a);
  advanceUpload: Store['advanceUpload'] = async (...a) => media.advanceUpload(this.open, ...a);
  completeUpload: Store['completeUpload'] = async (...a) => media.completeUpload(this.open, ...a);
  deleteBlob: Store['deleteBlob'] = async (...a) => media.deleteBlob(this.open, ...a);
  attachBlob: Store['attachBlob'] = async (...a) => media.attachBlob(this.open, ...a);
  addBlobRef: Store['addBlobRef'] = async (...a) => media.addBlobRef(this.open, ...a);
  recallBlobRefs: Store['recallBlobRefs'] = async (...a) => media.recallBlobRefs(this.open, ...a);
  readableBlob: Store['readableBlob'] = async (...a) => media.readableBlob(this.open, ...a);
  claimGarbage: Store['claimGarbage'] = async (...a) => media.claimGarbage(this.open, ...a);
}
