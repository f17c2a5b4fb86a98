/**
 * SQLite message search as the server runs it (issue 17): the index lives in its own file
 * (`<db>-search`), kept by an indexer thread after the send has been answered. A search still
 * finds every message whose send was answered before it; edits, recalls and delete-for-me show;
 * and an indexer thread killed, a store closed with a backlog, or a main database restored from
 * a backup never leave a message missing or found twice. Through the index every time
 * (searchScanBelow 0): the scan of small histories needs no index.
 */
import { copyFileSync, existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore, SqliteWorkerStore, type Store } from '@natter/server';
import { StoreHarness, T0 } from './store/harness.js';

/** Every hit for `query`, page after page: texts in page order. */
async function allHits(store: Store, userId: string, query: string): Promise<{ ids: string[]; texts: string[] }> {
  const ids: string[] = [];
  const texts: string[] = [];
  let cursor: { createdAt: number; id: string } | undefined;
  for (;;) {
    const page = await store.searchMessages(userId, { terms: query.split(' '), limit: 50, ...(cursor && { cursor }) });
    for (const m of page.messages) {
      ids.push(m.id);
      texts.push((m.body as { text: string }).text);
    }
    const last = page.messages.at(-1);
    if (!page.hasMore || !last) return { ids, texts };
    cursor = { createdAt: last.createdAt, id: last.id };
  }
}

/** The store's indexer thread ended as a crash would (another starts a second later). */
const killIndexer = (store: Store) => (store as unknown as { indexer: { kill(): Promise<number> } }).indexer.kill();

