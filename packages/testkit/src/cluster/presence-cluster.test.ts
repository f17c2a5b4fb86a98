/**
 * Typing and presence across two Natter processes on one PostgreSQL schema, with Redis and then
 * NATS (JetStream) as both Bus and Ephemeral state: a typist on one process is shown on the other,
 * presence follows a user whichever process they connect to, and a reconnect that moves a user to
 * the other process within the grace period shows no offline.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import WebSocket from 'ws';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Presence } from '@natter/protocol';
import { NatterClient, type TypingEvent, type WebSocketFactory } from '@natter/client';
import { register, startTestServer, type TestServer } from '../harness.js';

const PG_URL = process.env.NATTER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const BACKENDS = [
  ['redis', process.env.NATTER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'],
  ['nats', process.env.NATTER_TEST_NATS_URL ?? 'nats://127.0.0.1:4222'],
] as const;

const schemas: string[] = [];
afterAll(async () => {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await c.end();
});

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(BACKENDS)('typing and presence across two processes on PostgreSQL + %s', (_name, url) => {
  let nodes: TestServer[] = [];
  const clients: NatterClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const n of nodes) await n.close();
    nodes = [];
  });

  async function twoNodes(extra: Record<string, string | number> = {}): Promise<[TestServer, TestServer]> {
    const schema = `natter_p_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    // A prefix of its own: bus channels and ephemeral entries apart from every other test's.
    const env = { DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema, JWT_SECRET: randomBytes(32).toString('hex'), BUS_URL: url, EPHEMERAL_URL: url, BUS_PREFIX: `h21c_${randomBytes(4).toString('hex')}` };
    for (let i = 0; i < 2; i++) nodes.push(await startTestServer({ ...env, PRESENCE_TTL_MS: 1500, PRESENCE_GRACE_MS: 1000, TYPING_TTL_MS: 1000, ...extra }));
    return nodes as [TestServer, TestServer];
  }

  function client(node: TestServer | (() => TestServer), token: string | (() => Promise<string>)) {
    const typingEvents: TypingEvent[] = [];
    const presenceEvents: Presence[] = [];
    // A function picks the node at each connect: a reconnect may land on the other process.
    let target = typeof node === 'function' ? node : () => node;
    const c = new NatterClient({
      url: 'ws://unused',
      token,
      WebSocket: class extends (WebSocket as unknown as new (u: string) => object) {
        constructor(_u: string) {
          super(target().wsUrl);
        }
      } as unknown as WebSocketFactory,
      backoff: { initialMs: 20, maxMs: 200 },
    });
    c.on('typing', (e) => typingEvents.push(e));
    c.on('presence', (p) => presenceEvents.push(p));
    clients.push(c);
    return Object.assign(c, { typingEvents, presenceEvents, retarget: (n: () => TestServer) => (target = n) });
  }

  it('shows a typist on one process to the other member on the other, and lapses', async () => {
    const [a, b] = await twoNodes();
    const [u1, u2] = [await register(a.url), await register(a.url)];
    const alice = client(a, u1.accessToken);
    const bob = client(b, u2.accessToken);
    await Promise.all([alice.connect(), bob.connect()]);
    const chat = await alice.openDirect(u2.userId);
    await bob.syncNow();
    await sleep(100); // bob's process subscribes to the new conversation
    await alice.typing(chat.id);
    await until(() => bob.typists(chat.id).includes(u1.userId));
    await until(() => bob.typists(chat.id).length === 0, 3000);
    expect(bob.typingEvents.map((e) => e.typing)).toEqual([true, false]);
    expect(alice.typingEvents).toEqual([]);
  });

  it('pushes presence across processes, online and offline with last seen', async () => {
    const [a, b] = await twoNodes();
    const [u1, u2] = [await register(a.url), await register(a.url)];
    const alice = client(a, u1.accessToken);
    await alice.connect();
    await alice.openDirect(u2.userId);
    const bob = client(b, u2.accessToken);
    await bob.connect();
    await until(() => alice.presenceOf(u2.userId)?.online === true);
    const left = Date.now();
    bob.close();
    await until(() => alice.presenceOf(u2.userId)?.online === false, 5000);
    expect(alice.presenceOf(u2.userId)!.lastSeen).toBeGreaterThanOrEqual(left - 1500);
    // The other process answers a query the same way.
    const carol = client(b, u1.accessToken);
    await carol.connect();
    expect((await carol.getPresence([u2.userId]))[0]).toMatchObject({ online: false });
  });

  it('shows no offline when a reconnect moves the user to the other process within the grace', async () => {
    const [a, b] = await twoNodes({ PRESENCE_GRACE_MS: 4000 });
    const [u1, u2] = [await register(a.url), await register(a.url)];
    const alice = client(a, u1.accessToken);
    await alice.connect();
    await alice.openDirect(u2.userId);
    let blipUntil = 0;
    const bob = client(a, async () => {
      const wait = blipUntil - Date.now();
      if (wait > 0) await sleep(wait);
      return u2.accessToken;
    });
    await bob.connect();
    await until(() => alice.presenceOf(u2.userId)?.online === true);
    bob.retarget(() => b);
    blipUntil = Date.now() + 2000;
    bob.dropConnection();
    await until(() => bob.state.status === 'online', 6000);
    expect([a.server.delivery.connectionCount, b.server.delivery.connectionCount]).toEqual([1, 1]);
    await sleep(4500);
    expect(alice.presenceEvents.filter((p) => p.userId === u2.userId && !p.online)).toEqual([]);
    expect((await alice.getPresence([u2.userId]))[0]).toMatchObject({ online: true, lastSeen: null });
  }, 20_000);
});

describe('a NATS bus without JetStream', () => {
  it('still starts, with presence and typing kept per process', { timeout: 30_000 }, async () => {
    const { OwnDaemon } = await import('../reliability/own-services.js');
    const nats = new OwnDaemon('nats');
    await nats.start();
    let node: TestServer | null = null;
    const clients: NatterClient[] = [];
    try {
      const started = Date.now();
      node = await startTestServer({ BUS_URL: nats.url, PRESENCE_GRACE_MS: 200 });
      expect(Date.now() - started).toBeLessThan(10_000);
      const [u1, u2] = [await register(node.url), await register(node.url)];
      const open = (token: string) => {
        const c = new NatterClient({ url: node!.wsUrl, token, WebSocket: WebSocket as unknown as WebSocketFactory });
        clients.push(c);
        return c;
      };
      const alice = open(u1.accessToken);
      await alice.connect();
      const chat = await alice.openDirect(u2.userId);
      const bob = open(u2.accessToken);
      await bob.connect();
      await until(() => alice.presenceOf(u2.userId)?.online === true);
      await alice.typing(chat.id);
      await until(() => bob.typists(chat.id).includes(u1.userId));
    } finally {
      for (const c of clients) c.close();
      await node?.close();
      await nats.destroy();
    }
  });
});
