/**
 * SqliteWorkerStore under load, as the server runs it: its checkpointer copies the WAL into the
 * database file in the background and starts the WAL over while sends keep coming, even after a
 * crash of its thread; and what a server reports about the SQLite thread, the WAL and checkpoints
 * at /metrics and in the log. The writes go through the Store contract's harness.
 */
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createLogger, SqliteWorkerStore, type Store } from '@natter/server';
import { startTestServer } from '../harness.js';
import { StoreHarness } from './store/harness.js';

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

  it('at a steady moderate load the WAL starts over by itself, without the store thread stopping sends for a RESTART', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'natter-sqlite-worker-'));
    const path = join(dir, 'natter.db');
    const store = await SqliteWorkerStore.open({ path, durability: 'normal' });
    const t = await harnessOver(store);
    try {
      const convs = await directPairs(t, 10);
      const restarts = () => readFileSync(`${path}-wal`).readUInt32BE(12);
      const first = restarts();
      const byStoreThread = store.storeThreadRestarts;
      // One send every 25 ms for 2.5 s: the writer leaves gaps, as at the loads users see.
      const until = Date.now() + 2500;
      for (let i = 0; Date.now() < until; i++) {
        const c = convs[i % convs.length]!;
        await t.store.appendMessages([t.msg(c.id, c.sender, 'x'.repeat(64))]);
        await new Promise((r) => setTimeout(r, 25));
      }
      const started = restarts() - first;
      expect(started).toBeGreaterThanOrEqual(3);
      // A RESTART on the store thread fsyncs both files while sends wait: the fallback for a
      // writer that never pauses (the test above), not how the WAL starts over here.
      expect(store.storeThreadRestarts - byStoreThread).toBeLessThanOrEqual(started / 2);
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
