/**
 * The embedded Store as the server uses it: SqliteStore on a thread of its own. better-sqlite3
 * is synchronous, so on the event loop every commit (a batch's WAL pages) and every history
 * page would stall all sockets while it runs; on its own thread the commit of one batch
 * overlaps with reading, validating and delivering the next, and with two cores the storage
 * work no longer shares one with the network. Requests run one at a time in order, exactly as
 * on the event loop; results come back in order. Durability is unchanged: a send is answered
 * after its batch's transaction has committed on the thread.
 */
import { Worker } from 'node:worker_threads';
import { NatterError } from '@natter/protocol';
import type { Store } from '../store.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
import { threadScript } from './thread-script.js';
import { SearchIndexerHost } from './search-indexer-host.js';
import { searchFilePath } from './search-indexer.js';
import { ftsQuery } from '../rules/search.js';
import { NEEDS_CONVERSATION, WAL_STATE, WAL_STATE_BYTES, type StoreMethod, type WorkerReply, type WorkerRequest } from './worker-protocol.js';

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}


export class SqliteWorkerStore implements Store {
  /** One thread runs requests in arrival order. */
  readonly appendsInOrder = true;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | null = null;
  private closing: Promise<void> | null = null;
  private readonly pageSize: number;
  /** The shared buffer's slots (WAL_STATE). */
  private readonly walSlots: Int32Array;
  /** The checkpointer's tick count when last read, and when it was last seen to move. */
  private ticksSeen = -1;
  private ticksMovedAt = Date.now();
  /** Called when the checkpointer thread fails (it is started again a second later). */
  onCheckpointerError: (err: Error) => void = () => {};
  /** Called when a search indexing pass or the indexer thread fails (the thread is started again a second later). */
  onSearchIndexerError: (err: Error) => void = () => {};
  /** Called when a search waited SEARCH_WAIT_MS for the index to catch up and went ahead without (it answers from what is indexed). */
  onSearchIndexBehind: (waitedMs: number) => void = () => {};
  /** Keeps the search index in its own file; none for ':memory:' (the store thread indexes before each search there). */
  private indexer: SearchIndexerHost | null = null;

