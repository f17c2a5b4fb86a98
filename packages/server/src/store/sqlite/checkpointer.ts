/**
 * A thread that copies the WAL into the database file on a connection of its own, four times
 * a second. With SQLite's automatic checkpoints the writer does that copy — and its fsync —
 * inside a commit once the WAL passes a size, and every send waiting on that commit waits for
 * the disk too; a PASSIVE checkpoint elsewhere never blocks the writer.
 *
 * But PASSIVE alone never lets the WAL start over while sends keep coming: the writer goes back
 * to the WAL's beginning only once a checkpoint has copied every frame, and under a steady load
 * new frames arrive while the copy runs. The WAL then grew without end (2.9 GB after 13 s of
 * the direct benchmark), and every append extended the file: the kernel zeroing and
 * allocating new blocks was 44 % of the store thread's time, and appends that allocate blocks
 * wait for the file system's journal behind every fsync. A pass that copies every frame is
 * enough: the writer's next commit then starts the WAL over by itself. When the passes keep
 * leaving a tail (a writer that never pauses), the store thread is asked (a flag in shared
 * memory) to run a RESTART checkpoint before its next request: it copies the tail and the next
 * commit writes from the start of the WAL again, over blocks that already exist — but it
 * fsyncs while the sends wait, so it is the fallback, not the rule. At four ticks a
 * second the WAL holds about a quarter of a second of writes (57–77 MB at the heaviest load
 * measured), near `journal_size_limit` (64 MB), so little is cut back and grown again. (A
 * RESTART from this thread would have to catch the writer's lock free between two
 * transactions, which a store thread busy all the time never leaves it.)
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { WAL_STATE } from './worker-protocol.js';

const { path, intervalMs, walState } = workerData as { path: string; intervalMs: number; walState: SharedArrayBuffer };
const state = new Int32Array(walState);
const port = parentPort!;
// Never create a file: an empty database at a moved or deleted path would checkpoint happily
// while the real WAL grows. Failing to open makes this thread exit and be started again.
const db = new Database(path, { fileMustExist: true });
db.pragma('busy_timeout = 5000');

/** A PASSIVE pass this short leaves a tail that a RESTART copies in a few milliseconds. */
const SHORT_PASS_MS = 5;
/** PASSIVE passes per tick at most, however long the last one took. */
const MAX_PASSIVE_PASSES = 4;
/** Short passes tried after those when the last left frames behind, before asking for a RESTART. */
const EXTRA_SHORT_PASSES = 2;

interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

/**
 * The WAL header's checkpoint sequence number, which goes up each time the WAL starts over
 * (whoever restarted it); -1 when there is no WAL to read.
 */
function walGeneration(): number {
  let fd: number | null = null;
  try {
    fd = openSync(`${path}-wal`, 'r');
    const b = Buffer.alloc(4);
    return readSync(fd, b, 0, 4, 12) === 4 ? b.readUInt32BE(0) : -1;
  } catch {
    return -1;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** The WAL's generation at the last tick, and whether that tick's passes copied every frame. */
let lastGeneration = -1;
let completeLastTick = false;

function passive(): CheckpointResult {
  return (db.pragma('wal_checkpoint(PASSIVE)') as CheckpointResult[])[0]!;
}

function tick(): void {
  try {
    // Each pass copies what the writer appended during the one before, so passes shrink until
    // one is short; the store thread's RESTART then has only the last few frames to copy.
    let r: CheckpointResult;
    let passes = 0;
    let took: number;
    do {
      const t0 = performance.now();
      r = passive();
      took = performance.now() - t0;
    } while (++passes < MAX_PASSIVE_PASSES && took >= SHORT_PASS_MS);
    // For the natter_sqlite_wal_bytes metric: a WAL that stays long means it cannot start over.
    // (-1 when another checkpoint held the lock: nothing learnt.)
    if (r.log >= 0) Atomics.store(state, WAL_STATE.frames, r.log);
    // A pass that copied every frame needs nothing more: the writer's next transaction starts
    // the WAL over by itself (SQLite does when no frame is left to copy), at no cost to it. The
    // store thread's RESTART copies the tail and fsyncs both files while every send waits (one to
    // three fsyncs of up to ~10 ms each, four times a second, measured with strace: a source of
    // the sends' tail), so it is asked for when the passes left a tail, or when a whole copy was
    // not followed by a restart within a tick (a writer always inside a transaction when one
    // finishes: SQLite restarts only in a transaction begun after the copy was whole). At a
    // steady moderate load the writer leaves gaps, so a short pass or two usually finish.
    for (let extra = 0; r.log > 0 && r.checkpointed < r.log && extra < EXTRA_SHORT_PASSES && took < SHORT_PASS_MS; extra++) {
      const t0 = performance.now();
      r = passive();
      took = performance.now() - t0;
    }
    const complete = r.log >= 0 && r.checkpointed === r.log;
    const generation = walGeneration();
    const startedOver = generation !== lastGeneration;
    // An empty WAL (nothing written since the last restart) has nothing to start over. A tail
    // left behind asks for the RESTART at once, as before (a writer that never pauses keeps the
    // WAL at a quarter of a second of writes); a whole copy gives the writer one tick to start
    // over by itself, and asks only if it did not.
    const ask = r.log > 0 && (complete ? !startedOver && completeLastTick : true);
    if (ask) Atomics.store(state, WAL_STATE.restartAsked, 1);
    lastGeneration = generation;
    completeLastTick = complete;
    Atomics.add(state, WAL_STATE.ticks, 1);
  } catch {
    // Busy or briefly locked: the next tick tries again. (An error that persists leaves the
    // tick count still, which the main thread reports: natter_sqlite_checkpoint_age_seconds.)
  }
}

const timer = setInterval(tick, intervalMs);

port.on('message', (m: unknown) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  db.close();
  port.postMessage('stopped');
  port.close();
});
