/**
 * DATA_DIR and the SQLite file are private to the server: the database holds password hashes
 * and every message, the directory the JWT signing secret. A fresh directory is made 0700 and a
 * fresh database file 0600 (SQLite gives its -wal and -shm files the database file's mode). An
 * existing directory or file that others may read is left as the operator made it, with a
 * warning that says how to close it.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from './log.js';

/** Makes `dir` (and missing parents) 0700 if missing; warns when an existing one is open to others. */
export function prepareDataDir(dir: string, logger?: Logger): void {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return;
  }
  warnIfOpen(dir, 'DATA_DIR', 'chmod 700', logger);
}

/** Creates an empty database file 0600 before SQLite opens it (SQLite would use 0644). */
export function prepareDatabaseFile(path: string, logger?: Logger): void {
  if (existsSync(path)) {
    warnIfOpen(path, 'the database file', 'chmod 600', logger);
    return;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // An empty file is a valid new SQLite database.
  writeFileSync(path, '', { mode: 0o600, flag: 'wx' });
}

function warnIfOpen(path: string, what: string, fix: string, logger?: Logger): void {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    logger?.warn(
      { path, mode: mode.toString(8) },
      `${what} can be read by other users of this machine; run: ${fix} ${path}`,
    );
  }
}