  private constructor(
    private readonly worker: Worker,
    /** Checkpoints the WAL beside the store's thread; none for ':memory:'. */
    private checkpointer: Worker | null,
    /**
     * A read connection on this thread for the two point reads every new connection makes
     * (its device, its conversations). A round trip to the thread per read kept each
     * connect's objects alive longer than a scavenge: at 15,000 connects the heap's old
     * space grew by 84 MB instead of 46 MB. Reads see every commit whose result has come
     * back (WAL: a reader sees the last committed state). None for ':memory:'.
     */
    private readonly reader: SqliteStore | null,
    /**
     * Shared with the checkpointer and the store thread: where the checkpointer asks for the
     * WAL to start over, and how long the WAL is (WAL_STATE in worker-protocol.ts).
     */
    private readonly walState: SharedArrayBuffer,
  ) {
    this.pageSize = reader?.pageSize() ?? 4096;
    this.walSlots = new Int32Array(walState);
    worker.on('message', (reply: WorkerReply) => this.settle(reply));
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => this.fail(new Error(`SQLite thread exited (${code})`)));
    // The thread keeps the process alive only while a request is outstanding.
    worker.unref();
  }

  /** Starts the thread and opens (and migrates) the database on it. */
  static open(options: SqliteStoreOptions): Promise<SqliteWorkerStore> {
    const inFile = options.path !== ':memory:';
    // A flag the checkpointer sets when the WAL may start over and the store thread clears
    // when it has done so, the WAL's length at the checkpointer's last tick, and how many ticks
    // have run (checkpointer.ts).
    const walState = new SharedArrayBuffer(WAL_STATE_BYTES);
    const worker = new Worker(threadScript('store-worker'), {
      workerData: { ...options, backgroundCheckpoints: inFile, searchIndex: inFile ? 'thread' : 'inline', ...(inFile && { walState }) },
    });
    return new Promise((resolve, reject) => {
      const onFirst = (m: { ready: boolean; error?: WorkerReply['error'] }) => {
        worker.off('error', onError);
        if (!m.ready) {
          reject(revive(m.error!));
          return;
        }
        // Started once the store thread has created and migrated the file.
        // The store does not exist yet when the thread could first fail.
        const made: { store?: SqliteWorkerStore } = {};
        const checkpointer = inFile ? startCheckpointer(options.path, walState, (err) => made.store?.onCheckpointerError(err)) : null;
        let reader: SqliteStore | null = null;
        try {
          reader = inFile ? new SqliteStore({ ...options, backgroundCheckpoints: true, searchIndex: 'thread' }) : null;
        } catch (err) {
          void stopCheckpointer(checkpointer);
          void worker.terminate();
          reject(err as Error);
          return;
        }
        const store = (made.store = new SqliteWorkerStore(worker, checkpointer, reader, walState));
        if (checkpointer) store.keepCheckpointing(checkpointer, options.path);
        // Started once the store thread has made the search file (sqlite-store.ts prepareSearchFile).
        if (inFile) store.indexer = new SearchIndexerHost(options.path, searchFilePath(options.path), (err) => store.onSearchIndexerError(err));
        resolve(store);
      };
      const onError = (err: Error) => {
        worker.off('message', onFirst);
        reject(err);
      };
      worker.once('message', onFirst);
      worker.once('error', onError);
    });
  }

  /**
   * Without checkpoints the WAL would grow for ever (the writer has automatic ones off): a
   * checkpointer that exits other than at close is started again, a second later.
   */
  private keepCheckpointing(w: Worker, path: string): void {
    w.once('exit', () => {
      if (this.closing || this.checkpointer !== w) return;
      setTimeout(() => {
        if (this.closing) return;
        this.checkpointer = startCheckpointer(path, this.walState, (err) => this.onCheckpointerError(err));
        this.keepCheckpointing(this.checkpointer, path);
      }, 1000).unref();
    });
  }

  close(): Promise<void> {
    // The indexer and the checkpointer stop first: the store's connection, closing last,
    // checkpoints what is left and removes the WAL.
    this.closing ??= (this.indexer?.stop() ?? Promise.resolve())
      .then(() => stopCheckpointer(this.checkpointer))
      .then(() => this.reader?.close())
      .then(() => this.call('close', []))
      .then(
        () => undefined,
        () => undefined,
      );
    return this.closing;
  }

  /** RESTART checkpoints the store thread has run since it started (tests; checkpointer.ts). */
  get storeThreadRestarts(): number {
    return Atomics.load(this.walSlots, WAL_STATE.storeThreadRestarts);
  }

  /**
   * Bytes in the WAL since it last started over, as of the checkpointer's last tick (null for
   * ':memory:', which has none). Normally about a quarter of a second of writes; a figure that
   * keeps growing means the WAL cannot start over — a read transaction held open on the
   * database (a backup with VACUUM INTO, an open sqlite3 shell) keeps the frames it may read.
   */
  walBytes(): number | null {
    if (!this.reader) return null;
    const frames = Atomics.load(this.walSlots, WAL_STATE.frames);
    // Each frame is a 24-byte header and one page, after the WAL's 32-byte header.
    return frames === 0 ? 0 : 32 + frames * (24 + this.pageSize);
  }

  /**
   * Seconds since a checkpoint tick last ran to the end, as far as calls to this have seen
   * (the server's WAL watch calls it every second; null for ':memory:'). Four ticks a
   * second normally; a figure that grows means none run — the checkpointer thread keeps failing
   * (the database file moved or deleted, an I/O error) — and the WAL grows until they do.
   */
  checkpointAgeSeconds(now = Date.now()): number | null {
    if (!this.reader) return null;
    const ticks = Atomics.load(this.walSlots, WAL_STATE.ticks);
    if (ticks !== this.ticksSeen) {
      this.ticksSeen = ticks;
      this.ticksMovedAt = now;
    }
    return (now - this.ticksMovedAt) / 1000;
  }

  /**
   * Seconds the store thread has spent running requests (its event loop's active time) since it
   * started: over an interval, the share of a core that storage takes.
   */
  threadBusySeconds(): number {
    return this.failure ? 0 : this.worker.performance.eventLoopUtilization().active / 1000;
  }

  createUser: Store['createUser'] = (...a) => this.call('createUser', a);
  listUsers: Store['listUsers'] = (...a) => this.call('listUsers', a);
  setUserDisabled: Store['setUserDisabled'] = (...a) => this.call('setUserDisabled', a);
  createInvite: Store['createInvite'] = (...a) => this.call('createInvite', a);
  useInvite: Store['useInvite'] = (...a) => this.call('useInvite', a);
  restoreInvite: Store['restoreInvite'] = (...a) => this.call('restoreInvite', a);
  getUser: Store['getUser'] = (...a) => this.call('getUser', a);
  getUserByUsername: Store['getUserByUsername'] = (...a) => this.call('getUserByUsername', a);
  existingUserIds: Store['existingUserIds'] = (...a) => this.call('existingUserIds', a);
  updateProfile: Store['updateProfile'] = (...a) => this.call('updateProfile', a);
  setPasswordHash: Store['setPasswordHash'] = (...a) => this.call('setPasswordHash', a);
  createDevice: Store['createDevice'] = (...a) => this.call('createDevice', a);
  getDevice: Store['getDevice'] = (...a) => (this.reader && !this.closing ? this.reader.getDevice(...a) : this.call('getDevice', a));
  listDevices: Store['listDevices'] = (...a) => this.call('listDevices', a);
  rotateRefresh: Store['rotateRefresh'] = (...a) => this.call('rotateRefresh', a);
  revokeDevice: Store['revokeDevice'] = (...a) => this.call('revokeDevice', a);
  revokeOtherDevices: Store['revokeOtherDevices'] = (...a) => this.call('revokeOtherDevices', a);
  createConversation: Store['createConversation'] = (...a) => this.call('createConversation', a);
  // The factory cannot cross threads: the first request asks without one; only when the pair
  // has no conversation yet is it made here and sent with a second request.
  openDirect: Store['openDirect'] = async (a, b, make) => {
    try {
      return await this.call('openDirect', [a, b, null]);
    } catch (err) {
      if (!(err instanceof Error && err.name === NEEDS_CONVERSATION)) throw err;
      return this.call('openDirect', [a, b, make()]);
    }
  };
  getConversationState: Store['getConversationState'] = (...a) => this.call('getConversationState', a);
  getConversationForUser: Store['getConversationForUser'] = (...a) => this.call('getConversationForUser', a);
  activeConversationIds: Store['activeConversationIds'] = (...a) =>
    this.reader && !this.closing ? this.reader.activeConversationIds(...a) : this.call('activeConversationIds', a);
  changeMembership: Store['changeMembership'] = (...a) => this.call('changeMembership', a);
  changeGroup: Store['changeGroup'] = (...a) => this.call('changeGroup', a);
  createGroupInvite: Store['createGroupInvite'] = (...a) => this.call('createGroupInvite', a);
  listGroupInvites: Store['listGroupInvites'] = (...a) => this.call('listGroupInvites', a);
  revokeGroupInvite: Store['revokeGroupInvite'] = (...a) => this.call('revokeGroupInvite', a);
  joinByInvite: Store['joinByInvite'] = (...a) => this.call('joinByInvite', a);
  applyMessageAction: Store['applyMessageAction'] = (...a) => this.call('applyMessageAction', a);
  hideMessage: Store['hideMessage'] = (...a) => this.call('hideMessage', a);
  unhideMessage: Store['unhideMessage'] = (...a) => this.call('unhideMessage', a);
  appendMessages: Store['appendMessages'] = (...a) => this.call('appendMessages', a);
  getMessages: Store['getMessages'] = (...a) => this.call('getMessages', a);
  ackDelivered: Store['ackDelivered'] = (...a) => this.call('ackDelivered', a);
  ackDeliveredMany: Store['ackDeliveredMany'] = (...a) => this.call('ackDeliveredMany', a);
  markRead: Store['markRead'] = (...a) => this.call('markRead', a);
  changesSince: Store['changesSince'] = (...a) => this.call('changesSince', a);
  setConversationFlags: Store['setConversationFlags'] = (...a) => this.call('setConversationFlags', a);
  receiptCursors: Store['receiptCursors'] = (...a) => this.call('receiptCursors', a);
  getUserSettings: Store['getUserSettings'] = (...a) => this.call('getUserSettings', a);
  updateUserSettings: Store['updateUserSettings'] = (...a) => this.call('updateUserSettings', a);

  // Everything whose send was answered is found: the indexer thread first indexes what is
  // committed now (usually the last quarter of a second's messages). Bounded: a thread down or a
  // large first build must not hang searches, which then answer from what is indexed. Terms too
  // short for the index are checked by scanning, which needs no index.
  searchMessages: Store['searchMessages'] = async (...a) => {
    if (this.indexer && !this.closing && ftsQuery(a[1].terms) !== null) {
      const started = Date.now();
      if (!(await this.indexer.catchUp(SEARCH_WAIT_MS))) this.onSearchIndexBehind(Date.now() - started);
    }
    return this.call('searchMessages', a);
  };
  searchUsers: Store['searchUsers'] = (...a) => this.call('searchUsers', a);
  sendFriendRequest: Store['sendFriendRequest'] = (...a) => this.call('sendFriendRequest', a);
  acceptFriendRequest: Store['acceptFriendRequest'] = (...a) => this.call('acceptFriendRequest', a);
  deleteFriendRequest: Store['deleteFriendRequest'] = (...a) => this.call('deleteFriendRequest', a);
  removeFriend: Store['removeFriend'] = (...a) => this.call('removeFriend', a);
  listFriends: Store['listFriends'] = (...a) => this.call('listFriends', a);
  listFriendRequests: Store['listFriendRequests'] = (...a) => this.call('listFriendRequests', a);
  blockUser: Store['blockUser'] = (...a) => this.call('blockUser', a);
  unblockUser: Store['unblockUser'] = (...a) => this.call('unblockUser', a);
  listBlocks: Store['listBlocks'] = (...a) => this.call('listBlocks', a);
  relations: Store['relations'] = (...a) => this.call('relations', a);
  getPresenceVisible: Store['getPresenceVisible'] = (...a) => this.call('getPresenceVisible', a);
  setPresenceVisible: Store['setPresenceVisible'] = (...a) => this.call('setPresenceVisible', a);
  presencePeers: Store['presencePeers'] = (...a) => this.call('presencePeers', a);
  presenceAudience: Store['presenceAudience'] = (...a) => this.call('presenceAudience', a);
  createRoom: Store['createRoom'] = (...a) => this.call('createRoom', a);
  getRoom: Store['getRoom'] = (...a) => this.call('getRoom', a);
  updateRoom: Store['updateRoom'] = (...a) => this.call('updateRoom', a);
  createBroadcast: Store['createBroadcast'] = (...a) => this.call('createBroadcast', a);
  takeBroadcasts: Store['takeBroadcasts'] = (...a) => this.call('takeBroadcasts', a);
  readBroadcasts: Store['readBroadcasts'] = (...a) => this.call('readBroadcasts', a);
  createUpload: Store['createUpload'] = (...a) => this.call('createUpload', a);
  getBlob: Store['getBlob'] = (...a) => this.call('getBlob', a);
  advanceUpload: Store['advanceUpload'] = (...a) => this.call('advanceUpload', a);
  completeUpload: Store['completeUpload'] = (...a) => this.call('completeUpload', a);
  deleteBlob: Store['deleteBlob'] = (...a) => this.call('deleteBlob', a);
  attachBlob: Store['attachBlob'] = (...a) => this.call('attachBlob', a);
  addBlobRef: Store['addBlobRef'] = (...a) => this.call('addBlobRef', a);
  recallBlobRefs: Store['recallBlobRefs'] = (...a) => this.call('recallBlobRefs', a);
  readableBlob: Store['readableBlob'] = (...a) => this.call('readableBlob', a);
  claimGarbage: Store['claimGarbage'] = (...a) => this.call('claimGarbage', a);

  private call<T>(method: StoreMethod, args: unknown[]): Promise<T> {
    if (this.failure) return Promise.reject(unavailable(this.failure));
    if (this.closing && method !== 'close') return Promise.reject(new Error('store is closed'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, method, args } satisfies WorkerRequest);
    });
  }

  private settle(reply: WorkerReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.error) p.reject(revive(reply.error));
    else p.resolve(reply.value);
  }

  /** The thread is gone (it never is by itself): whatever waits on it fails as `unavailable`. */
  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = this.closing ? new Error('store is closed') : err;
    for (const p of this.pending.values()) p.reject(this.closing ? this.failure : unavailable(err));
    this.pending.clear();
  }
}

