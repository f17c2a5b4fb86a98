/**
 * SqliteStore and SqliteWorkerStore: the Store contract on a real file in a fresh temp dir, in
 * process and through the thread the server runs it on; upgrades from older schemas, checked with
 * the contract's upgrade helpers; and what a server reports about the SQLite thread, its WAL and
 * its checkpoints (at /metrics and in the log) under load. Unit tests of the file itself (recorded
 * migrations, WAL mode, reopening) stay beside the store in @natter/server's store/sqlite/.
 */
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, SqliteStore, SqliteWorkerStore, type Store } from '@natter/server';
import { startTestServer } from '../harness.js';
import { runStoreContract } from './store.js';
import { StoreHarness } from './store/harness.js';
import { expectRetriesRecognised, storeOneSend } from './store/upgrade.js';

/** A temp dir holding one database file; every store opened on it is closed by cleanup(). */
function tempDatabase() {
  const dir = mkdtempSync(join(tmpdir(), 'natter-sqlite-'));
  const path = join(dir, 'data', 'natter.db');
  const opened: Store[] = [];
  return {
    dir,
    path,
    open(durability: 'normal' | 'full' = 'normal'): SqliteStore {
      const s = new SqliteStore({ path, durability });
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

/** A contract harness over `store` (opened by the caller, closed by the caller). */
async function harnessOver(store: Store): Promise<StoreHarness> {
  const t = new StoreHarness();
  await t.setUp(async () => ({ store, reopen: async () => t.store, cleanup: async () => {} }));
  return t;
}

/** `n` direct conversations, each with the first of its two members as the one who sends. */
async function directPairs(t: StoreHarness, n: number): Promise<{ id: string; sender: string }[]> {
  const convs: { id: string; sender: string }[] = [];
  for (let i = 0; i < n; i++) {
    const [a, b] = [await t.user(`a${i}`), await t.user(`b${i}`)];
    convs.push({ id: (await t.store.openDirect(a, b, t.direct(a, b))).state.id, sender: a });
  }
  return convs;
}

/** A logger whose lines a test reads, and a wait (5 s at most) for the first line whose message holds `msg`. */
function capturedLog() {
  const lines: { level: number; msg: string; [field: string]: unknown }[] = [];
  const logger = createLogger('warn', { write: (line: string) => void lines.push(JSON.parse(line)) });
  const logged = async (msg: string) => {
    const deadline = Date.now() + 5000;
    while (!lines.some((l) => l.msg.includes(msg)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    return lines.find((l) => l.msg.includes(msg));
  };
  return { logger, logged };
}

/** Ends a threaded store's checkpointer thread as a crash would (the store starts another a second later). */
function killCheckpointer(store: Store): Promise<number> {
  return (store as unknown as { checkpointer: { terminate(): Promise<number> } }).checkpointer.terminate();
}

describe('SqliteWorkerStore', () => {
  it.each([
    ['', false],
    [', and goes on doing so after its checkpointer thread died', true],
  ])('copies the WAL into the database file in the background, long before SQLite would by itself%s', async (_, kill) => {
    const dir = mkdtempSync(join(tmpdir(), 'natter-sqlite-worker-'));
    const path = join(dir, 'natter.db');
    const t = await harnessOver(await SqliteWorkerStore.open({ path, durability: 'normal' }));
    try {
      const [a, b] = [await t.user('a'), await t.user('b')];
      const c = (await t.store.openDirect(a, b, t.direct(a, b))).state;
      if (kill) await killCheckpointer(t.store);
      await new Promise((r) => setTimeout(r, 600));
      const before = statSync(path).size;
      // 200 commits of a few pages each: far below the 4,000 WAL pages at which SQLite would checkpoint by itself.
      await t.sendMany(c.id, a, 200);
      const deadline = Date.now() + 5000;
      while (statSync(path).size === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(statSync(path).size).toBeGreaterThan(before);
    } finally {
      await t.store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts the WAL over while sends keep coming, instead of letting it grow for ever', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'natter-sqlite-worker-'));
    const path = join(dir, 'natter.db');
    const t = await harnessOver(await SqliteWorkerStore.open({ path, durability: 'normal' }));
    try {
      const convs = await directPairs(t, 50);
      // The WAL header's checkpoint sequence number goes up each time the WAL starts over.
      const restarts = () => readFileSync(`${path}-wal`).readUInt32BE(12);
      const first = restarts();
      // 2 s of batches back to back, eight queued at any time, so the thread never waits
      // for work: a checkpoint that needs a quiet moment to finish never gets one.
      const until = Date.now() + 2000;
      let stored = 0;
      const writer = async () => {
        while (Date.now() < until) {
          const outcomes = await t.store.appendMessages(convs.map((c) => t.msg(c.id, c.sender, 'x'.repeat(64))));
          stored += outcomes.filter((o) => o.kind === 'stored').length;
        }
      };
      await Promise.all(Array.from({ length: 8 }, writer));
      expect(stored).toBeGreaterThan(1000);
      // Four ticks a second: at least two restarts in 2 s, allowing for a slow machine.
      expect(restarts() - first).toBeGreaterThanOrEqual(2);
    } finally {
      await t.store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports at /metrics how busy the event loop and the SQLite thread have been", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'natter-sqlite-busy-'));
    const server = await startTestServer({ DATABASE_URL: `sqlite:${join(dir, 'natter.db')}`, DATA_DIR: dir });
    const t = await harnessOver(server.server.store);
    const busy = async () => {
      const text = await (await fetch(server.url + '/metrics')).text();
      const read = (name: string) => Number(text.split('\n').find((l) => l.startsWith(`${name} `))?.split(' ')[1] ?? Number.NaN);
      return { loop: read('natter_event_loop_busy_seconds_total'), thread: read('natter_sqlite_thread_busy_seconds_total') };
    };
    try {
      const convs = await directPairs(t, 20);
      const before = await busy();
      const started = performance.now();
      for (let i = 0; i < 100; i++) await t.store.appendMessages(convs.map((c) => t.msg(c.id, c.sender, 'x'.repeat(200))));
      const elapsedS = (performance.now() - started) / 1000;
      const after = await busy();
      // 2,000 messages stored on the thread: it was busy for part of the time, never more.
      expect(after.thread).toBeGreaterThan(before.thread);
      expect(after.thread - before.thread).toBeLessThan(elapsedS + 0.1);
      expect(after.loop).toBeGreaterThan(before.loop);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports the WAL length at /metrics and warns when a held read transaction keeps it from starting over', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'natter-sqlite-wal-'));
    const path = join(dir, 'natter.db');
    const { logger, logged } = capturedLog();
    const server = await startTestServer({ DATABASE_URL: `sqlite:${path}`, DATA_DIR: dir }, { logger, walWarnBytes: 4 * 1024 * 1024 });
    const t = await harnessOver(server.server.store);
    const walBytes = async () => {
      const text = await (await fetch(server.url + '/metrics')).text();
      const line = text.split('\n').find((l) => l.startsWith('natter_sqlite_wal_bytes '));
      return line === undefined ? null : Number(line.split(' ')[1]);
    };
    const ticks = () => new Promise((r) => setTimeout(r, 600));
    let reader: Database.Database | null = null;
    try {
      const convs = await directPairs(t, 20);
      const batch = () => t.store.appendMessages(convs.map((c) => t.msg(c.id, c.sender, 'x'.repeat(1000))));
      await batch();
      await ticks();
      await batch();
      await ticks();
      expect(await walBytes()).toBeLessThan(4 * 1024 * 1024);

      // An operator's shell (or a VACUUM INTO backup) holding a read transaction open.
      reader = new Database(path, { readonly: true });
      reader.prepare('BEGIN').run();
      reader.prepare('SELECT count(*) FROM messages').get();
      for (let i = 0; i < 150; i++) await batch();
      await ticks();
      expect(await walBytes()).toBeGreaterThan(4 * 1024 * 1024);
      expect(await logged('WAL is not starting over')).toMatchObject({ level: 40, walBytes: expect.any(Number) });

      // Once the reader is gone the WAL starts over at the next send.
      reader.prepare('COMMIT').run();
      reader.close();
      reader = null;
      await ticks();
      await batch();
      await ticks();
      await batch();
      await ticks();
      expect(await walBytes()).toBeLessThan(4 * 1024 * 1024);
    } finally {
      reader?.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says so at /metrics and in the log when checkpoints stop because the checkpointer thread keeps failing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'natter-sqlite-stall-'));
    const path = join(dir, 'db', 'natter.db');
    const { logger, logged } = capturedLog();
    const server = await startTestServer({ DATABASE_URL: `sqlite:${path}`, DATA_DIR: dir }, { logger, checkpointStallMs: 1500 });
    const age = async () => {
      const text = await (await fetch(server.url + '/metrics')).text();
      const line = text.split('\n').find((l) => l.startsWith('natter_sqlite_checkpoint_age_seconds '));
      return line === undefined ? null : Number(line.split(' ')[1]);
    };
    try {
      await new Promise((r) => setTimeout(r, 600));
      expect(await age()).toBeLessThan(1);
      // The database's directory is moved (open connections keep working): a checkpointer
      // started again cannot open the file, and must not create an empty one in its place.
      renameSync(join(dir, 'db'), join(dir, 'db-moved'));
      await killCheckpointer(server.server.store);
      expect(await logged('checkpointer thread failed')).toMatchObject({ level: 50 });
      expect(await logged('checkpoints have stopped')).toMatchObject({ level: 50, checkpointAgeS: expect.any(Number) });
      expect(await age()).toBeGreaterThanOrEqual(1.5);
      expect(existsSync(path)).toBe(false);

      // Back in place: the next checkpointer started runs, and the age falls again.
      renameSync(join(dir, 'db-moved'), join(dir, 'db'));
      const deadline = Date.now() + 5000;
      while (((await age()) ?? Infinity) >= 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(await age()).toBeLessThan(1);
    } finally {
      if (existsSync(join(dir, 'db-moved'))) renameSync(join(dir, 'db-moved'), join(dir, 'db'));
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never creates an empty database in place of a deleted file when the checkpointer starts again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'natter-sqlite-deleted-'));
    const path = join(dir, 'natter.db');
    const { logger, logged } = capturedLog();
    const server = await startTestServer({ DATABASE_URL: `sqlite:${path}`, DATA_DIR: dir }, { logger });
    try {
      // The open connections keep the deleted file; a new one beside its WAL would be worse
      // than none (SQLite would recover that WAL into the empty file).
      rmSync(path);
      await killCheckpointer(server.server.store);
      expect((await logged('checkpointer thread failed')) !== undefined).toBe(true);
      expect(existsSync(path)).toBe(false);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

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
    raw.exec(`CREATE TABLE messages_v3 (
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
