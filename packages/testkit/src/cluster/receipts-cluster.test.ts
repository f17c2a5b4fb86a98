/**
 * Receipts across processes: two Natter nodes on one PostgreSQL schema and a real bus (Redis,
 * then NATS). A delivery receipt starts from an ack kept in memory on the recipient's node and a
 * read receipt from a read on any node; both must reach every device of the sender, wherever
 * each is connected.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import WebSocket from 'ws';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { NatsBus, RedisBus } from '@natter/server';
import { NatterClient, type Receipt, type WebSocketFactory } from '@natter/client';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, register, startTestServer, type TestServer } from '../harness.js';
import { freePort, ServerProcess } from '../reliability/server-process.js';

const PG_URL = process.env.NATTER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const BUSES = [
  ['redis', () => RedisBus.connect(process.env.NATTER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379')],
  ['nats', () => NatsBus.connect(process.env.NATTER_TEST_NATS_URL ?? 'nats://127.0.0.1:4222')],
] as const;

const schemas: string[] = [];
afterAll(async () => {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await c.end();
});

async function until(cond: () => boolean | Promise<boolean>, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.each(BUSES)('receipts on two nodes, PostgreSQL + %s', (_name, connectBus) => {
  let nodes: TestServer[] = [];
  const clients: NatterClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const n of nodes) await n.close();
    nodes = [];
  });

  async function twoNodes(): Promise<[TestServer, TestServer]> {
    const schema = `natter_r_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    const jwt = randomBytes(32).toString('hex');
    for (let i = 0; i < 2; i++) nodes.push(await startTestServer({ DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema, JWT_SECRET: jwt }, { bus: await connectBus() }));
    return nodes as [TestServer, TestServer];
  }

  function client(node: TestServer, token: string): NatterClient & { got: Receipt[] } {
    const c = new NatterClient({ url: node.wsUrl, token, WebSocket: WebSocket as unknown as WebSocketFactory, backoff: { initialMs: 20, maxMs: 200 } });
    const got: Receipt[] = [];
    c.on('receipt', (r) => got.push(r));
    clients.push(c);
    return Object.assign(c, { got });
  }

  it('delivery and read receipts reach the sender’s devices on both nodes', async () => {
    const [n1, n2] = await twoNodes();
    const a = await register(n1.url);
    const b = await register(n1.url);
    const a2 = (await api(n1.url, 'POST', '/v1/auth/login', { username: a.username, password: 'correct horse battery' })).body as { accessToken: string };
    const b2 = (await api(n1.url, 'POST', '/v1/auth/login', { username: b.username, password: 'correct horse battery' })).body as { accessToken: string };
    const alice1 = client(n1, a.accessToken);
    const alice2 = client(n2, a2.accessToken);
    const bob2 = client(n2, b.accessToken);
    const bob1 = client(n1, b2.accessToken);
    await Promise.all([alice1, alice2, bob2, bob1].map((c) => c.connect()));
    const chat = await alice1.openDirect(b.userId);
    await until(async () => (await bob2.conversations()).some((c) => c.id === chat.id));
    for (let i = 0; i < 5; i++) await alice1.sendText(chat.id, `m${i}`); // seqs 2..6

    // Bob's devices ack on both nodes (kept in memory there): Alice's devices on both are told.
    for (const alice of [alice1, alice2]) await until(() => alice.receipts(chat.id).delivered.get(b.userId) === 6);
    for (const alice of [alice1, alice2]) {
      const seqs = alice.got.filter((r) => r.kind === 'delivered').map((r) => r.seq);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y).filter((s, i, all) => all.indexOf(s) === i));
    }

    // Bob reads on node 2: Alice's devices on both nodes get the read receipt, and Bob's other
    // device, on node 1, its read cursor.
    await bob2.markRead(chat.id, 6);
    for (const alice of [alice1, alice2]) await until(() => alice.receipts(chat.id).read.get(b.userId) === 6);
    await until(async () => (await bob1.getConversation(chat.id)).membership.readSeq === 6);

    // A fresh client on either node is answered the same from the store.
    const late = client(n2, a.accessToken);
    await late.connect();
    const res = await late.fetchReceipts(chat.id);
    expect(res.read).toEqual([{ userId: b.userId, seq: 6 }]);
    // Delivery cursors acked on the other node are written within a second: the answer catches up.
    await until(async () => (await late.fetchReceipts(chat.id)).delivered[0]?.seq === 6, 5000);
  });
});

describe('receipts between two server processes on PostgreSQL + Redis', () => {
  const clients: NatterClient[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const f of cleanups.splice(0).reverse()) await f().catch(() => {});
  });

  it('live across processes, and from the store after the recipient’s process is killed with SIGKILL', { timeout: 60_000 }, async () => {
    const schema = `natter_r_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    const dataDir = mkdtempSync(join(tmpdir(), 'natter-receipts-'));
    const env = {
      DATABASE_URL: PG_URL,
      DATABASE_SCHEMA: schema,
      BUS_URL: process.env.NATTER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      JWT_SECRET: randomBytes(32).toString('hex'),
      DATA_DIR: dataDir,
      REGISTRATIONS_PER_IP_PER_HOUR: '1000000',
    };
    const [p1, p2] = [new ServerProcess(await freePort(), env), new ServerProcess(await freePort(), env)];
    cleanups.push(async () => {
      for (const p of [p1, p2]) await p.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });
    await Promise.all([p1.start(), p2.start()]);
    const ws = (p: ServerProcess) => p.url.replace(/^http/, 'ws') + '/v1/ws';
    const open = (p: ServerProcess, token: string) => {
      const c = new NatterClient({ url: ws(p), token, WebSocket: WebSocket as unknown as WebSocketFactory, backoff: { initialMs: 20, maxMs: 200 } });
      clients.push(c);
      return c;
    };
    const a = await register(p1.url);
    const b = await register(p1.url);
    const alice = open(p1, a.accessToken);
    const bob = open(p2, b.accessToken);
    await Promise.all([alice.connect(), bob.connect()]);
    const chat = await alice.openDirect(b.userId);
    await until(async () => (await bob.conversations()).some((c) => c.id === chat.id));
    for (let i = 0; i < 3; i++) await alice.sendText(chat.id, `m${i}`); // seqs 2..4
    await until(() => alice.receipts(chat.id).delivered.get(b.userId) === 4);
    await bob.markRead(chat.id, 4);
    await until(() => alice.receipts(chat.id).read.get(b.userId) === 4);

    // Bob's process dies: the read cursor was written before it was answered; the delivery
    // cursor may have lost its last second, never more than that, and never moved past 4.
    await p2.kill9();
    const res = await alice.fetchReceipts(chat.id);
    expect(res.read).toEqual([{ userId: b.userId, seq: 4 }]);
    expect(res.delivered[0]!.seq).toBeLessThanOrEqual(4);
    // What the client shows does not go back.
    expect(alice.receipts(chat.id).delivered.get(b.userId)).toBe(4);
  });
});

