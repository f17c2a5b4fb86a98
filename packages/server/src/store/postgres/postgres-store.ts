/**
 * The cluster Store on PostgreSQL. Same contract as the SQLite store; how it stays correct with
 * several Natter processes writing at once (seqs under row locks, lock order, versions in commit
 * order, migrations under an advisory lock) is told in db.ts, which every module here writes through.
 */
import type pg from 'pg';
import type { ContactsStore, Store } from '../store.js';
import { PgAccounts } from './accounts.js';
import { PgAdmin } from './admin.js';
import { PgContacts } from './contacts.js';
import { PgSearch } from './search.js';
import { PgConversations } from './conversations.js';
import { PgDb, type PostgresStoreOptions } from './db.js';
import { PgMedia } from './media.js';
import { PgGroups } from './groups.js';
import { PgMessageActions } from './message-actions.js';
import { PgHidden } from './hidden.js';
import { PgMessages } from './messages.js';
import { PgReceipts } from './receipts.js';
import { PgPresence } from './presence.js';
import { PgSync } from './sync.js';
import { PgRooms } from './rooms.js';

export type { PostgresStoreOptions } from './db.js';

/** The Store over one pool: hands each method to the module of its concern (see db.ts for how they share it). */
export class PostgresStore implements Store {
  /** The connection pool, shared with cluster-wide helpers such as the login rate limiter. */
  readonly pool: pg.Pool;
  /** Sync versions are transaction-id stamps (db.ts), not a counter. */
  readonly syncVersions = 'xid';
  private closed = false;
  private readonly accounts: PgAccounts;
  private readonly admin: PgAdmin;
  private readonly conversations: PgConversations;
  private readonly messages: PgMessages;
  private readonly sync: PgSync;
  private readonly receipts: PgReceipts;
  private readonly contacts: PgContacts;
  private readonly search: PgSearch;
  private readonly presence: PgPresence;
  private readonly rooms: PgRooms;
  private readonly media: PgMedia;
  private readonly groups: PgGroups;
  private readonly messageActions: PgMessageActions;
  private readonly hidden: PgHidden;

  private constructor(db: PgDb) {
    this.pool = db.pool;
    this.accounts = new PgAccounts(db);
    this.admin = new PgAdmin(db);
    this.conversations = new PgConversations(db);
    this.messages = new PgMessages(db, this.conversations);
    this.hidden = new PgHidden(db);
    this.sync = new PgSync(db, this.conversations, this.hidden);
    this.receipts = new PgReceipts(db);
    this.contacts = new PgContacts(db);
    this.search = new PgSearch(db);
    this.presence = new PgPresence(db);
    this.rooms = new PgRooms(db);
    this.media = new PgMedia(db);
    this.groups = new PgGroups(db, this.conversations);
    this.messageActions = new PgMessageActions(db, this.conversations);
  }

