/**
 * A thread that copies the WAL into the database file (PASSIVE checkpoints, once a
 * second) on a connection of its own. With SQLite's automatic checkpoints the writer does that
 * copy — and its fsync — inside a commit once the WAL passes a size, and every send waiting on
 * that commit waits for the disk too; a PASSIVE checkpoint elsewhere never blocks the writer.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, intervalMs } = workerData as { path: string; intervalMs: number };
const port = parentPort!;
const db = new Database(path);
db.pragma('busy_timeout = 5000');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or briefly locked: the next tick tries again.
  }
}, intervalMs);

port.on('message', (m: unknown) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  db.close();
  port.postMessage('stopped');
  port.close();
});
