/**
 * WORKERS=2: one command uses both cores — a node:cluster primary with two workers sharing the
 * port, on PostgreSQL and Redis. Clients land on either worker; messages cross between them,
 * and a killed worker is replaced while its clients reconnect to the other.
 */
import { randomBytes } from 'node:crypto';
import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { RawClient, register } from '../harness.js';
import { freePort, ServerProcess } from './server-process.js';

const PG_URL = process.env.NATTER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `natter_w_${randomBytes(6).toString('hex')}`;
const dataDir = mkdtempSync(join(tmpdir(), 'natter-workers-'));
let server: ServerProcess | undefined;

afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await c.end();
});

/** Pids of the primary's worker children. */
function workerPids(primary: number): number[] {
  const out = execSync(`ps -o pid= --ppid ${primary}`, { encoding: 'utf8' });
  return out.split('\n').map((l) => Number(l.trim())).filter((n) => n > 0);
}

describe('WORKERS=2', () => {
  it('serves from two workers that deliver to each other, and replaces a killed worker', { timeout: 60_000 }, async () => {
    server = new ServerProcess(await freePort(), {
      WORKERS: '2',
      DATABASE_URL: PG_URL,
      DATABASE_SCHEMA: schema,
      BUS_URL: 'redis://127.0.0.1:6379',
      JWT_SECRET: randomBytes(32).toString('hex'),
      DATA_DIR: dataDir,
    });
    await server.start();
    const primary = server.pid!;
    const deadline = Date.now() + 10_000;
    while (workerPids(primary).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const workers = workerPids(primary);
    expect(workers).toHaveLength(2);

    const wsUrl = server.url.replace('http', 'ws') + '/v1/ws';
    const [alice, bob] = [await register(server.url), await register(server.url)];
    // Several connections each, so both workers hold some (the primary deals them round-robin).
    const as = await Promise.all([0, 1, 2].map(() => RawClient.authed(wsUrl, alice.accessToken)));
    const bs = await Promise.all([0, 1, 2].map(() => RawClient.authed(wsUrl, bob.accessToken)));
    const conv = (await as[0]!.request({ type: 'conversation.direct', userId: bob.userId })).data;
    await as[0]!.request({ type: 'send', conversationId: conv.id, clientMsgId: 'w1', msgType: 'text', body: { text: 'to every device' } });
    for (const c of [...as, ...bs]) await c.waitFor((f) => f.type === 'message' && f.message.body?.text === 'to every device');

    process.kill(workers[0]!, 'SIGKILL');
    const replaced = Date.now() + 10_000;
    while (Date.now() < replaced) {
      const now = workerPids(primary);
      if (now.length === 2 && !now.includes(workers[0]!)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const after = workerPids(primary);
    expect(after).toHaveLength(2);
    expect(after).not.toContain(workers[0]);
    const fresh = await RawClient.authed(wsUrl, bob.accessToken);
    await as.find((c) => c.closeCode === null)!.request({ type: 'send', conversationId: conv.id, clientMsgId: 'w2', msgType: 'text', body: { text: 'after' } });
    await fresh.waitFor((f) => f.type === 'message' && f.message.body?.text === 'after');
    for (const c of [...as, ...bs, fresh]) c.close();
  });
});