  /** Connects, creates the schema if asked, and applies pending migrations (once across processes). */
  static async open(o: PostgresStoreOptions): Promise<PostgresStore> {
    return new PostgresStore(await PgDb.open(o));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  createUser: Store['createUser'] = (...a) => this.accounts.createUser(...a);
  getUser: Store['getUser'] = (...a) => this.accounts.getUser(...a);
  getUserByUsername: Store['getUserByUsername'] = (...a) => this.accounts.getUserByUsername(...a);
  existingUserIds: Store['existingUserIds'] = (...a) => this.accounts.existingUserIds(...a);
  updateProfile: Store['updateProfile'] = (...a) => this.accounts.updateProfile(...a);
  setPasswordHash: Store['setPasswordHash'] = (...a) => this.accounts.setPasswordHash(...a);
  createDevice: Store['createDevice'] = (...a) => this.accounts.createDevice(...a);
  getDevice: Store['getDevice'] = (...a) => this.accounts.getDevice(...a);
  listDevices: Store['listDevices'] = (...a) => this.accounts.listDevices(...a);
  rotateRefresh: Store['rotateRefresh'] = (...a) => this.accounts.rotateRefresh(...a);
  revokeDevice: Store['revokeDevice'] = (...a) => this.accounts.revokeDevice(...a);
  revokeOtherDevices: Store['revokeOtherDevices'] = (...a) => this.accounts.revokeOtherDevices(...a);
  listUsers: Store['listUsers'] = (...a) => this.admin.listUsers(...a);
  setUserDisabled: Store['setUserDisabled'] = (...a) => this.admin.setUserDisabled(...a);
  createInvite: Store['createInvite'] = (...a) => this.admin.createInvite(...a);
  useInvite: Store['useInvite'] = (...a) => this.admin.useInvite(...a);
  restoreInvite: Store['restoreInvite'] = (...a) => this.admin.restoreInvite(...a);

  createConversation: Store['createConversation'] = (...a) => this.conversations.createConversation(...a);
  openDirect: Store['openDirect'] = (...a) => this.conversations.openDirect(...a);
  getConversationState: Store['getConversationState'] = (...a) => this.conversations.getConversationState(...a);
  getConversationForUser: Store['getConversationForUser'] = (...a) => this.conversations.getConversationForUser(...a);
  activeConversationIds: Store['activeConversationIds'] = (...a) => this.conversations.activeConversationIds(...a);
  changeMembership: Store['changeMembership'] = (...a) => this.conversations.changeMembership(...a);
  changeGroup: Store['changeGroup'] = (...a) => this.groups.changeGroup(...a);
  createGroupInvite: Store['createGroupInvite'] = (...a) => this.groups.createInvite(...a);
  listGroupInvites: Store['listGroupInvites'] = (...a) => this.groups.listInvites(...a);
  revokeGroupInvite: Store['revokeGroupInvite'] = (...a) => this.groups.revokeInvite(...a);
  joinByInvite: Store['joinByInvite'] = (...a) => this.groups.joinByInvite(...a);
  applyMessageAction: Store['applyMessageAction'] = (...a) => this.messageActions.apply(...a);
  hideMessage: Store['hideMessage'] = (...a) => this.hidden.hide(...a);
  unhideMessage: Store['unhideMessage'] = (...a) => this.hidden.unhide(...a);

  appendMessages: Store['appendMessages'] = (...a) => this.messages.appendMessages(...a);
  getMessages: Store['getMessages'] = (...a) => this.messages.getMessages(...a);

  ackDelivered: Store['ackDelivered'] = (...a) => this.sync.ackDelivered(...a);
  ackDeliveredMany: Store['ackDeliveredMany'] = (...a) => this.sync.ackDeliveredMany(...a);
  markRead: Store['markRead'] = (...a) => this.sync.markRead(...a);
  changesSince: Store['changesSince'] = (...a) => this.sync.changesSince(...a);
  setConversationFlags: Store['setConversationFlags'] = (...a) => this.sync.setConversationFlags(...a);

  receiptCursors: Store['receiptCursors'] = (...a) => this.receipts.receiptCursors(...a);
  getUserSettings: Store['getUserSettings'] = (...a) => this.receipts.getUserSettings(...a);
  updateUserSettings: Store['updateUserSettings'] = (...a) => this.receipts.updateUserSettings(...a);

  searchMessages: Store['searchMessages'] = (...a) => this.search.searchMessages(...a);
  searchUsers: ContactsStore['searchUsers'] = (...a) => this.contacts.searchUsers(...a);
  sendFriendRequest: ContactsStore['sendFriendRequest'] = (...a) => this.contacts.sendFriendRequest(...a);
  acceptFriendRequest: ContactsStore['acceptFriendRequest'] = (...a) => this.contacts.acceptFriendRequest(...a);
  deleteFriendRequest: ContactsStore['deleteFriendRequest'] = (...a) => this.contacts.deleteFriendRequest(...a);
  removeFriend: ContactsStore['removeFriend'] = (...a) => this.contacts.removeFriend(...a);
  listFriends: ContactsStore['listFriends'] = (...a) => this.contacts.listFriends(...a);
  listFriendRequests: ContactsStore['listFriendRequests'] = (...a) => this.contacts.listFriendRequests(...a);
  blockUser: ContactsStore['blockUser'] = (...a) => this.contacts.blockUser(...a);
  unblockUser: ContactsStore['unblockUser'] = (...a) => this.contacts.unblockUser(...a);
  listBlocks: ContactsStore['listBlocks'] = (...a) => this.contacts.listBlocks(...a);
  relations: ContactsStore['relations'] = (...a) => this.contacts.relations(...a);

  getPresenceVisible: Store['getPresenceVisible'] = (...a) => this.presence.getPresenceVisible(...a);
  setPresenceVisible: Store['setPresenceVisible'] = (...a) => this.presence.setPresenceVisible(...a);
  presencePeers: Store['presencePeers'] = (...a) => this.presence.presencePeers(...a);
  presenceAudience: Store['presenceAudience'] = (...a) => this.presence.presenceAudience(...a);

  createRoom: Store['createRoom'] = (...a) => this.rooms.createRoom(...a);
  getRoom: Store['getRoom'] = (...a) => this.rooms.getRoom(...a);
  updateRoom: Store['updateRoom'] = (...a) => this.rooms.updateRoom(...a);
  createBroadcast: Store['createBroadcast'] = (...a) => this.rooms.createBroadcast(...a);
  takeBroadcasts: Store['takeBroadcasts'] = (...a) => this.rooms.takeBroadcasts(...a);
  readBroadcasts: Store['readBroadcasts'] = (...a) => this.rooms.readBroadcasts(...a);

  createUpload: Store['createUpload'] = (...a) => this.media.createUpload(...a);
  getBlob: Store['getBlob'] = (...a) => this.media.getBlob(...a);
  advanceUpload: Store['advanceUpload'] = (...a) => this.media.advanceUpload(...a);
  completeUpload: Store['completeUpload'] = (...a) => this.media.completeUpload(...a);
  deleteBlob: Store['deleteBlob'] = (...a) => this.media.deleteBlob(...a);
  attachBlob: Store['attachBlob'] = (...a) => this.media.attachBlob(...a);
  addBlobRef: Store['addBlobRef'] = (...a) => this.media.addBlobRef(...a);
  recallBlobRefs: Store['recallBlobRefs'] = (...a) => this.media.recallBlobRefs(...a);
  readableBlob: Store['readableBlob'] = (...a) => this.media.readableBlob(...a);
  claimGarbage: Store['claimGarbage'] = (...a) => this.media.claimGarbage(...a);
}
