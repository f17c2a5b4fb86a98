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
 * wait for the file system's journal behind every fsync. So once PASSIVE passes have copied
 * all but a short tail, the store thread is asked (a flag in shared memory) to run a RESTART
 * checkpoint before its next request: it copies the tail (milliseconds) and the next commit
 * writes from the start of the WAL again, over blocks that already exist. At four ticks a
 * second the WAL holds about a quarter of a second of writes (57–77 MB at the heaviest load
 * measured), near `journal_size_limit` (64 MB), so little is cut back and grown again. (A
 * RESTART from this thread would have to catch the writer's lock free between two
 * transactions, which a store thread busy all the time never leaves it.)
 */
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

interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

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
    // An empty WAL (nothing written since the last restart) has nothing to start over.
    if (r.log > 0) Atomics.store(state, WAL_STATE.restartAsked, 1);
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
