/**
 * The SQLite store's message-search index, kept apart from the messages (docs/search.md, issue
 * 17): an FTS5 `trigram` table in a database file of its own beside the main one
 * (`<path>-search`), filled after the fact from the messages' rowids. Indexing a message inside
 * the send's transaction cost the store thread ~47 µs per message and ~20 WAL pages per commit;
 * here it is done in batches by another thread (search-indexer-thread.ts) that never takes the
 * messages' write lock, or — without that thread (':memory:', tests, tools) — on the store's own
 * connection just before a search (`catchUp`).
 *
 * Two watermarks in the search file say what is indexed: `indexed_rowid`, every message row up
 * to it; `applied_change`, every entry of the main database's `search_changes` queue up to it (an
 * edit, a recall or a delete recorded by a trigger, migration 16). Both move in the same
 * transaction as the index rows they cover, so a crash never loses or doubles an entry. Rowids
 * grow in commit order (one writer), so "after the watermark" is exactly "not indexed yet".
 */
import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import DatabaseCtor from 'better-sqlite3';
import type Database from 'better-sqlite3';

/** The search file of the main database at `path` (SQLite adds its own `-wal` and `-shm`). */
export const searchFilePath = (path: string): string => (path === ':memory:' ? ':memory:' : `${path}-search`);

/** The searched text of a `messages` row `r` (rules/search.ts searchableText), in SQL. */
export const searchedText = (r: string): string =>
  `CASE ${r}.type WHEN 'text' THEN json_extract(${r}.body, '$.text') WHEN 'image' THEN json_extract(${r}.body, '$.caption') ` +
  `WHEN 'file' THEN json_extract(${r}.body, '$.caption') WHEN 'voice' THEN json_extract(${r}.body, '$.caption') ` +
  `WHEN 'video' THEN json_extract(${r}.body, '$.caption') END`;

/**
 * The index's table. `detail=none` keeps only which rows hold a trigram (no positions): half the
 * cost of the full table per message (bench/src/micro/search-index.ts). Phrases are then refused,
 * so a term is searched as the AND of its trigrams (rules/search.ts ftsQuery) and checked with
 * LIKE on the message itself. Contentless: the text stays in `messages` only; rows are removed
 * by rowid (`contentless_delete`).
 */
export const SEARCH_FTS_OPTIONS = `text, tokenize = 'trigram', detail = none, content = '', contentless_delete = 1`;

/** Creates the search file's tables in `schema` (the file's schema name on that connection) when missing. */
export function ensureSearchSchema(db: Database.Database, schema: string): void {
  const has = db.prepare(`SELECT 1 FROM ${schema}.sqlite_master WHERE name = 'search_state'`).get();
  if (has !== undefined) return;
  db.pragma(`${schema}.journal_mode = WAL`);
  db.exec(`
CREATE VIRTUAL TABLE IF NOT EXISTS ${schema}.search_fts USING fts5(${SEARCH_FTS_OPTIONS});
CREATE TABLE IF NOT EXISTS ${schema}.search_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  indexed_rowid INTEGER NOT NULL,
  applied_change INTEGER NOT NULL
) STRICT;
INSERT OR IGNORE INTO ${schema}.search_state VALUES (1, 0, 0);`);
}

/**
 * Runs `open` on the search file of the main database at `path`, made first when missing. A
 * file that is no database, or a damaged one, is only an index: it is deleted and made again
 * (then rebuilt from the messages) rather than stop the store. `undo` cleans up after a failure.
 */
function withSearchFile(path: string, open: (file: string) => void, undo: () => void = () => {}): void {
  const file = searchFilePath(path);
  const make = () => {
    if (file !== ':memory:' && !existsSync(file)) {
      // With the database file's mode, as SQLite makes its -wal and -shm: it holds every message's trigrams.
      writeFileSync(file, '', { mode: statSync(path).mode & 0o777, flag: 'a' });
    }
    open(file);
  };
  try {
    make();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (file === ':memory:' || (code !== 'SQLITE_NOTADB' && code !== 'SQLITE_CORRUPT')) throw err;
    undo();
    for (const f of ['', '-wal', '-shm']) rmSync(`${file}${f}`, { force: true });
    make();
  }
}

