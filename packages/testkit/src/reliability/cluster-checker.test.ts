/**
 * The checker scenario against a cluster: three Natter processes on PostgreSQL and a real bus
 * (Redis, then NATS) behind a load balancer without sticky sessions. Processes are killed
 * with SIGKILL at random; their clients reconnect through the balancer to another process.
 * Lost, duplicated, reordered and divergent must all be 0, and so must the message-action
 * counts (stateDivergent, wrongFinalState: expect-clean.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { Balancer } from './balancer.js';
import { expectClean } from './expect-clean.js';
import { runScenario } from './scenario.js';
import { freePort, ServerProcess } from './server-process.js';

const PG_URL = process.env.NATTER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const BUSES = [
  ['redis', process.env.NATTER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'],
  ['nats', process.env.NATTER_TEST_NATS_URL ?? 'nats://127.0.0.1:4222'],
] as const;
const KILLS = Number(process.env.CHECKER_KILLS ?? 6);
const SENDS = Number(process.env.CHECKER_SENDS ?? 200);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

describe.each(BUSES)('fault-injecting checker, three processes on PostgreSQL + %s', (_name, busUrl) => {
  it(`loses, duplicates, reorders and diverges nothing across ${KILLS} kill -9s`, { timeout: 300_000 }, async () => {
    const schema = `natter_c_${randomBytes(6).toString('hex')}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'natter-cluster-'));
    const env = {
      DATABASE_URL: PG_URL,
      DATABASE_SCHEMA: schema,
      BUS_URL: busUrl,
      JWT_SECRET: randomBytes(32).toString('hex'),
      DATA_DIR: dataDir,
      DATABASE_POOL_MAX: '8',
    };
    const processes = [] as ServerProcess[];
    for (let i = 0; i < 3; i++) processes.push(new ServerProcess(await freePort(), env));
    const balancer = new Balancer(processes.map((p) => p.port));
    cleanups.push(async () => {
      await balancer.stop();
      for (const p of processes) await p.stop();
      rmSync(dataDir, { recursive: true, force: true });
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    });
    await Promise.all(processes.map((p) => p.start()));
    await balancer.start();

    const seed = Number(process.env.CHECKER_SEED ?? Date.now() % 1_000_000);
    let pick = seed;
    const result = await runScenario(
      {
        url: balancer.url,
        async fault() {
          const victim = processes[pick++ % processes.length]!;
          await victim.kill9();
          await sleep(100 + Math.random() * 400);
          await victim.start();
        },
      },
      { faults: KILLS, sendsPerDevice: SENDS, seed, log: (l) => console.log(`[${_name}] ${l}`) },
    );
    const kills = processes.reduce((n, p) => n + p.kills, 0);
    expect(kills).toBeGreaterThanOrEqual(KILLS);
    expect(result.faultsDuringTraffic).toBeGreaterThanOrEqual(5);
    expectClean(result, { minChecked: 1000 });
  });
});
