/**
 * The thread that keeps the message-search index (search-indexer.ts) beside SqliteWorkerStore:
 * it reads new and changed messages on a read-only connection of its own (a WAL reader never
 * blocks the writer) and writes the index into the search file, so neither the send's
 * transaction nor the store thread does any indexing. It indexes what is committed every
 * `intervalMs`, and at once when asked (`{ catchUp: id }`, before a search): it answers
 * `{ caughtUp: id }` once the index covers everything committed when the request arrived. One
 * transaction at a time, with a turn of the event loop between them, so a request is never
 * stuck behind a long rebuild's next batch.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { SearchIndexer, type IndexTarget } from './search-indexer.js';

const { path, searchPath, intervalMs } = workerData as { path: string; searchPath: string; intervalMs: number };
const port = parentPort!;
// Never create either file: the store thread has made both (and migrated the main one); failing
// to open ends this thread, which is started again a second later.
const source = new Database(path, { readonly: true, fileMustExist: true });
const target = new Database(searchPath, { fileMustExist: true });
for (const db of [source, target]) db.pragma('busy_timeout = 5000');
// The index can always be rebuilt from the messages: a power cut may lose its last batches (the
// watermark goes back with them), never make it wrong.
target.pragma('synchronous = NORMAL');
const indexer = new SearchIndexer(source, target, 'main');
indexer.resetIfStale();

/** Catch-up requests waiting, with what was committed when each arrived. */
const waiting: { id: number; target: IndexTarget }[] = [];
let running = false;
let stopped = false;

function answer(): void {
  for (let i = waiting.length - 1; i >= 0; i--) {
    const w = waiting[i]!;
    if (!indexer.covers(w.target)) continue;
    waiting.splice(i, 1);
    port.postMessage({ caughtUp: w.id });
  }
}

/**
 * Passes until nothing is left, one per turn of the event loop. With no search waiting (a large
 * backlog: the first build after an upgrade) each pass is followed by a pause as long as it took,
 * so the build takes half a core at most from the store thread and the event loop beside it.
 */
function work(): void {
  if (stopped) return;
  let more: boolean;
  const started = performance.now();
  try {
    more = indexer.pass();
    answer();
  } catch (err) {
    // Busy past the timeout, or the disk: the next tick tries again; a search waits its bound.
    running = false;
    port.postMessage({ failed: err instanceof Error ? err.message : String(err) });
    return;
  }
  if (!more) running = false;
  else if (waiting.length > 0) setImmediate(work);
  else setTimeout(work, performance.now() - started);
}

function kick(): void {
  if (running || stopped) return;
  running = true;
  setImmediate(work);
}

const timer = setInterval(kick, intervalMs);
kick();

port.on('message', (m: { catchUp?: number; stop?: true }) => {
  if (m.catchUp !== undefined) {
    try {
      waiting.push({ id: m.catchUp, target: indexer.committed() });
    } catch {
      // Unreadable now: the searcher's bound ends its wait.
      return;
    }
    answer();
    kick();
    return;
  }
  if (m.stop) {
    stopped = true;
    clearInterval(timer);
    source.close();
    target.close();
    port.postMessage({ stopped: true });
    port.close();
  }
});