/**
 * Attaches the search file to the connection `db` on the main database as `search`, with its
 * tables: where the same connection indexes and searches (`inline`). Not on a connection that
 * writes while the indexer thread runs: its BEGIN IMMEDIATE would take the search file's write
 * lock too, and sends would wait for indexing.
 */
export function attachSearchFile(db: Database.Database, path: string): void {
  withSearchFile(
    path,
    (file) => {
      db.prepare(`ATTACH DATABASE ? AS search`).run(file);
      db.pragma(`search.synchronous = NORMAL`);
      ensureSearchSchema(db, 'search');
    },
    () => {
      try {
        db.exec(`DETACH DATABASE search`);
      } catch {
        // Never attached.
      }
    },
  );
}

/** Makes the search file and its tables when missing, for the indexer thread to open. */
export function prepareSearchFile(path: string): void {
  withSearchFile(path, (file) => {
    const db = new DatabaseCtor(file);
    try {
      ensureSearchSchema(db, 'main');
    } finally {
      db.close();
    }
  });
}

/**
 * A read-only connection on the main database with the search file attached (read-only too):
 * where searches run beside a store whose index the indexer thread keeps. It never holds a
 * write lock, so neither the sends nor the indexer ever wait for it.
 */
export function openSearchReader(path: string, busyTimeoutMs: number): Database.Database {
  const db = new DatabaseCtor(path, { readonly: true, fileMustExist: true });
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  db.prepare(`ATTACH DATABASE ? AS search`).run(searchFilePath(path));
  return db;
}

interface Marks {
  indexed_rowid: number;
  applied_change: number;
}

/** What is committed in the main database at one moment: caught up once both marks reach it. */
export interface IndexTarget {
  rowid: number;
  change: number;
}

/** Rows read per pass at most. */
const PASS_ROWS = 2000;
/** A pass stops adding rows after this long, so that it holds its thread (and the search file's lock) briefly. */
const PASS_MS = 10;

export class SearchIndexer {
  private readonly marks: Database.Statement<[], Marks>;
  private readonly setMarks: Database.Statement<Marks>;
  private readonly maxRowid: Database.Statement<[], { n: number | null }>;
  private readonly maxChange: Database.Statement<[], { n: number | null }>;
  private readonly changes: Database.Statement<{ after: number; take: number }, { id: number; message_rowid: number }>;
  private readonly textOf: Database.Statement<[number], { t: unknown }>;
  private readonly newRows: Database.Statement<{ after: number; take: number }, { r: number; t: unknown }>;
  private readonly insert: Database.Statement<[number, string]>;
  private readonly remove: Database.Statement<[number]>;
  private readonly clear: Database.Statement<[]>;

  /**
   * `source` reads the main database (its `messages` and `search_changes` as `main`); `target`
   * writes the search file, attached there as `schema`. The same connection for both when run
   * inline; two (a read-only one on the main file) on the indexer thread.
   */
  constructor(
    private readonly source: Database.Database,
    private readonly target: Database.Database,
    schema: string,
    private readonly passMs = PASS_MS,
  ) {
    ensureSearchSchema(target, schema);
    this.marks = target.prepare(`SELECT indexed_rowid, applied_change FROM ${schema}.search_state WHERE id = 1`);
    this.setMarks = target.prepare(`UPDATE ${schema}.search_state SET indexed_rowid = @indexed_rowid, applied_change = @applied_change WHERE id = 1`);
    this.insert = target.prepare(`INSERT INTO ${schema}.search_fts (rowid, text) VALUES (?, ?)`);
    this.remove = target.prepare(`DELETE FROM ${schema}.search_fts WHERE rowid = ?`);
    this.clear = target.prepare(`INSERT INTO ${schema}.search_fts (search_fts) VALUES ('delete-all')`);
    this.maxRowid = source.prepare(`SELECT max(rowid) AS n FROM main.messages`);
    // The queue's AUTOINCREMENT counter: never goes back when the queue is pruned.
    this.maxChange = source.prepare(`SELECT seq AS n FROM main.sqlite_sequence WHERE name = 'search_changes'`);
    this.changes = source.prepare(`SELECT id, message_rowid FROM main.search_changes WHERE id > @after ORDER BY id LIMIT @take`);
    this.textOf = source.prepare(`SELECT ${searchedText('m')} AS t FROM main.messages m WHERE m.rowid = ?`);
    this.newRows = source.prepare(`SELECT m.rowid AS r, ${searchedText('m')} AS t FROM main.messages m WHERE m.rowid > @after ORDER BY m.rowid LIMIT @take`);
  }

