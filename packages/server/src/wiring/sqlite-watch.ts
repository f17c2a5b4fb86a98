/**
 * Watches an SQLite store for what would otherwise fill the disk unseen: a WAL that keeps
 * growing, checkpoints that stopped, and the checkpointer's and the search indexer's failures.
 * Also the gauges the metrics read from it.
 */
import type { Logger } from '../log.js';
import { SqliteWorkerStore } from '../store/sqlite/worker-store.js';
import type { Store } from '../store/store.js';

/** A WAL this long has not started over for many seconds of heavy writes, or minutes of light ones. */
const WAL_WARN_BYTES = 1024 ** 3;
/** How often the WAL's length is looked at, and how often at most the warning is repeated. */
const WAL_WATCH_MS = 1000;
const WAL_WARN_EVERY_MS = 60_000;

/** Checkpoints run four times a second; this long without one is a fault, not a busy moment. */
const CHECKPOINT_STALL_MS = 10_000;

/**
 * Warns when the SQLite WAL keeps growing: it starts over four times a second, unless a read
 * transaction held open on the database keeps the frames it may still read. The disk then fills
 * at the rate of writes until that reader ends. Also logs when checkpoints stop altogether (the
 * checkpointer thread failing again and again) and each failure of that thread, at most once a
 * minute each: nothing else would tell an operator before the disk is full. Likewise the search
 * indexer's failures, and searches that stopped waiting for it.
 */
export function watchWal(store: SqliteWorkerStore, warnBytes: number, stallMs: number, logger: Logger): NodeJS.Timeout {
  const lastLogged = { wal: 0, stall: 0, thread: 0, indexer: 0, behind: 0 };
  const due = (what: keyof typeof lastLogged) => {
    if (Date.now() - lastLogged[what] < WAL_WARN_EVERY_MS) return false;
    lastLogged[what] = Date.now();
    return true;
  };
  store.onCheckpointerError = (err) => {
    if (due('thread')) logger.error({ err }, 'the SQLite checkpointer thread failed; it is started again in a second');
  };
  // The search indexer's too (docs/search.md): searches then answer from what is indexed.
  store.onSearchIndexerError = (err) => {
    if (due('indexer')) logger.error({ err }, 'SQLite search indexing failed; it is tried again (the thread, if it died, in a second)');
  };
  store.onSearchIndexBehind = (waitedMs) => {
    if (due('behind')) logger.warn({ waitedMs }, 'a search waited for the search index to catch up and went ahead without: recent messages may be missing from its results');
  };
  let before = 0;
  const timer = setInterval(() => {
    const walBytes = store.walBytes() ?? 0;
    const checkpointAgeS = store.checkpointAgeSeconds() ?? 0;
    if (checkpointAgeS * 1000 >= stallMs && due('stall')) {
      logger.error({ checkpointAgeS, walBytes }, 'SQLite checkpoints have stopped: the WAL grows with every write until they run again');
    }
    // Still growing: once the reader has gone the length stays put until the next write starts
    // the WAL over, and that is no reason to warn.
    const growing = walBytes > before;
    before = walBytes;
    if (walBytes < warnBytes || !growing || !due('wal')) return;
    logger.warn(
      { walBytes },
      'the SQLite WAL is not starting over: a read transaction held open on the database (a backup with VACUUM INTO, an open sqlite3 shell) keeps it growing until that reader ends',
    );
  }, WAL_WATCH_MS);
  timer.unref();
  return timer;
}

/** The store when it is SQLite on its own thread with a WAL (what watchWal and the WAL gauges need), else null. */
export function walStore(store: Store): SqliteWorkerStore | null {
  return store instanceof SqliteWorkerStore && store.walBytes() !== null ? store : null;
}

/** The WAL's gauges for Metrics. */
export function walGauges(wal: SqliteWorkerStore) {
  return { walBytes: () => wal.walBytes() ?? 0, checkpointAgeSeconds: () => wal.checkpointAgeSeconds() ?? 0, threadBusySeconds: () => wal.threadBusySeconds() };
}

/** Starts watchWal with the NatterDeps' thresholds, or the defaults above. */
export function watchWalWithDefaults(wal: SqliteWorkerStore, options: { walWarnBytes?: number; checkpointStallMs?: number }, logger: Logger): NodeJS.Timeout {
  return watchWal(wal, options.walWarnBytes ?? WAL_WARN_BYTES, options.checkpointStallMs ?? CHECKPOINT_STALL_MS, logger);
}
