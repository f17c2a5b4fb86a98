/**
 * SqliteStore's file: recorded migrations, WAL mode, data surviving close and reopen, another
 * connection seeing committed writes; and SqliteWorkerStore's failures (its thread gone, a file
 * that is no database). The Store contract and the upgrades from older schemas
 * (contracts/sqlite-store.test.ts) and the WAL under load (contracts/sqlite-wal.test.ts) run in
 * @natter/testkit.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrations } from './migrations.js';
import { SqliteStore } from './sqlite-store.js';
import { SqliteWorkerStore } from './worker-store.js';

/** A temp dir holding one database file; every store opened on it is closed by cleanup(). */
function tempDatabase() {
  const dir = mkdtempSync(join(tmpdir(), 'natter-sqlite-'));
  const path = join(dir, 'data', 'natter.db');
  const opened: SqliteStore[] = [];
  return {
    dir,
    path,
    open(durability: 'normal' | 'full' = 'normal'): SqliteStore {
      const s = new SqliteStore({ path, durability });
      opened.push(s);
      return s;
    },
    async cleanup(): Promise<void> {
      for (const s of opened) await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('SqliteWorkerStore', () => {
  it('answers `unavailable` (retryable) for what was waiting and what comes after if its thread is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'natter-sqlite-worker-'));
    const store = await SqliteWorkerStore.open({ path: join(dir, 'natter.db'), durability: 'normal' });
    try {
      expect(await store.getUser('nobody')).toBeNull();
      // Asked after the thread was told to stop, so it cannot be answered.
      const stopped = (store as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
      const waiting = store.getUser('nobody');
      await stopped;
      await expect(waiting).rejects.toMatchObject({ code: 'unavailable' });
      await expect(store.getUser('nobody')).rejects.toMatchObject({ code: 'unavailable' });
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails to open with the database error when the file cannot be a database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'natter-sqlite-worker-'));
    try {
      const path = join(dir, 'natter.db');
      writeFileSync(path, 'this is not a database file, but it is long enough to have a header '.repeat(20));
      await expect(SqliteWorkerStore.open({ path, durability: 'normal' })).rejects.toMatchObject({ code: 'SQLITE_NOTADB' });
    } finally {
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


  it('records every migration in schema_migrations', async () => {
    await db.open().close();
    const rows = inspect((raw) =>
      raw.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all(),
    ) as {
      version: number;
      name: string;
      applied_at: number;
    }[];
    expect(rows.map((r) => [r.version, r.name])).toEqual(migrations.map((m) => [m.version, m.name]));
    expect(rows.every((r) => r.applied_at > 0)).toBe(true);
  });

  it('does not re-run migrations when reopened', async () => {
    const first = db.open();
    await first.createUser({
      id: 'u1',
      username: 'alice',
      passwordHash: null,
      displayName: null,
      avatarUrl: null,
      createdAt: 1,
    });
    await first.close();
    const before = inspect((raw) =>
      raw.prepare('SELECT version, applied_at FROM schema_migrations ORDER BY version').all(),
    );
    // Re-running migration 1 would fail on CREATE TABLE or reset the version counter.
    const second = db.open();
    expect((await second.getUser('u1'))?.username).toBe('alice');
    await second.close();
    expect(
      inspect((raw) =>
        raw.prepare('SELECT version, applied_at FROM schema_migrations ORDER BY version').all(),
      ),
    ).toEqual(before);
  });

  it('runs in WAL mode', async () => {
    const store = db.open();
    expect(inspect((raw) => raw.pragma('journal_mode', { simple: true }))).toBe('wal');
    await store.close();
  });

  it('keeps data across close and reopen', async () => {
    const store = db.open();
    await store.createUser({
      id: 'u1',
      username: 'alice',
      passwordHash: 'h',
      displayName: null,
      avatarUrl: null,
      createdAt: 1,
    });
    const { state: conv } = await store.createConversation({
      id: 'c1',
      kind: 'group',
      title: 't',
      createdBy: 'u1',
      members: [{ userId: 'u1', role: 'owner' }],
      createdMessageId: 'm1',
      createdAt: 2,
    });
    const [sent] = await store.appendMessages([
      {
        id: 'm2',
        conversationId: conv.id,
        senderId: 'u1',
        type: 'text',
        body: '{"text":"hi"}',
        clientMsgId: 'k1',
        replyTo: null,
        createdAt: 3,
      },
    ]);
    await store.close();

    const reopened = db.open();
    expect(await reopened.getUser('u1')).toMatchObject({ username: 'alice', passwordHash: 'h' });
    const page = await reopened.getMessages('c1', 'u1', { after: 0, limit: 10 });
    expect(page?.messages.map((m) => m.id)).toEqual(['m1', 'm2']);
    expect(sent).toEqual({ kind: 'stored', seq: 2 });
    expect(page?.messages[1]).toEqual({ id: 'm2', conversationId: 'c1', seq: 2, senderId: 'u1', type: 'text', body: { text: 'hi' }, clientMsgId: 'k1', replyTo: null, createdAt: 3 });
  });

  it('sees a write from another connection once it is committed', async () => {
    // Two stores on one file stand in for a crashed process and its restart: no close between.
    const writer = db.open();
    await writer.createUser({
      id: 'u1',
      username: 'alice',
      passwordHash: null,
      displayName: null,
      avatarUrl: null,
      createdAt: 1,
    });
    const reader = db.open();
    expect((await reader.getUser('u1'))?.username).toBe('alice');
  });
});
