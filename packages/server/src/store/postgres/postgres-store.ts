/**
 * The cluster Store on PostgreSQL. Same contract as the SQLite store; how it stays correct with
 * several Natter processes writing at once (seqs under row locks, lock order, versions in commit
 * order, migrations under an advisory lock) is told in db.ts, which every module here writes through.
 */
import type pg from 'pg';
import type { Store } from '../store.js';
import { PgAccounts } from './accounts.js';
import { PgConversations } from './conversations.js';
import { PgDb, type PostgresStoreOptions } from './db.js';
import { PgGroups } from './groups.js';
import { PgMessages } from './messages.js';
import { PgSync } from './sync.js';

export type { PostgresStoreOptions } from './db.js';

/** The Store over one pool: hands each method to the module of its concern (see db.ts for how they share it). */
export class PostgresStore implements Store {
  /** The connection pool, shared with cluster-wide helpers such as the login rate limiter. */
  readonly pool: pg.Pool;
  /** Sync versions are transaction-id stamps (db.ts), not a counter. */
  readonly syncVersions = 'xid';
  private closed = false;
  private readonly accounts: PgAccounts;
  private readonly conversations: PgConversations;
  private readonly messages: PgMessages;
  private readonly sync: PgSync;
  private readonly groups: PgGroups;

  private constructor(db: PgDb) {
    this.pool = db.pool;
    this.accounts = new PgAccounts(db);
    this.conversations = new PgConversations(db);
    this.messages = new PgMessages(db, this.conversations);
    this.sync = new PgSync(db, this.conversations);
    this.groups = new PgGroups(db, this.conversations);
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

  createConversation: Store['createConversation'] = (...a) => this.conversations.createConversation(...a);
  openDirect: Store['openDirect'] = (...a) => this.conversations.openDirect(...a);
  getConversationState: Store['getConversationState'] = (...a) => this.conversations.getConversationState(...a);
  getConversationForUser: Store['getConversationForUser'] = (...a) => this.conversations.getConversationForUser(...a);
  activeConversationIds: Store['activeConversationIds'] = (...a) => this.conversations.activeConversationIds(...a);
  changeMembership: Store['changeMembership'] = (...a) => this.conversations.changeMembership(...a);
  changeGroup: Store['changeGroup'] = (...a) => this.groups.changeGroup(...a);
  createInvite: Store['createInvite'] = (...a) => this.groups.createInvite(...a);
  listInvites: Store['listInvites'] = (...a) => this.groups.listInvites(...a);
  revokeInvite: Store['revokeInvite'] = (...a) => this.groups.revokeInvite(...a);
  joinByInvite: Store['joinByInvite'] = (...a) => this.groups.joinByInvite(...a);

  appendMessages: Store['appendMessages'] = (...a) => this.messages.appendMessages(...a);
  getMessages: Store['getMessages'] = (...a) => this.messages.getMessages(...a);

  ackDelivered: Store['ackDelivered'] = (...a) => this.sync.ackDelivered(...a);
  ackDeliveredMany: Store['ackDeliveredMany'] = (...a) => this.sync.ackDeliveredMany(...a);
  markRead: Store['markRead'] = (...a) => this.sync.markRead(...a);
  changesSince: Store['changesSince'] = (...a) => this.sync.changesSince(...a);
}
