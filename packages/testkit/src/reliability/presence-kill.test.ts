/**
 * Presence survives the death of a process: two built server processes on PostgreSQL with Redis,
 * then NATS (JetStream), as Bus and Ephemeral state. Users connected to process 1 are watched
 * from process 2 (one watcher told by pushes, one who only asked); process 1 is killed with
 * SIGKILL, so nothing announces anything. Every watched user must be shown offline on process 2
 * within the documented bound, 4/3 × PRESENCE_TTL_MS (plus a bus hop), never stay online.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import type { Presence } from '@natter/protocol';
import { NatterClient, type WebSocketFactory } from '@natter/client';
import { register } from '../harness.js';
import { freePort, ServerProcess } from './server-process.js';

const PG_URL = process.env.NATTER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const BACKENDS = [
  ['redis', process.env.NATTER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'],
  ['nats', process.env.NATTER_TEST_NATS_URL ?? 'nats://127.0.0.1:4222'],
] as const;
const TTL_MS = 3000;
/** The documented bound, and room for a bus hop and a loaded machine. */
const BOUND_MS = Math.ceil((TTL_MS * 4) / 3);
const SLACK_MS = 1500;
const USERS = 3;

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.each(BACKENDS)('presence when a process is killed, PostgreSQL + %s', (_name, url) => {
  it(`shows the killed process's users offline on the other within ${BOUND_MS} ms (+${SLACK_MS})`, { timeout: 60_000 }, async () => {
    const schema = `natter_pk_${randomBytes(6).toString('hex')}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'natter-presence-kill-'));
    const env = {
      DATABASE_URL: PG_URL,
      DATABASE_SCHEMA: schema,
      BUS_URL: url,
      EPHEMERAL_URL: url,
      BUS_PREFIX: `h21c_${randomBytes(4).toString('hex')}`,
      JWT_SECRET: randomBytes(32).toString('hex'),
      DATA_DIR: dataDir,
      PRESENCE_TTL_MS: String(TTL_MS),
      PRESENCE_GRACE_MS: '1000',
      REGISTRATIONS_PER_IP_PER_HOUR: '100000',
    };
    const [p1, p2] = [new ServerProcess(await freePort(), env), new ServerProcess(await freePort(), env)];
    const clients: NatterClient[] = [];
    cleanups.push(async () => {
      for (const c of clients) c.close();
      await p1.stop();
      await p2.stop();
      rmSync(dataDir, { recursive: true, force: true });
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    });
    await p1.start();
    await p2.start();
    const ws = (p: ServerProcess) => `ws://127.0.0.1:${p.port}/v1/ws`;
    const open = (p: ServerProcess, token: string) => {
      const c = new NatterClient({ url: ws(p), token, WebSocket: WebSocket as unknown as WebSocketFactory, backoff: { initialMs: 100, maxMs: 1000 } });
      clients.push(c);
      return c;
    };

    const watcher = await register(p2.url);
    const asker = await register(p2.url);
    const users: Awaited<ReturnType<typeof register>>[] = [];
    for (let i = 0; i < USERS; i++) users.push(await register(p2.url));
    const w = open(p2, watcher.accessToken);
    const seen = new Map<string, Presence[]>();
    w.on('presence', (p) => seen.set(p.userId, [...(seen.get(p.userId) ?? []), p]));
    await w.connect();
    for (const u of users) await w.openDirect(u.userId);
    const q = open(p2, asker.accessToken);
    await q.connect();
    await q.createGroup({ title: 'askers', members: users.map((u) => u.userId) });

    for (const u of users) await open(p1, u.accessToken).connect();
    await until(() => users.every((u) => w.presenceOf(u.userId)?.online === true), 5000);
    // The asker is never pushed (a group only); it watches because it asked.
    expect((await q.getPresence(users.map((u) => u.userId))).every((p) => p.online)).toBe(true);

    const killedAt = Date.now();
    await p1.kill9();
    await until(() => users.every((u) => w.presenceOf(u.userId)?.online === false && q.presenceOf(u.userId)?.online === false), BOUND_MS + SLACK_MS);
    const tookMs = Date.now() - killedAt;
    console.log(`presence: ${USERS} users of a killed process shown offline on the other after ${tookMs} ms (bound ${BOUND_MS} ms)`);
    for (const u of users) {
      const p = w.presenceOf(u.userId)!;
      // Last seen: the killed process's last refresh, at most a third of the TTL before the kill.
      expect(p.lastSeen).not.toBeNull();
      expect(p.lastSeen!).toBeLessThanOrEqual(killedAt + 50);
      expect(p.lastSeen!).toBeGreaterThanOrEqual(killedAt - TTL_MS / 3 - 500);
      // Online once, offline once: no flicker on the way.
      expect(seen.get(u.userId)!.map((x) => x.online)).toEqual([true, false]);
    }
    // A query on the surviving process agrees.
    expect((await q.getPresence(users.map((u) => u.userId))).every((p) => !p.online)).toBe(true);
  });
});