describe('SQLite search index in its own file', () => {
  let dir: string;
  let path: string;
  const open = () => SqliteWorkerStore.open({ path, durability: 'normal', searchScanBelow: 0 });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'natter-sqlite-search-'));
    path = join(dir, 'natter.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A harness on `store`, a direct conversation in it, and a sender of `n` messages numbered from `from`, each saying `word` and a word of its own. */
  async function scene(store: Store) {
    const t = new StoreHarness();
    await t.setUp(async () => ({ store, reopen: async () => t.store, cleanup: async () => {} }));
    const [a, b] = [await t.user('alice'), await t.user('bob')];
    const c = (await t.store.openDirect(a, b, t.direct(a, b))).state;
    const sendBatch = async (from: number, n: number, word = 'zebra') => {
      for (let i = from; i < from + n; i += 100) {
        const batch = Array.from({ length: Math.min(100, from + n - i) }, (_, k) => t.msg(c.id, a, `${word} word${i + k}x`));
        const out = await t.store.appendMessages(batch);
        expect(out.every((o) => o.kind === 'stored')).toBe(true);
      }
    };
    return { t, a, b, c, sendBatch };
  }

  it('finds each message right after its send is answered, with the index in its own file', async () => {
    const store = await open();
    try {
      const { t, a, b, c } = await scene(store);
      for (let i = 0; i < 40; i++) {
        await t.send(c.id, a, `quokka number${i}q sighted`);
        expect((await allHits(store, b, `number${i}q`)).texts).toEqual([`quokka number${i}q sighted`]);
      }
      expect((await allHits(store, b, 'quokka')).ids).toHaveLength(40);
      expect(existsSync(`${path}-search`)).toBe(true);
      // The main database holds no index of its own any more.
      const raw = new Database(path, { readonly: true });
      try {
        expect(raw.prepare(`SELECT name FROM sqlite_master WHERE name LIKE '%fts%'`).all()).toEqual([]);
      } finally {
        raw.close();
      }
    } finally {
      await store.close();
    }
  });

  it('never makes a send or an edit wait for the search file: its write lock held elsewhere (a long indexing batch)', async () => {
    const store = await open();
    const raw = new Database(`${path}-search`);
    try {
      const { t, a, b, c } = await scene(store);
      const m = await t.send(c.id, a, 'heron before');
      raw.exec('BEGIN IMMEDIATE');
      const started = Date.now();
      await t.send(c.id, a, 'heron during');
      await store.applyMessageAction(c.id, { kind: 'edit', by: a, messageId: m.id, text: 'egret before' }, t.nextId('m'), T0 + 1000);
      // Well under the 5 s a write would wait for the lock.
      expect(Date.now() - started).toBeLessThan(1000);
      raw.exec('COMMIT');
      expect((await allHits(store, b, 'heron')).texts).toEqual(['heron during']);
      expect((await allHits(store, b, 'egret')).texts).toEqual(['egret before']);
    } finally {
      raw.close();
      await store.close();
    }
  });

  it('follows edits, recalls and delete-for-me', async () => {
    const store = await open();
    try {
      const { t, a, b, c } = await scene(store);
      const m1 = await t.send(c.id, a, 'pelican at the harbour');
      const m2 = await t.send(c.id, a, 'pelican on the roof');
      const m3 = await t.send(c.id, a, 'pelican in the garden');
      expect((await allHits(store, b, 'pelican')).ids).toHaveLength(3);
      const edit = await store.applyMessageAction(c.id, { kind: 'edit', by: a, messageId: m1.id, text: 'cormorant at the harbour' }, t.nextId('m'), T0 + 1000);
      expect(edit.kind).toBe('ok');
      const recall = await store.applyMessageAction(c.id, { kind: 'recall', by: a, messageId: m2.id, windowMs: 3_600_000 }, t.nextId('m'), T0 + 1000);
      expect(recall.kind).toBe('ok');
      expect((await store.hideMessage(b, c.id, m3.id, T0 + 2000)).kind).toBe('ok');
      expect((await allHits(store, b, 'pelican')).texts).toEqual([]);
      expect((await allHits(store, a, 'pelican')).texts).toEqual(['pelican in the garden']);
      expect((await allHits(store, b, 'cormorant')).texts).toEqual(['cormorant at the harbour']);
      expect((await allHits(store, b, 'roof')).texts).toEqual([]);
      // An edit back: the old entry is replaced, not added to.
      await store.applyMessageAction(c.id, { kind: 'edit', by: a, messageId: m1.id, text: 'pelican at the harbour again' }, t.nextId('m'), T0 + 3000);
      expect((await allHits(store, a, 'harbour')).texts).toEqual(['pelican at the harbour again']);
      expect((await allHits(store, a, 'pelican')).ids.sort()).toEqual([m1.id, m3.id].sort());
    } finally {
      await store.close();
    }
  });

  it('misses and doubles nothing when its indexer thread is killed again and again while indexing', async () => {
    const store = await open();
    try {
      const { b, sendBatch } = await scene(store);
      for (let round = 0; round < 3; round++) {
        await sendBatch(round * 1000, 1000);
        await killIndexer(store);
      }
      // The thread starts again a second later; the search waits for it to catch up.
      const hits = await allHits(store, b, 'zebra');
      expect(hits.ids).toHaveLength(3000);
      expect(new Set(hits.ids).size).toBe(3000);
      expect((await allHits(store, b, 'word2999x')).texts).toEqual(['zebra word2999x']);
    } finally {
      await store.close();
    }
  });

  it('misses and doubles nothing when the store is closed with messages not yet indexed, and reopened', async () => {
    let store = await open();
    let b: string;
    try {
      const s = await scene(store);
      b = s.b;
      await s.sendBatch(0, 2000);
    } finally {
      await store.close();
    }
    store = await open();
    try {
      const hits = await allHits(store, b, 'zebra');
      expect(hits.ids).toHaveLength(2000);
      expect(new Set(hits.ids).size).toBe(2000);
    } finally {
      await store.close();
    }
  });

  it('answers from what is indexed after waiting about two seconds when the indexer cannot run, and says so', async () => {
    const store = await open();
    const behind: number[] = [];
    store.onSearchIndexBehind = (ms) => void behind.push(ms);
    const search = `${path}-search`;
    try {
      const { t, a, b, c } = await scene(store);
      await t.send(c.id, a, 'walrus one');
      expect((await allHits(store, b, 'walrus')).texts).toEqual(['walrus one']);
      // The indexer started again cannot open the search file (moved away; open connections keep it).
      renameSync(search, `${search}-moved`);
      await killIndexer(store);
      await t.send(c.id, a, 'walrus two');
      const started = Date.now();
      expect((await allHits(store, b, 'walrus')).texts).toEqual(['walrus one']);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
      expect(behind).toHaveLength(1);
      // Back in place: the next indexer started catches up.
      renameSync(`${search}-moved`, search);
      const deadline = Date.now() + 10_000;
      let texts: string[] = [];
      while (texts.length < 2 && Date.now() < deadline) texts = (await allHits(store, b, 'walrus')).texts;
      expect(texts).toEqual(['walrus two', 'walrus one']);
    } finally {
      if (existsSync(`${search}-moved`)) renameSync(`${search}-moved`, search);
      await store.close();
    }
  });

  it('rebuilds the index of a main database restored from a backup older than the index', async () => {
    let store = await open();
    let s: Awaited<ReturnType<typeof scene>>;
    try {
      s = await scene(store);
      await s.sendBatch(0, 300);
    } finally {
      await store.close();
    }
    copyFileSync(path, join(dir, 'backup.db'));
    store = await open();
    try {
      s.t.store = store;
      await s.sendBatch(300, 200);
      expect((await allHits(store, s.b, 'zebra')).ids).toHaveLength(500);
    } finally {
      await store.close();
    }
    // The backup comes back; the search file, which indexed 200 messages more, stays.
    copyFileSync(join(dir, 'backup.db'), path);
    store = await open();
    try {
      const hits = await allHits(store, s.b, 'zebra');
      expect(hits.ids).toHaveLength(300);
      expect((await allHits(store, s.b, 'word350x')).texts).toEqual([]);
      expect((await allHits(store, s.b, 'word250x')).texts).toEqual(['zebra word250x']);
      // New messages take the rowids the lost ones had in the old index: indexed as they are now.
      s.t.store = store;
      await s.sendBatch(300, 200, 'yak');
      expect((await allHits(store, s.b, 'yak')).ids).toHaveLength(200);
      expect((await allHits(store, s.b, 'word350x')).texts).toEqual(['yak word350x']);
      expect((await allHits(store, s.b, 'zebra')).ids).toHaveLength(300);
    } finally {
      await store.close();
    }
  });

  it('makes a search file that is no database again, and rebuilds it, rather than refuse to open the store', async () => {
    let store = await open();
    let s: Awaited<ReturnType<typeof scene>>;
    try {
      s = await scene(store);
      await s.sendBatch(0, 120);
    } finally {
      await store.close();
    }
    writeFileSync(`${path}-search`, 'not a database, but long enough to have a header '.repeat(40));
    store = await open();
    try {
      expect((await allHits(store, s.b, 'zebra')).ids).toHaveLength(120);
    } finally {
      await store.close();
    }
  });

  it('keeps search exact without the thread: an in-process store on a file and in memory index before each search', async () => {
    for (const p of [path, ':memory:']) {
      const store = new SqliteStore({ path: p, durability: 'normal', searchScanBelow: 0 });
      try {
        const { b, sendBatch } = await scene(store);
        await sendBatch(0, 250);
        expect((await allHits(store, b, 'zebra')).ids).toHaveLength(250);
        expect((await allHits(store, b, 'word42x')).texts).toEqual(['zebra word42x']);
      } finally {
        await store.close();
      }
    }
  });
});
