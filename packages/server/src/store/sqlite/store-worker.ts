/**
 * The thread behind SqliteWorkerStore: owns the SQLite connection and runs each request to
 * completion in arrival order (better-sqlite3 is synchronous, so requests never interleave).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { NatterError } from '@natter/protocol';
import type { NewConversation } from '../store.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
import { NEEDS_CONVERSATION, WAL_STATE, type WorkerReply, type WorkerRequest } from './worker-protocol.js';

const port = parentPort!;
/** Where the checkpointer asks for the WAL to start over (see checkpointer.ts). */
const { walState } = workerData as { walState?: SharedArrayBuffer };
const state = walState ? new Int32Array(walState) : null;
let store: SqliteStore;
try {
  store = new SqliteStore(workerData as SqliteStoreOptions);
  port.postMessage({ ready: true });
} catch (err) {
  port.postMessage({ ready: false, error: describe(err) });
  process.exit(1);
}

/** How often the queue of edits and recalls the search indexer thread has applied is pruned. */
const PRUNE_SEARCH_CHANGES_MS = 10_000;
if ((workerData as SqliteStoreOptions).searchIndex === 'thread') {
  // Between requests, like the RESTART below: the indexer thread never writes the main file.
  setInterval(() => {
    try {
      store.pruneSearchChanges();
    } catch {
      // Tried again at the next interval.
    }
  }, PRUNE_SEARCH_CHANGES_MS).unref();
}

port.on('message', (req: WorkerRequest) => {
  // Between two requests no transaction is open here, so the RESTART never waits for this
  // thread's own lock, however busy it is; what it copies is the few frames written since the
  // checkpointer's last pass. If it fails (a reader in the way), the checkpointer asks again.
  if (state !== null && Atomics.exchange(state, WAL_STATE.restartAsked, 0) === 1 && req.method !== 'close') {
    try {
      store.restartWal();
      Atomics.add(state, WAL_STATE.storeThreadRestarts, 1);
    } catch {
      // Asked again at the next tick.
    }
  }
  let result: Promise<unknown>;
  try {
    const args: unknown[] = req.args;
    if (req.method === 'openDirect') args[2] = factory(args[2] as NewConversation | null);
    const method = store[req.method] as (...a: unknown[]) => Promise<unknown>;
    result = method.apply(store, args);
  } catch (err) {
    result = Promise.reject(err);
  }
  result.then(
    (value) => port.postMessage({ id: req.id, value } satisfies WorkerReply),
    (err: unknown) => port.postMessage({ id: req.id, error: describe(err) } satisfies WorkerReply),
  );
  if (req.method === 'close') void result.then(() => port.close());
});

/** openDirect's factory: the conversation sent along, or a request for one. */
function factory(conv: NewConversation | null): () => NewConversation {
  return () => {
    if (conv) return conv;
    const err = new Error('the pair has no conversation yet: send one to create');
    err.name = NEEDS_CONVERSATION;
    throw err;
  };
}

function describe(err: unknown): WorkerReply['error'] & object {
  if (err instanceof NatterError) return { name: err.name, message: err.message, natterCode: err.code, details: err.details };
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  return { name: e.name, message: e.message, ...(typeof code === 'string' && { code }) };
}


