/**
 * SqliteStore and SqliteWorkerStore: the Store contract on a real file in a fresh temp dir, in
 * process and through the thread the server runs it on; and upgrades from older schemas, checked
 * with the contract's upgrade helpers. The WAL under load is in sqlite-wal.test.ts; unit tests of
 * the file itself (recorded migrations, WAL mode, reopening) stay beside the store in
 * @natter/server's store/sqlite/.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore, SqliteWorkerStore, type Store } from '@natter/server';
import { runStoreContract } from './store.js';
import { expectRetriesRecognised, storeOneSend } from './store/upgrade.js';

/** A temp dir holding one database file; every store opened on it is closed by cleanup(). */
function tempDatabase() {
  const dir = mkdtempSync(join(tmpdir(), 'natter-sqlite-'));
  const path = join(dir, 'data', 'natter.db');
  const opened: Store[] = [];
  return {
    dir,
    path,
    /** Message search always through its FTS index here (searchScanBelow 0); the threaded store scans small histories. */
    open(durability: 'normal' | 'full' = 'normal'): SqliteStore {
      const s = new SqliteStore({ path, durability, searchScanBelow: 0 });
      opened.push(s);
      return s;
    },
    /** The store as the server runs it: on its own thread. */
    async openThreaded(): Promise<SqliteWorkerStore> {
      const s = await SqliteWorkerStore.open({ path, durability: 'normal' });
      opened.push(s);
      return s;
    },
    async cleanup(): Promise<void> {
      for (const s of opened) await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

runStoreContract('sqlite', async () => {
  const db = tempDatabase();
  return { store: db.open(), reopen: async () => db.open(), cleanup: () => db.cleanup() };
});

// The same contract through the thread the server runs it on (requests and errors cross it).
runStoreContract('sqlite-worker', async () => {
  const db = tempDatabase();
  return { store: await db.openThreaded(), reopen: () => db.openThreaded(), cleanup: () => db.cleanup() };
});

/** Back to the layout before migration 5 (unread counts), as a database of an older release has it. */
const UNDO_MIGRATION_5 = `
  ALTER TABLE messages DROP COLUMN recalled_at; ALTER TABLE messages DROP COLUMN edited_at; ALTER TABLE messages DROP COLUMN reactions;
  DELETE FROM schema_migrations WHERE version = 13;
  ALTER TABLE messages DROP COLUMN msg_index; ALTER TABLE messages DROP COLUMN mentions;
  ALTER TABLE conversations DROP COLUMN msg_count; ALTER TABLE conversations DROP COLUMN all_mention_seq;
  ALTER TABLE members DROP COLUMN read_index; ALTER TABLE members DROP COLUMN mention_seq;
  ALTER TABLE members DROP COLUMN pinned; ALTER TABLE members DROP COLUMN muted; ALTER TABLE members DROP COLUMN archived;
  DELETE FROM schema_migrations WHERE version = 5;`;

describe('SqliteStore', () => {
  let db: ReturnType<typeof tempDatabase>;
  beforeEach(() => {
    db = tempDatabase();
  });
  afterEach(async () => {
    await db.cleanup();
  });

  /** Reads the file directly, beside the store, as an operator would. */
  function inspect<T>(query: (raw: Database.Database) => T): T {
    const raw = new Database(db.path, { readonly: true });
    try {
      return query(raw);
    } finally {
      raw.close();
    }
  }


  it('upgrades a database from before the client-id-first index: a send stored then is still recognised when retried', async () => {
    const store = db.open();
    const send = await storeOneSend(store);
    await store.close();
    // Back to the schema of version 2, as a database written by an older release has it.
    const raw = new Database(db.path);
    raw.exec(`DROP INDEX messages_client_key;
      CREATE UNIQUE INDEX messages_client_id ON messages(sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL;
      DELETE FROM schema_migrations WHERE version = 3;`);
    raw.close();

    const upgraded = db.open();
    await expectRetriesRecognised(upgraded, send);
    await upgraded.close();
    const index = inspect((raw) => ({
      old: raw.prepare(`SELECT name FROM sqlite_master WHERE name = 'messages_client_id'`).all(),
      columns: raw.prepare(`SELECT name FROM pragma_index_info('messages_client_key') ORDER BY seqno`).all(),
    }));
    expect(index).toEqual({ old: [], columns: [{ name: 'client_msg_id' }, { name: 'sender_id' }] });
  });

  it('upgrades messages clustered by conversation to the arrival-order table: history, seqs and retries survive', async () => {
    const store = db.open();
    const send = await storeOneSend(store);
    await store.createConversation({
      id: 'c2',
      kind: 'group',
      title: null,
      createdBy: 'u1',
      members: [{ userId: 'u1', role: 'owner' }],
      createdMessageId: 'm9',
      createdAt: 5,
    });
    const more = [3, 4].map((n) => ({ ...send, id: `m${n}`, conversationId: n === 3 ? 'c2' : 'c1', clientMsgId: `k${n}`, body: `{"text":"n${n}"}` }));
    expect(await store.appendMessages(more)).toEqual([
      { kind: 'stored', seq: 2 },
      { kind: 'stored', seq: 3 },
    ]);
    const before = [await store.getMessages('c1', 'u1', { after: 0, limit: 10 }), await store.getMessages('c2', 'u1', { after: 0, limit: 10 })];
    await store.close();
    // Back to the layout of version 3, as a database written by an older release has it.
    const raw = new Database(db.path);
    raw.exec(`${UNDO_MIGRATION_5}
      CREATE TABLE messages_v3 (
        conversation_id TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL UNIQUE, sender_id TEXT NOT NULL,
        type TEXT NOT NULL, body TEXT NOT NULL, client_msg_id TEXT, reply_to TEXT, created_at INTEGER NOT NULL,
        PRIMARY KEY (conversation_id, seq)) STRICT, WITHOUT ROWID;
      INSERT INTO messages_v3 SELECT * FROM messages;
      DROP TABLE messages;
      ALTER TABLE messages_v3 RENAME TO messages;
      CREATE UNIQUE INDEX messages_client_key ON messages(client_msg_id, sender_id) WHERE client_msg_id IS NOT NULL;
      DELETE FROM schema_migrations WHERE version = 4;`);
    raw.close();

    const upgraded = db.open();
    expect([await upgraded.getMessages('c1', 'u1', { after: 0, limit: 10 }), await upgraded.getMessages('c2', 'u1', { after: 0, limit: 10 })]).toEqual(before);
    expect(before[0]?.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    await expectRetriesRecognised(upgraded, send);
    // New sends continue each conversation's sequence.
    expect(await upgraded.appendMessages([{ ...send, id: 'm5', clientMsgId: 'k5' }])).toEqual([{ kind: 'stored', seq: 4 }]);
    await upgraded.close();
    const layout = inspect((raw) => ({
      table: (raw.prepare(`SELECT sql FROM sqlite_master WHERE name = 'messages'`).get() as { sql: string }).sql.includes('WITHOUT ROWID'),
      bySeq: raw.prepare(`SELECT name FROM pragma_index_info('messages_conversation_seq') ORDER BY seqno`).all(),
      plan: raw
        .prepare(`EXPLAIN QUERY PLAN SELECT * FROM messages WHERE conversation_id = 'c1' AND seq > 0 AND seq <= 9 ORDER BY seq LIMIT 9`)
        .all()
        .map((r) => (r as { detail: string }).detail),
    }));
    expect(layout).toEqual({
      table: false,
      bySeq: [{ name: 'conversation_id' }, { name: 'seq' }],
      plan: [expect.stringContaining('USING INDEX messages_conversation_seq')],
    });
  });

  it('upgrades to exact unread counts: a database of version 4 gets the counts its log and cursors say', async () => {
    const store = db.open();
    await storeOneSend(store); // c1: created (1), u1's send (2)
    await store.createUser({ id: 'u2', username: 'bob', passwordHash: null, displayName: null, avatarUrl: null, createdAt: 1 });
    await store.changeMembership('c1', { kind: 'add', userIds: ['u2'], by: 'u1' }, 'm_add', 5); // 3 (system)
    const sends = [4, 5, 6].map((n) => ({ id: `mu${n}`, conversationId: 'c1', senderId: 'u1', type: 'text' as const, body: '{"text":"x"}', clientMsgId: `ku${n}`, replyTo: null, createdAt: 6 }));
    await store.appendMessages(sends); // 4, 5, 6
    await store.markRead('u2', 'c1', 4);
    const before = await store.getConversationForUser('c1', 'u2');
    expect(before?.unreadCount).toBe(2);
    await store.close();
    const raw = new Database(db.path);
    raw.exec(UNDO_MIGRATION_5);
    raw.close();
    const upgraded = db.open();
    expect(await upgraded.getConversationForUser('c1', 'u2')).toEqual(before);
    expect((await upgraded.getConversationForUser('c1', 'u1'))?.unreadCount).toBe(0);
    await upgraded.appendMessages([{ ...sends[0]!, id: 'mu7', clientMsgId: 'ku7' }]);
    expect((await upgraded.getConversationForUser('c1', 'u2'))?.unreadCount).toBe(3);
  });

  it('refuses a second entry at a stored seq', async () => {
    const store = db.open();
    await storeOneSend(store);
    await store.close();
    const raw = new Database(db.path);
    try {
      expect(() =>
        raw.prepare(`INSERT INTO messages (conversation_id, seq, id, sender_id, type, body, created_at) VALUES ('c1', 2, 'mx', 'u1', 'text', '{}', 9)`).run(),
      ).toThrow(/UNIQUE constraint failed: messages.conversation_id, messages.seq/);
    } finally {
      raw.close();
    }
  });
});