  /** What is committed in the main database now. */
  committed(): IndexTarget {
    return this.source.transaction(() => ({ rowid: this.maxRowid.get()?.n ?? 0, change: this.maxChange.get()?.n ?? 0 }))();
  }

  /** Whether the index covers `t`. */
  covers(t: IndexTarget): boolean {
    const m = this.marks.get()!;
    return m.indexed_rowid >= t.rowid && m.applied_change >= t.change;
  }

  /**
   * Starts the index over when it cannot belong to this main database as it is: its watermarks
   * lie beyond what the database ever held (a backup restored, a file copied from elsewhere).
   * Returns whether it did.
   */
  resetIfStale(): boolean {
    const now = this.committed();
    const m = this.marks.get()!;
    if (m.indexed_rowid <= now.rowid && m.applied_change <= now.change) return false;
    this.target.transaction(() => {
      this.clear.run();
      // The rebuild reads every row as it is from here on: no earlier change is left to apply.
      this.setMarks.run({ indexed_rowid: 0, applied_change: now.change });
    }).immediate();
    return true;
  }

  /**
   * One transaction's worth: the queued changes after the change watermark, then new rows after
   * the rowid watermark, read in one snapshot of the main database (so a change committed later
   * has a later id) and written in one transaction of the search file. Returns false when
   * nothing was left to do.
   */
  pass(): boolean {
    const before = this.marks.get()!;
    const read = this.source.transaction(() => {
      const changes = this.changes.all({ after: before.applied_change, take: PASS_ROWS });
      // A changed row past the rowid watermark is read with the new rows, as it is now.
      const changed = new Map<number, unknown>();
      for (const c of changes) if (c.message_rowid <= before.indexed_rowid && !changed.has(c.message_rowid)) changed.set(c.message_rowid, this.textOf.get(c.message_rowid)?.t);
      return { lastChange: changes.at(-1)?.id ?? before.applied_change, changed, rows: this.newRows.all({ after: before.indexed_rowid, take: PASS_ROWS }) };
    })();
    if (read.rows.length === 0 && read.lastChange === before.applied_change) return false;
    this.target.transaction(() => {
      // Another indexer on the same file moved first: what was read may be indexed already.
      const now = this.marks.get()!;
      if (now.indexed_rowid !== before.indexed_rowid || now.applied_change !== before.applied_change) return;
      for (const [rowid, text] of read.changed) {
        this.remove.run(rowid);
        if (typeof text === 'string' && text !== '') this.insert.run(rowid, text);
      }
      const started = performance.now();
      let last = before.indexed_rowid;
      for (const row of read.rows) {
        if (typeof row.t === 'string' && row.t !== '') this.insert.run(row.r, row.t);
        last = row.r;
        if (performance.now() - started >= this.passMs) break;
      }
      this.setMarks.run({ indexed_rowid: last, applied_change: read.lastChange });
    }).immediate();
    return true;
  }

  /** Indexes everything committed now, pass after pass, without yielding (the inline indexer, before a search). */
  catchUp(): void {
    const t = this.committed();
    while (!this.covers(t) && this.pass());
  }

  /** The change watermark: queue entries up to it may be pruned from the main database. */
  appliedChange(): number {
    return this.marks.get()!.applied_change;
  }
}

/** Migration 16: the index leaves the main database; edits, recalls and deletes are queued for it. */
export const SEARCH_QUEUE_MIGRATION_SQL = `
DROP TRIGGER IF EXISTS messages_fts_insert;
DROP TRIGGER IF EXISTS messages_fts_update;
DROP TRIGGER IF EXISTS messages_fts_delete;
DROP TABLE IF EXISTS messages_fts;
CREATE TABLE search_changes (id INTEGER PRIMARY KEY AUTOINCREMENT, message_rowid INTEGER NOT NULL);
CREATE TRIGGER search_changes_update AFTER UPDATE OF type, body ON messages
  WHEN old.type IS NOT new.type OR old.body IS NOT new.body BEGIN
  INSERT INTO search_changes (message_rowid) VALUES (old.rowid);
END;
CREATE TRIGGER search_changes_delete AFTER DELETE ON messages BEGIN
  INSERT INTO search_changes (message_rowid) VALUES (old.rowid);
END;
`;
