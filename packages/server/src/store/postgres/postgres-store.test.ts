/**
 * PostgresStore against the machine's real PostgreSQL, each test in its own schema: what only a
 * shared database has — several stores (processes) writing one conversation at once, migrations
 * racing at start-up, a sync token taken while another process commits. The Store contract and the
 * schema upgrade run in @natter/testkit (contracts/postgres-store.test.ts).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrations } from './migrations.js';
import { PostgresStore } from './postgres-store.js';

const PG_URL = process.env.NATTER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schemas: string[] = [];
const newSchema = () => {
  const s = `natter_t_${randomBytes(6).toString('hex')}`;
  schemas.push(s);
  return s;
};

afterAll(async () => {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await c.end();
});

type Page = Awaited<ReturnType<PostgresStore['changesSince']>>;
/**
 * A change is returned once every older transaction has finished (db.ts: the watermark); on a
 * PostgreSQL shared with other tests somebody else's open transaction may hold it back for a
 * moment — delayed, never skipped — so a test waiting for a change polls, bounded.
 */
async function syncUntil(store: PostgresStore, userId: string, since: number, done: (p: Page) => boolean): Promise<Page> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const page = await store.changesSince(userId, since, 10);
    if (done(page) || Date.now() > deadline) return page;
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('PostgresStore with several processes', () => {
  it('applies migrations once when processes start together', async () => {
    const schema = newSchema();
    const stores = await Promise.all(Array.from({ length: 4 }, () => PostgresStore.open({ connectionString: PG_URL, schema, poolMax: 2 })));
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    const r = await c.query(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
    await c.end();
    expect(r.rows.map((x) => x.version)).toEqual(migrations.map((m) => m.version));
    for (const s of stores) await s.close();
  });

  it('keeps seqs gap-free and clientMsgIds unique when several stores write one conversation', async () => {
    const schema = newSchema();
    const stores = await Promise.all(Array.from({ length: 3 }, () => PostgresStore.open({ connectionString: PG_URL, schema, poolMax: 4 })));
    const [a] = stores as [PostgresStore];
    const now = Date.now();
    for (const u of ['u1', 'u2']) await a.createUser({ id: u, username: u, passwordHash: null, displayName: null, avatarUrl: null, createdAt: now });
    await a.createConversation({
      id: 'c1',
      kind: 'group',
      title: null,
      createdBy: 'u1',
      members: [
        { userId: 'u1', role: 'owner' },
        { userId: 'u2', role: 'member' },
      ],
      createdMessageId: 'm0',
      createdAt: now,
    });
    await a.createConversation({
      id: 'c2',
      kind: 'group',
      title: null,
      createdBy: 'u2',
      members: [
        { userId: 'u2', role: 'owner' },
        { userId: 'u1', role: 'member' },
      ],
      createdMessageId: 'm00',
      createdAt: now,
    });
    const msg = (i: number, conv: string, clientMsgId = `k${i}`) => ({
      id: `m${i}-${randomBytes(4).toString('hex')}`,
      conversationId: conv,
      senderId: i % 2 ? 'u1' : 'u2',
      type: 'text' as const,
      body: JSON.stringify({ text: `t${clientMsgId}` }),
      clientMsgId,
      replyTo: null,
      createdAt: now,
    });
    // 3 stores × 20 batches, each batch touching both conversations in opposite orders
    // (a deadlock trap), and every clientMsgId sent by two stores at once.
    const jobs: Promise<unknown>[] = [];
    for (let b = 0; b < 20; b++) {
      stores.forEach((s, k) => {
        const batch = Array.from({ length: 5 }, (_, j) => {
          const i = b * 5 + j;
          return msg(i, (i + k) % 2 ? 'c1' : 'c2', `k${i}-${(i + k) % 2}`);
        });
        jobs.push(s.appendMessages(k % 2 ? batch.reverse() : batch));
      });
    }
    const outcomes = (await Promise.all(jobs)).flat() as { kind: string }[];
    expect(outcomes.every((o) => o.kind === 'stored' || o.kind === 'duplicate')).toBe(true);
    for (const conv of ['c1', 'c2']) {
      const page = await a.getMessages(conv, 'u1', { after: 0, limit: 200 });
      const seqs = page!.messages.map((m) => m.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      const keys = page!.messages.filter((m) => m.clientMsgId).map((m) => `${m.senderId}/${m.clientMsgId}`);
      expect(new Set(keys).size).toBe(keys.length);
    }
    const stored = outcomes.filter((o) => o.kind === 'stored').length;
    expect(stored).toBe(200);
    // The same clientMsgId sent to two different conversations by two processes at once: the
    // conversations' locks do not serialise them, the unique index does. One is stored, the
    // other is a conflict, and neither conversation gets a hole in its seqs.
    for (let round = 0; round < 10; round++) {
      const key = `race${round}`;
      const [x, y] = await Promise.all([
        stores[0]!.appendMessages([msg(1000 + round, 'c1', key), msg(2000 + round, 'c1', `solo-a${round}`)]),
        stores[1]!.appendMessages([{ ...msg(3000 + round, 'c2', key), senderId: (1000 + round) % 2 ? 'u1' : 'u2' }, msg(4000 + round, 'c2', `solo-b${round}`)]),
      ]);
      expect([x[0]!.kind, y[0]!.kind].sort()).toEqual(['conflict', 'stored']);
      expect(x[1]!.kind).toBe('stored');
      expect(y[1]!.kind).toBe('stored');
    }
    for (const conv of ['c1', 'c2']) {
      const page = await a.getMessages(conv, 'u1', { after: 0, limit: 200 });
      const seqs = page!.messages.map((m) => m.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    }
    // Sync sees both conversations, and a second call from the returned version sees nothing.
    const first = await syncUntil(stores[2]!, 'u1', 0, (p) => p.conversations.length >= 2);
    expect(first.conversations.map((c) => c.id).sort()).toEqual(['c1', 'c2']);
    expect((await a.changesSince('u1', first.version, 10)).conversations).toEqual([]);
    for (const s of stores) await s.close();
  });
});

describe('PostgresStore changesSince', () => {
  it('never skips a change committed while an empty sync page is being read (token from the same snapshot)', async () => {
    const schema = newSchema();
    const store = await PostgresStore.open({ connectionString: PG_URL, schema, poolMax: 4 });
    const writer = await PostgresStore.open({ connectionString: PG_URL, schema, poolMax: 2 });
    const now = Date.now();
    for (const u of ['u1', 'u2']) await store.createUser({ id: u, username: u, passwordHash: null, displayName: null, avatarUrl: null, createdAt: now });
    await store.createConversation({
      id: 'c1',
      kind: 'group',
      title: null,
      createdBy: 'u1',
      members: [
        { userId: 'u1', role: 'owner' },
        { userId: 'u2', role: 'member' },
      ],
      createdMessageId: 'm0',
      createdAt: now,
    });
    const caughtUp = await store.changesSince('u2', 0, 10);
    expect(caughtUp.conversations.map((c) => c.id)).toEqual(['c1']);
    // Another process commits a message right after the page's rows were read (and found empty).
    // The connection every module of the store reads through (db.ts), reached past the facade.
    const internals = (store as unknown as { sync: { db: { query: (text: string, values?: unknown[]) => Promise<unknown> } } }).sync.db;
    const original = internals.query.bind(internals);
    let injected = false;
    internals.query = async (text, values) => {
      const r = await original(text, values);
      if (!injected && text.includes('FROM members m JOIN conversations c')) {
        injected = true;
        const [o] = await writer.appendMessages([
          { id: 'm1', conversationId: 'c1', senderId: 'u1', type: 'text', body: '{"text":"late"}', clientMsgId: 'k1', replyTo: null, createdAt: now },
        ]);
        expect(o!.kind).toBe('stored');
      }
      return r;
    };
    const empty = await store.changesSince('u2', caughtUp.version, 10);
    internals.query = original;
    expect(injected).toBe(true);
    expect(empty.conversations).toEqual([]);
    // The message's change must still be ahead of the returned token.
    const next = await syncUntil(store, 'u2', empty.version, (p) => p.conversations.length > 0);
    expect(next.conversations.map((c) => [c.id, c.lastSeq])).toEqual([['c1', 2]]);
    await writer.close();
    await store.close();
  });
});