/** How long a search waits at most for the search index to catch up. */
const SEARCH_WAIT_MS = 2000;

/**
 * How often the WAL is copied into the database and started over (checkpointer.ts). Each tick
 * fsyncs the WAL and the database file; at this rate the WAL holds about a quarter of a second
 * of writes (57–77 MB at the heaviest load measured, the direct benchmark), so it stays near
 * `journal_size_limit` (64 MB) and its blocks are mostly overwritten rather than allocated
 * again. (Before the RESTART step, a second between checkpoints was better for latency: four a
 * second stalled a WAL that grew without end, whose appends all allocated blocks.)
 */
const CHECKPOINT_INTERVAL_MS = 250;

function startCheckpointer(path: string, walState: SharedArrayBuffer, onError: (err: Error) => void): Worker {
  const w = new Worker(threadScript('checkpointer'), { workerData: { path, intervalMs: CHECKPOINT_INTERVAL_MS, walState } });
  // 'exit' follows; keepCheckpointing starts another.
  w.on('error', onError);
  w.unref();
  return w;
}

function stopCheckpointer(w: Worker | null): Promise<void> {
  if (!w) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => resolve();
    w.once('exit', done);
    w.once('message', done);
    // Kept alive until it has stopped (it is unref'd while it runs): else a script whose last
    // step is close() could end before the store thread has closed the database.
    w.ref();
    w.postMessage('stop');
    // A checkpoint in progress finishes first; a stuck one is not worth hanging shutdown for.
    setTimeout(() => void w.terminate().then(done, done), 5000).unref();
  });
}

function unavailable(err: Error): NatterError {
  return new NatterError('unavailable', 'storage is unavailable', undefined, { cause: err });
}

/** The thread's error, rebuilt with the same name, message and codes. */
function revive(e: NonNullable<WorkerReply['error']>): Error {
  if (e.natterCode !== undefined) return new NatterError(e.natterCode, e.message, e.details);
  const err = new Error(e.message);
  err.name = e.name;
  if (e.code !== undefined) (err as Error & { code: string }).code = e.code;
  return err;
}
