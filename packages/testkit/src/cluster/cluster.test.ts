/**
 * Cluster behaviour with two Natter nodes on one PostgreSQL schema and a real bus (Redis,
 * then NATS): what used to be per-process must hold across processes — delivery, device
 * revocation closing sockets on the other node, login rate limits — and routing must scale:
 * a node receives bus traffic only for the users and conversations it serves.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { NatsBus, RedisBus, type Bus, type BusHandler } from '@natter/server';
import { api, RawClient, register, startTestServer, type TestServer } from '../harness.js';

const PG_URL = process.env.NATTER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const BUSES = [
  ['redis', () => RedisBus.connect(process.env.NATTER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379')],
  ['nats', () => NatsBus.connect(process.env.NATTER_TEST_NATS_URL ?? 'nats://127.0.0.1:4222')],
] as const;

/** Wraps a bus to count what the node receives, per topic. */
class CountingBus implements Bus {
  readonly received = new Map<string, number>();
  constructor(private readonly inner: Bus) {}
  publish(topic: string, payload: string) {
    return this.inner.publish(topic, payload);
  }
  subscribe(topic: string) {
    return this.inner.subscribe(topic);
  }
  unsubscribe(topic: string) {
    return this.inner.unsubscribe(topic);
  }
  onMessage(handler: BusHandler) {
    this.inner.onMessage((topic, payload) => {
      this.received.set(topic, (this.received.get(topic) ?? 0) + 1);
      handler(topic, payload);
    });
  }
  close() {
    return this.inner.close();
  }
}

const schemas: string[] = [];
afterAll(async () => {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await c.end();
});

describe.each(BUSES)('two nodes on PostgreSQL + %s', (_name, connectBus) => {
  let nodes: TestServer[] = [];
  let buses: CountingBus[] = [];
  afterEach(async () => {
    for (const n of nodes) await n.close();
    nodes = [];
    buses = [];
  });

  async function twoNodes(extra: Record<string, string | number> = {}) {
    const schema = `natter_k_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    const jwt = randomBytes(32).toString('hex');
    for (let i = 0; i < 2; i++) {
      const bus = new CountingBus(await connectBus());
      buses.push(bus);
      nodes.push(await startTestServer({ DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema, JWT_SECRET: jwt, ...extra }, { bus }));
    }
    return nodes as [TestServer, TestServer];
  }

  it('delivers between users connected to different nodes', async () => {
    const [a, b] = await twoNodes();
    const alice = await register(a.url);
    const bob = await register(a.url);
    const ca = await RawClient.authed(a.wsUrl, alice.accessToken);
    const cb = await RawClient.authed(b.wsUrl, bob.accessToken);
    const conv = (await ca.request({ type: 'conversation.direct', userId: bob.userId })).data;
    await cb.waitFor((f) => f.type === 'conversation' && f.conversation.id === conv.id);
    await ca.request({ type: 'send', conversationId: conv.id, clientMsgId: 'x', msgType: 'text', body: { text: 'across' } });
    const got = await cb.waitFor((f) => f.type === 'message' && f.message.body.text === 'across');
    expect(got.message.senderId).toBe(alice.userId);
    ca.close();
    cb.close();
  });

  it('closes a revoked device’s socket on the other node within 2 s', async () => {
    const [a, b] = await twoNodes();
    const u = await register(a.url);
    const other = await api(a.url, 'POST', '/v1/auth/login', { username: u.username, password: 'correct horse battery' });
    const onB = await RawClient.authed(b.wsUrl, u.accessToken);
    const keep = await RawClient.authed(b.wsUrl, other.body.accessToken);
    const started = Date.now();
    const r = await api(a.url, 'DELETE', `/v1/me/devices/${u.deviceId}`, undefined, { authorization: `Bearer ${other.body.accessToken}` });
    expect(r.status).toBe(204);
    expect(await onB.waitClosed(2000)).toBe(3502);
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await keep.request({ type: 'ping' })).type).toBe('result');
    keep.close();
  });

  it('counts failed logins on every node against the same limit', async () => {
    const [a, b] = await twoNodes({ LOGIN_ATTEMPTS_PER_ACCOUNT: 3 });
    const u = await register(a.url);
    for (const node of [a, b, a]) {
      const r = await api(node.url, 'POST', '/v1/auth/login', { username: u.username, password: 'wrong password!' });
      expect(r.body.error.code).toBe('invalid_credentials');
    }
    const locked = await api(b.url, 'POST', '/v1/auth/login', { username: u.username, password: 'correct horse battery' });
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('rate_limited');
  });

  it('routes traffic only to the node that serves the users and conversations', async () => {
    const [a] = await twoNodes();
    const [alice, bob] = [await register(a.url), await register(a.url)];
    const ca = await RawClient.authed(a.wsUrl, alice.accessToken);
    const cb = await RawClient.authed(a.wsUrl, bob.accessToken);
    const conv = (await ca.request({ type: 'conversation.direct', userId: bob.userId })).data;
    for (let i = 0; i < 20; i++) await ca.request({ type: 'send', conversationId: conv.id, clientMsgId: `r${i}`, msgType: 'text', body: { text: `r${i}` } });
    await cb.waitFor((f) => f.type === 'message' && f.message.body.text === 'r19');
    // Node B serves nobody: the bus brought it nothing of this conversation or these users.
    expect([...buses[1]!.received.keys()]).toEqual([]);
    expect(buses[0]!.received.get(`c:${conv.id}`)).toBeGreaterThanOrEqual(20);
    ca.close();
    cb.close();
  });
});
