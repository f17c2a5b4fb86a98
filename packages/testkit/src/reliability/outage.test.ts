/**
 * Failure behaviour of a two-process cluster when a dependency goes away for OUTAGE_MS
 * (30 s by default), each on its own private instance so the shared services are untouched:
 * - PostgreSQL down: sends fail as `unavailable` and the SDK outbox retries them; nothing is
 *   acknowledged that was not stored; afterwards 0 lost, 0 duplicated.
 * - Redis / NATS down: no process crashes, sends are still stored and acknowledged, live
 *   delivery between processes pauses and resumes by itself (clients are told to resync).
 * The checker scenario runs throughout; all four counts must be 0.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryBroker } from '@natter/server';
import { RawClient, register, startTestServer, type TestServer } from '../harness.js';
import { Balancer } from './balancer.js';
import { OwnDaemon, OwnPostgres } from './own-services.js';
import { expectClean } from './expect-clean.js';
import { runScenario } from './scenario.js';

const OUTAGE_MS = Number(process.env.OUTAGE_MS ?? 30_000);
const SHARED_PG = process.env.NATTER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

async function cluster(nodes: () => Promise<TestServer>[]): Promise<{ servers: TestServer[]; balancer: Balancer }> {
  const servers = await Promise.all(nodes());
  const balancer = new Balancer(servers.map((s) => s.server.port));
  await balancer.start();
  cleanups.push(async () => {
    await balancer.stop();
    for (const s of servers) await s.close();
  });
  return { servers, balancer };
}

describe('PostgreSQL outage', () => {
  it(`acknowledges nothing falsely while PostgreSQL is down for ${OUTAGE_MS / 1000} s and loses nothing`, { timeout: OUTAGE_MS + 120_000 }, async () => {
    const db = new OwnPostgres();
    cleanups.push(() => db.destroy());
    await db.init();
    const broker = new MemoryBroker();
    const jwt = randomBytes(32).toString('hex');
    const { servers, balancer } = await cluster(() =>
      [0, 1].map(() => startTestServer({ DATABASE_URL: db.url, JWT_SECRET: jwt, DATABASE_POOL_MAX: 5 }, { bus: broker.attach() })),
    );
    let healthyDuringOutage = 0;
    let ackedDuringOutage = -1;
    let acksAtStop = 0;
    const result = await runScenario(
      {
        url: balancer.url,
        async fault() {
          await db.stop();
          // Counted from when PostgreSQL is down: a commit it finished while shutting down was
          // durable, and its answer may reach the process a moment after stop() returns. (A false
          // ack in this moment would still show: the checker counts it lost.)
          await sleep(100);
          acksAtStop = Number(await servers[0]!.server.metrics.commitBatch.get().then((m) => m.values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0));
          const until = Date.now() + OUTAGE_MS;
          while (Date.now() < until) {
            // The processes keep serving: health checks answer throughout.
            for (const s of servers) if ((await fetch(`${s.url}/healthz`)).ok) healthyDuringOutage++;
            await sleep(1000);
          }
          const now = Number(await servers[0]!.server.metrics.commitBatch.get().then((m) => m.values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0));
          ackedDuringOutage = now - acksAtStop;
          await db.start();
        },
      },
      { faults: 1, sendsPerDevice: 120, seed: Date.now() % 1_000_000, faultGapMs: { min: 1500, spread: 500 }, log: (l) => console.log(`[pg outage] ${l}`) },
    );
    console.log(`[pg outage] health answers during outage: ${healthyDuringOutage}; commits during outage: ${ackedDuringOutage}`);
    expect(healthyDuringOutage).toBeGreaterThan(0);
    expect(ackedDuringOutage).toBe(0);
    expect(result.faults).toBe(1);
    expectClean(result, { minChecked: 500 });
  });
});

describe.each(['redis', 'nats'] as const)('%s outage', (kind) => {
  it(`keeps storing and resumes live delivery by itself after ${kind} is down for ${OUTAGE_MS / 1000} s`, { timeout: OUTAGE_MS + 120_000 }, async () => {
    const daemon = new OwnDaemon(kind);
    cleanups.push(() => daemon.destroy());
    await daemon.start();
    const schema = sharedSchema();
    const jwt = randomBytes(32).toString('hex');
    const { servers, balancer } = await cluster(() =>
      [0, 1].map(() => startTestServer({ DATABASE_URL: SHARED_PG, DATABASE_SCHEMA: schema, BUS_URL: daemon.url, JWT_SECRET: jwt })),
    );
    let storedDuringOutage = 0;
    const result = await runScenario(
      {
        url: balancer.url,
        async fault() {
          const before = await countStored(servers[0]!);
          await daemon.stop();
          await sleep(OUTAGE_MS);
          storedDuringOutage = (await countStored(servers[0]!)) - before;
          await daemon.start();
        },
      },
      { faults: 1, sendsPerDevice: 150, seed: Date.now() % 1_000_000, faultGapMs: { min: 1500, spread: 500 }, log: (l) => console.log(`[${kind} outage] ${l}`) },
    );
    const busErrors = (await servers[0]!.server.metrics.busErrors.get()).values[0]?.value ?? 0;
    console.log(`[${kind} outage] commits during outage: ${storedDuringOutage}; bus errors counted: ${busErrors}`);
    expect(storedDuringOutage).toBeGreaterThan(0);
    expect(result.faults).toBe(1);
    expectClean(result, { minChecked: 500 });
  });
});

describe('redis connection lost by one process only', () => {
  it("tells the other process's clients what it could not publish, once its connection is back", { timeout: 60_000 }, async () => {
    const daemon = new OwnDaemon('redis');
    cleanups.push(() => daemon.destroy());
    await daemon.start();
    // Process A reaches Redis through a proxy, which is cut; process B's connection never breaks.
    const proxy = new Balancer([daemon.port]);
    await proxy.start();
    cleanups.push(() => proxy.stop());
    const schema = sharedSchema();
    const common = { DATABASE_URL: SHARED_PG, DATABASE_SCHEMA: schema, JWT_SECRET: randomBytes(32).toString('hex') };
    const a = await startTestServer({ ...common, BUS_URL: `redis://127.0.0.1:${proxy.port}` });
    const b = await startTestServer({ ...common, BUS_URL: daemon.url });
    cleanups.push(async () => {
      await a.close();
      await b.close();
    });
    const alice = await register(a.url);
    const bob = await register(b.url);
    const onA = await RawClient.authed(a.wsUrl, alice.accessToken);
    const onB = await RawClient.authed(b.wsUrl, bob.accessToken);
    cleanups.push(async () => {
      onA.close();
      onB.close();
    });
    const direct = (await onA.request({ type: 'conversation.direct', userId: bob.userId })).data.id as string;
    await onB.waitFor((f) => f.type === 'conversation' && f.conversation.id === direct);

    await proxy.stop();
    await sleep(300);
    const sent = await onA.request({ type: 'send', conversationId: direct, clientMsgId: 'k1', msgType: 'text', body: { text: 'while A is cut off' } });
    expect(sent.type).toBe('result');
    // Bob is added to a group meanwhile: the event that routes it to him on B is lost too.
    const group = (await onA.request({ type: 'conversation.create', title: 'g', members: [bob.userId] })).data.id as string;
    expect((await a.server.metrics.busErrors.get()).values[0]?.value ?? 0).toBeGreaterThan(0);
    await sleep(500);
    const missed = (f: { type: string; message?: { conversationId: string; seq: number } }) =>
      f.type === 'resync' || (f.type === 'message' && (f.message!.conversationId === group || f.message!.seq === sent.data.seq));
    expect(onB.frames.filter(missed)).toEqual([]);

    await proxy.start(proxy.port);
    await onB.waitFor((f) => f.type === 'resync', 15_000);
    const page = await onB.request({ type: 'messages', conversationId: direct, after: sent.data.seq - 1 });
    expect(page.data.messages.map((m: { seq: number }) => m.seq)).toEqual([sent.data.seq]);
    // B routes the group to bob now: what is sent there reaches him live.
    await onA.request({ type: 'send', conversationId: group, clientMsgId: 'k2', msgType: 'text', body: { text: 'in the group' } });
    const live = await onB.waitFor((f) => f.type === 'message' && f.message.conversationId === group && f.message.type === 'text');
    expect(live.message.body).toEqual({ text: 'in the group' });
  });
});

/** A schema of its own on the shared PostgreSQL, dropped after the tests. */
function sharedSchema(): string {
  const schema = `natter_o_${randomBytes(6).toString('hex')}`;
  cleanups.push(async () => {
    const c = new pg.Client({ connectionString: SHARED_PG });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await c.end();
  });
  return schema;
}

async function countStored(t: TestServer): Promise<number> {
  const m = await t.server.metrics.commitBatch.get();
  return m.values.find((v) => v.metricName === 'natter_commit_batch_size_count')?.value ?? 0;
}
