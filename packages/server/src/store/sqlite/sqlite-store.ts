/**
 * The embedded Store: one SQLite file in WAL mode through better-sqlite3. better-sqlite3 is
 * synchronous, so each method runs its transaction to completion on the event loop; the async
 * signature is for parity with the PostgreSQL store. With DURABILITY=normal a committed
 * transaction is in the WAL (survives a killed process); with `full` it is fsynced (survives
 * power loss).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { ContactsStore, Store } from '../store.js';
import { usernameKey } from '../rules/usernames.js';
import { SqliteAccounts } from './accounts.js';
import { SqliteAdmin } from './admin.js';
import { SqliteContacts } from './contacts.js';
import { SqliteSearch } from './search.js';
import { SearchIndexer, attachSearchFile, openSearchReader, prepareSearchFile } from './search-indexer.js';
import { SqliteConversations } from './conversations.js';
import { SqliteMedia } from './media.js';
import { SqliteGroups } from './groups.js';
import { SqliteMessageActions } from './message-actions.js';
import { SqliteHidden } from './hidden.js';
import { SqliteMessages } from './messages.js';
import { migrations } from './migrations.js';
import { SqliteReceipts } from './receipts.js';
import { SqlitePresence } from './presence.js';
import { prepareStatements } from './statements.js';
import { SqliteSync } from './sync.js';
import { SqliteRooms } from './rooms.js';

/** How long a statement waits for a lock another connection holds. */
const BUSY_TIMEOUT_MS = 5000;

export interface SqliteStoreOptions {
  /** File path, or ':memory:' (tests of pure logic only). */
  path: string;
  durability: 'normal' | 'full';
  /**
   * Another connection checkpoints the WAL (see checkpointer.ts): this one never does it
   * inside a commit. Default false: SQLite checkpoints automatically every 4,000 pages.
   */
  backgroundCheckpoints?: boolean;
  /** Message search scans a user's windows below this many visible entries (search.ts SCAN_BELOW; tests use 0 to exercise the index). */
  searchScanBelow?: number;
  /**
   * Who keeps the message-search index in the search file (search-indexer.ts): `inline`
   * (default), this connection, just before each search; `thread`, SqliteWorkerStore's indexer
   * thread — this connection only reads the index and prunes the queue of applied changes.
   */
  searchIndex?: 'inline' | 'thread';
}

