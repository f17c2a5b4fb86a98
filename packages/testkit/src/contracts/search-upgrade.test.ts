/**
 * Upgrading to message search (SQLite migration 14, PostgreSQL migration 15) makes messages
 * stored before searchable; and the index follows later changes of a stored body (an edit or a
 * recall rewrites the row: the old text is no longer found, the new one is), with no help from
 * the write path (SQLite: a queue filled by triggers, applied by the indexer; PostgreSQL: an
 * index on an expression). SQLite migration 16 moves the index out of the main database into a
 * file of its own (`<db>-search`), built from the messages by the indexer.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresStore, SqliteStore, SqliteWorkerStore, type Store } from '@natter/server';

const PG_URL = process.env.NATTER_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const texts = async (store: Store, userId: string, query: string) =>
  (await store.searchMessages(userId, { terms: query.split(' '), limit: 10 })).messages.map((m) => (m.body as { text: string }).text);

/** Users, a conversation and messages as an older release stored them. */
async function before(store: Store): Promise<void> {
  for (const id of ['u1', 'u2']) await store.createUser({ id, username: id, passwordHash: null, displayName: null, avatarUrl: null, createdAt: 1 });
  await store.openDirect('u1', 'u2', () => ({
    id: 'c1',
    kind: 'direct',
    title: null,
    createdBy: 'u1',
    members: [
      { userId: 'u1', role: 'member' },
      { userId: 'u2', role: 'member' },
    ],
    createdMessageId: 'm1',
    createdAt: 2,
  }));
  const send = (id: string, text: string, createdAt: number) =>
    ({ id, conversationId: 'c1', senderId: 'u1', type: 'text' as const, body: JSON.stringify({ text }), clientMsgId: `k${id}`, replyTo: null, createdAt });
  await store.appendMessages([send('m2', 'Lunch at the noodle bar?', 3), send('m3', '我们去吃面条吧', 4)]);
}

async function after(store: Store): Promise<void> {
  expect(await texts(store, 'u2', 'noodle')).toEqual(['Lunch at the noodle bar?']);
  expect(await texts(store, 'u2', '吃面条')).toEqual(['我们去吃面条吧']);
  expect(await texts(store, 'u2', '面条')).toEqual(['我们去吃面条吧']);
}

/** A body rewritten in place, as an edit or a recall does. */
const EDIT = `UPDATE messages SET body = '{"text":"Dinner at the dumpling house"}' WHERE id = 'm2'`;
const RECALL = `UPDATE messages SET body = '{}' WHERE id = 'm3'`;

async function afterEdit(store: Store): Promise<void> {
  expect(await texts(store, 'u2', 'noodle')).toEqual([]);
  expect(await texts(store, 'u2', 'dumpling')).toEqual(['Dinner at the dumpling house']);
  expect(await texts(store, 'u2', '面条')).toEqual([]);
  expect(await texts(store, 'u2', '吃面条')).toEqual([]);
}

/** Undoes migration 16 (the search file and the change queue), as a release before it left a database. */
function undoMigration16(path: string): void {
  const raw = new Database(path);
  raw.exec(`DROP TRIGGER search_changes_update; DROP TRIGGER search_changes_delete; DROP TABLE search_changes;
    DELETE FROM schema_migrations WHERE version = 16;`);
  raw.close();
  for (const f of ['', '-wal', '-shm']) rmSync(`${path}-search${f}`, { force: true });
}

/** Migration 14's index and triggers, as a release before 16 kept them in the main database. */
const MIGRATION_14_INDEX = `
CREATE VIRTUAL TABLE messages_fts USING fts5(text, tokenize = 'trigram');
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts (rowid, text) SELECT new.rowid, json_extract(new.body, '$.text') WHERE new.type = 'text';
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF type, body ON messages BEGIN
  DELETE FROM messages_fts WHERE rowid = old.rowid;
  INSERT INTO messages_fts (rowid, text) SELECT new.rowid, json_extract(new.body, '$.text') WHERE new.type = 'text';
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
  DELETE FROM messages_fts WHERE rowid = old.rowid;
END;
INSERT INTO messages_fts (rowid, text) SELECT rowid, json_extract(body, '$.text') FROM messages WHERE type = 'text';`;

describe('search migration', () => {
  it('SQLite (14): messages stored before are found; edited and recalled text follows the row', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'natter-search-'));
    const path = join(dir, 'natter.db');
    try {
      const old = new SqliteStore({ path, durability: 'normal' });
      await before(old);
      await old.close();
      // Back to the schema before migration 14, as an older release left it.
      undoMigration16(path);
      let raw = new Database(path);
      // (Migration 16 dropped 14's index: only its record is left to undo.)
      raw.exec(`DELETE FROM schema_migrations WHERE version = 14;`);
      raw.close();
      const upgraded = new SqliteStore({ path, durability: 'normal' });
      await after(upgraded);
      await upgraded.close();
      raw = new Database(path);
      raw.exec(`${EDIT}; ${RECALL};`);
      raw.close();
      // Through the FTS index this time (MATCH), not the scan of a small history.
      const edited = new SqliteStore({ path, durability: 'normal', searchScanBelow: 0 });
      try {
        await afterEdit(edited);
      } finally {
        await edited.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('SQLite (16): migration 14\'s index leaves the main database; the indexer thread builds the new one in its own file, and follows edits and recalls', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'natter-search-'));
    const path = join(dir, 'natter.db');
    try {
      const old = new SqliteStore({ path, durability: 'normal' });
      await before(old);
      await old.close();
      undoMigration16(path);
      let raw = new Database(path);
      raw.exec(MIGRATION_14_INDEX);
      raw.close();
      const upgraded = await SqliteWorkerStore.open({ path, durability: 'normal', searchScanBelow: 0 });
      try {
        await after(upgraded);
        raw = new Database(path);
        try {
          expect(raw.prepare(`SELECT name FROM sqlite_master WHERE name LIKE 'messages_fts%'`).all()).toEqual([]);
          expect(existsSync(`${path}-search`)).toBe(true);
          // Edited and recalled while the store runs: queued by the triggers, applied by the indexer.
          raw.exec(`${EDIT}; ${RECALL};`);
        } finally {
          raw.close();
        }
        await afterEdit(upgraded);
      } finally {
        await upgraded.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const schema = `natter_su_${randomBytes(6).toString('hex')}`;
  afterAll(async () => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await c.end();
  });

  it('PostgreSQL (15): messages stored before are found; edited and recalled text follows the row', async () => {
    const old = await PostgresStore.open({ connectionString: PG_URL, schema, poolMax: 2 });
    await before(old);
    await old.close();
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      await c.query(`DROP INDEX IF EXISTS ${schema}.messages_search_trgm; DROP FUNCTION ${schema}.natter_search_text;
        DELETE FROM ${schema}.schema_migrations WHERE version = 15;`);
      const upgraded = await PostgresStore.open({ connectionString: PG_URL, schema, poolMax: 2 });
      try {
        await after(upgraded);
        const idx = await c.query(`SELECT 1 FROM pg_indexes WHERE schemaname = $1 AND indexname = 'messages_search_trgm'`, [schema]);
        expect(idx.rowCount).toBe(1);
        await c.query(`SET search_path = ${schema}; ${EDIT}; ${RECALL};`);
        await afterEdit(upgraded);
      } finally {
        await upgraded.close();
      }
    } finally {
      await c.end();
    }
  });
});
