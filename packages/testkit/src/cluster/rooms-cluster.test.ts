/**
 * A live room with viewers on three nodes (PostgreSQL, and a Redis or a NATS bus, with the
 * rooms' Ephemeral state on the same Redis or NATS): every viewer on every node gets every
 * message; each node subscribes the room's topic once and publishes at most one bus message
 * per tick (plus its viewer count once a second); viewer counts add up across nodes; a viewer
 * moving to another node gets the recent messages there.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { NatsBus, RedisBus, type Bus, type BusHandler } from '@natter/server';
import { ADMIN_KEY, api, RawClient, register, startTestServer, type TestServer } from '../harness.js';

const PG_URL = process.env.NATTER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const URLS = {
  redis: process.env.NATTER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  nats: process.env.NATTER_TEST_NATS_URL ?? 'nats://127.0.0.1:4222',
} as const;

/** Counts what a node publishes and subscribes, per topic. */
class CountingBus implements Bus {
  readonly published = new Map<string, number>();
  readonly subscribed = new Map<string, number>();
  constructor(private readonly inner: Bus) {}
  publish(topic: string, payload: string) {
    this.published.set(topic, (this.published.get(topic) ?? 0) + 1);
    return this.inner.publish(topic, payload);
  }
  subscribe(topic: string) {
    this.subscribed.set(topic, (this.subscribed.get(topic) ?? 0) + 1);
    return this.inner.subscribe(topic);
  }
  unsubscribe(topic: string) {
    return this.inner.unsubscribe(topic);
  }
  onMessage(handler: BusHandler) {
    this.inner.onMessage(handler);
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(Object.keys(URLS) as (keyof typeof URLS)[])('a live room on three nodes, PostgreSQL + %s', (kind) => {
  let nodes: TestServer[] = [];
  const clients: RawClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.ws.terminate();
    for (const n of nodes) await n.close();
    nodes = [];
  });

  it('reaches every viewer on every node with one bus message per tick per node, and counts viewers across nodes', async () => {
    const schema = `natter_r_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    const prefix = `rt${randomBytes(4).toString('hex')}`;
    const jwt = randomBytes(32).toString('hex');
    const buses: CountingBus[] = [];
    for (let i = 0; i < 3; i++) {
      const inner = kind === 'redis' ? await RedisBus.connect(URLS.redis, { prefix: `${prefix}:` }) : await NatsBus.connect(URLS.nats, { prefix });
      const bus = new CountingBus(inner);
      buses.push(bus);
      nodes.push(
        await startTestServer({ DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema, JWT_SECRET: jwt, BUS_URL: URLS[kind], BUS_PREFIX: prefix, ROOM_TICK_MS: 200 }, { bus }),
      );
    }
    const host = await register(nodes[0]!.url);
    const room = await api(
      nodes[0]!.url,
      'POST',
      '/v1/admin/rooms',
      { hostId: host.userId, settings: { anonymous: true, budgetPerViewer: 1000, userSendsPer10s: 1000, roomSendsPerSecond: 10_000 } },
      { 'x-admin-key': ADMIN_KEY },
    );
    const roomId = room.body.id as string;
    const viewers: RawClient[] = [];
    for (const n of nodes) {
      for (let i = 0; i < 20; i++) {
        const v = await RawClient.open(n.wsUrl);
        clients.push(v);
        viewers.push(v);
        expect((await v.request({ type: 'room.join', roomId })).type).toBe('result');
      }
    }
    const h = await RawClient.authed(nodes[0]!.wsUrl, host.accessToken);
    const fan = await register(nodes[1]!.url);
    const f = await RawClient.authed(nodes[1]!.wsUrl, fan.accessToken);
    clients.push(h, f);
    const published0 = buses.map((b) => b.published.get(`r:${roomId}`) ?? 0);
    const started = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const [a, b] = await Promise.all([
        h.request({ type: 'room.send', roomId, msgType: 'text', body: { text: `host ${i}` } }),
        f.request({ type: 'room.send', roomId, msgType: 'text', body: { text: `fan ${i}` } }),
      ]);
      ids.push(a.data.id, b.data.id);
      await sleep(50);
    }
    const elapsed = Date.now() - started;
    await sleep(1500);
    for (const v of viewers) {
      const got = v.frames.filter((x) => x.type === 'room').flatMap((x) => x.messages.map((m: any) => m.id));
      expect(new Set(got)).toEqual(new Set(ids));
    }
    // One subscription per node; at most one publish per tick (and a count a second) per node.
    for (const [i, b] of buses.entries()) {
      expect(b.subscribed.get(`r:${roomId}`)).toBe(1);
      const published = (b.published.get(`r:${roomId}`) ?? 0) - published0[i]!;
      expect(published).toBeLessThanOrEqual(Math.ceil((elapsed + 1500) / 200) + Math.ceil((elapsed + 1500) / 1000) + 2);
    }
    // Sixty messages from two nodes arrived in far fewer bus messages than messages.
    const sent = buses[0]!.published.get(`r:${roomId}`)! - published0[0]! + buses[1]!.published.get(`r:${roomId}`)! - published0[1]!;
    expect(sent).toBeLessThan(60);
    // Counts add up across the nodes.
    await expect.poll(() => viewers[0]!.frames.filter((x) => x.type === 'room').at(-1)?.viewers, { timeout: 5000 }).toBe(60);
    // A viewer of node 0 moving to node 2 asks with the newest id it has: nothing it has comes again.
    const moving = await RawClient.open(nodes[2]!.wsUrl);
    clients.push(moving);
    const last = ids.at(-3)!;
    const r = await moving.request({ type: 'room.join', roomId, since: last });
    expect(r.data.recent.filter((m: any) => m.priority === 'high').map((m: any) => m.id)).toEqual(ids.filter((id, i) => i % 2 === 0 && id > last));
  }, 60_000);
});