/**
 * The Store on one SQLite connection: opens and migrates the file, then hands each method to the
 * module of its concern, which runs it as one transaction on this connection.
 */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private closed = false;
  private readonly accounts: SqliteAccounts;
  private readonly admin: SqliteAdmin;
  private readonly conversations: SqliteConversations;
  private readonly messages: SqliteMessages;
  private readonly groups: SqliteGroups;
  private readonly messageActions: SqliteMessageActions;
  private readonly hidden: SqliteHidden;
  private readonly sync: SqliteSync;
  private readonly receipts: SqliteReceipts;
  private readonly contacts: SqliteContacts;
  /** Made at the first search (or prune) when the indexer thread keeps the index: see searchPart. */
  private search: SqliteSearch | null = null;
  private searchReader: Database.Database | null = null;
  private readonly searchPart: () => SqliteSearch;
  private readonly presence: SqlitePresence;
  private readonly rooms: SqliteRooms;
  private readonly media: SqliteMedia;

  constructor(options: SqliteStoreOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.durability === 'full' ? 'FULL' : 'NORMAL'}`);
    this.db.pragma('foreign_keys = ON');
    this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // A larger page cache and fewer, larger checkpoints: pages written again and again between
    // checkpoints are copied into the database once (measured: ~30 KB written per message).
    this.db.pragma('cache_size = -65536');
    this.db.pragma(`wal_autocheckpoint = ${options.backgroundCheckpoints === true ? 0 : 4000}`);
    // After a checkpoint has caught up the WAL restarts from its beginning; keep the file itself
    // from staying at the size of the largest burst it ever held.
    this.db.pragma('journal_size_limit = 67108864');
    // Migration 8 folds display names with the same rule as the store's own writes.
    this.db.function('natter_fold', { deterministic: true }, (v: unknown) => (typeof v === 'string' ? usernameKey(v) : null));
    this.migrate();
    let indexer: SearchIndexer | null = null;
    if (options.searchIndex === 'thread') {
      // For the indexer thread, which opens it but never creates it. Searches run on a read-only
      // connection of their own, with the file attached (search-indexer.ts openSearchReader).
      prepareSearchFile(options.path);
    } else {
      attachSearchFile(this.db, options.path);
      indexer = new SearchIndexer(this.db, this.db, 'search');
      indexer.resetIfStale();
    }
    this.searchPart = () => {
      if (this.search) return this.search;
      const on = indexer ? this.db : (this.searchReader = openSearchReader(options.path, BUSY_TIMEOUT_MS));
      return (this.search = new SqliteSearch(on, this.db, options.searchScanBelow, indexer));
    };
    const s = prepareStatements(this.db);
    this.accounts = new SqliteAccounts(this.db, s);
    this.admin = new SqliteAdmin(this.db);
    this.conversations = new SqliteConversations(this.db, s);
    this.messages = new SqliteMessages(this.db, s);
    this.groups = new SqliteGroups(this.db, s, this.conversations);
    this.messageActions = new SqliteMessageActions(this.db, s, this.conversations);
    this.hidden = new SqliteHidden(this.db, s);
    this.sync = new SqliteSync(this.db, s, this.conversations, this.hidden);
    this.receipts = new SqliteReceipts(this.db);
    this.contacts = new SqliteContacts(this.db);
    this.presence = new SqlitePresence(this.db);
    this.rooms = new SqliteRooms(this.db);
    this.media = new SqliteMedia(this.db);
  }

  private migrate(): void {
    this.db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
    const applied = new Set(
      this.db.prepare<[], { version: number }>(`SELECT version FROM schema_migrations`).all().map((r) => r.version),
    );
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      this.db.transaction(() => {
        this.db.exec(m.sql);
        this.db.prepare(`INSERT INTO schema_migrations VALUES (?, ?, ?)`).run(m.version, m.name, Date.now());
      }).immediate();
    }
  }

  /** The database's page size in bytes (a WAL frame holds one page). */
  pageSize(): number {
    return this.db.pragma('page_size', { simple: true }) as number;
  }

  /**
   * Copies what is left of the WAL into the database and makes the next commit write from the
   * WAL's beginning (a RESTART checkpoint). Called between transactions by the thread that
   * writes, when the checkpointer has copied nearly all of the WAL (see checkpointer.ts). It
   * never waits: with a checkpoint pass or a reader in the way it does nothing (SQLite reports
   * busy) and is asked again at the checkpointer's next tick, rather than hold up every send.
   */
  restartWal(): void {
    this.db.pragma('busy_timeout = 0');
    try {
      // The main file only: the search file's WAL is its indexer's to checkpoint.
      this.db.pragma('main.wal_checkpoint(RESTART)');
    } finally {
      this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }

  /** Drops the queued edits and recalls the indexer thread has applied (search.ts pruneChanges). */
  pruneSearchChanges(): void {
    this.searchPart().pruneChanges();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.searchReader?.close();
    this.db.close();
  }

  createUser: Store['createUser'] = (...a) => this.accounts.createUser(...a);
  getUser: Store['getUser'] = (...a) => this.accounts.getUser(...a);
  getUserByUsername: Store['getUserByUsername'] = (...a) => this.accounts.getUserByUsername(...a);
  existingUserIds: Store['existingUserIds'] = (...a) => this.accounts.existingUserIds(...a);
  updateProfile: Store['updateProfile'] = (...a) => this.accounts.updateProfile(...a);
  setPasswordHash: Store['setPasswordHash'] = (...a) => this.accounts.setPasswordHash(...a);
  listUsers: Store['listUsers'] = (...a) => this.admin.listUsers(...a);
  setUserDisabled: Store['setUserDisabled'] = (...a) => this.admin.setUserDisabled(...a);
  createInvite: Store['createInvite'] = (...a) => this.admin.createInvite(...a);
  useInvite: Store['useInvite'] = (...a) => this.admin.useInvite(...a);
  restoreInvite: Store['restoreInvite'] = (...a) => this.admin.restoreInvite(...a);
  createDevice: Store['createDevice'] = (...a) => this.accounts.createDevice(...a);
  getDevice: Store['getDevice'] = (...a) => this.accounts.getDevice(...a);
  listDevices: Store['listDevices'] = (...a) => this.accounts.listDevices(...a);
  rotateRefresh: Store['rotateRefresh'] = (...a) => this.accounts.rotateRefresh(...a);
  revokeDevice: Store['revokeDevice'] = (...a) => this.accounts.revokeDevice(...a);
  revokeOtherDevices: Store['revokeOtherDevices'] = (...a) => this.accounts.revokeOtherDevices(...a);

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

  searchMessages: Store['searchMessages'] = (...a) => this.searchPart().searchMessages(...a);
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
