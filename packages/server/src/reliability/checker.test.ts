/**
 * The proof of Natter's delivery guarantees: SDK clients (some users on two devices) chat in
 * direct and group conversations while the server process is killed with SIGKILL at random
 * moments and restarted on the same data, and one device goes offline for a while. At the end
 * every device syncs and the checker counts lost, duplicated, reordered and divergent
 * messages: all four must be 0.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import type { Message } from '@natter/protocol';
import { MemoryCache, NatterClient, type WebSocketFactory } from '@natter/client';
import { check, type Ack } from './checker.js';
import { freePort, ServerProcess } from './server-process.js';

const KILLS = Number(process.env.CHECKER_KILLS ?? 6);
const SENDS_PER_DEVICE = Number(process.env.CHECKER_SENDS ?? 250);

// Seeded PRNG so a failing run can be replayed with CHECKER_SEED.
const seed = Number(process.env.CHECKER_SEED ?? Date.now() % 1_000_000);
let state = seed;
const rand = () => {
  state = (state * 1103515245 + 12345) % 2147483648;
  return state / 2147483648;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Device {
  name: string;
  userId: string;
  token: string;
  cache: MemoryCache;
  client: NatterClient;
  displayed: Message[];
}

const dataDir = mkdtempSync(join(tmpdir(), 'natter-checker-'));
let server: ServerProcess;
afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function post(path: string, body: unknown, token?: string): Promise<any> {
  const res = await fetch(server.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

function open(d: Omit<Device, 'client'> & { client?: NatterClient }, wsUrl: string): Device {
  const client = new NatterClient({
    url: wsUrl,
    token: d.token,
    WebSocket: WebSocket as unknown as WebSocketFactory,
    cache: d.cache,
    backoff: { initialMs: 50, maxMs: 500 },
    requestTimeoutMs: 3000,
  });
  client.on('message', (m) => d.displayed.push(m));
  return Object.assign(d, { client }) as Device;
}

describe('fault-injecting checker', () => {
  it(`loses, duplicates, reorders and diverges nothing across ${KILLS} kill -9s`, { timeout: 240_000 }, async () => {
    server = new ServerProcess(await freePort(), { DATA_DIR: dataDir, DURABILITY: 'normal' });
    await server.start();
    const wsUrl = server.url.replace('http', 'ws') + '/v1/ws';

    // Six users; the first two use two devices each.
    const users: { id: string; username: string; tokens: string[] }[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await post('/v1/auth/register', { username: `checker${i}`, password: 'a long enough password' });
      const tokens = [r.tokens.accessToken as string];
      if (i < 2) tokens.push((await post('/v1/auth/login', { username: `checker${i}`, password: 'a long enough password' })).accessToken);
      users.push({ id: r.user.id, username: `checker${i}`, tokens });
    }
    const devices: Device[] = [];
    for (const u of users) {
      u.tokens.forEach((token, k) => devices.push(open({ name: `${u.username}/d${k}`, userId: u.id, token, cache: new MemoryCache(), displayed: [] }, wsUrl)));
    }
    await Promise.all(devices.map((d) => d.client.connect()));
    const byUser = (id: string) => devices.find((d) => d.userId === id)!;

    // Three direct conversations and two groups.
    const members = new Map<string, string[]>();
    const ids = users.map((u) => u.id);
    for (const [x, y] of [
      [0, 1],
      [2, 3],
      [0, 4],
    ] as const) {
      const c = await byUser(ids[x]!).client.openDirect(ids[y]!);
      members.set(c.id, [ids[x]!, ids[y]!]);
    }
    for (const group of [
      [0, 1, 2, 3],
      [1, 3, 4, 5],
    ]) {
      const c = await byUser(ids[group[0]!]!).client.createGroup({ title: 'checker', members: group.slice(1).map((i) => ids[i]!) });
      members.set(c.id, group.map((i) => ids[i]!));
    }
    const convsOf = (userId: string) => [...members].filter(([, m]) => m.includes(userId)).map(([c]) => c);

    const acks: Ack[] = [];
    let sent = 0;
    let running = true;

    // Each device sends with a few requests in flight; the outbox retries across kills.
    const senders = devices.map(async (d, di) => {
      const convs = convsOf(d.userId);
      const inflight = new Set<Promise<void>>();
      // Keep sending until every kill has happened under traffic (bounded at 5x the base count).
      for (let i = 0; i < SENDS_PER_DEVICE || (server.kills < KILLS && i < SENDS_PER_DEVICE * 5); i++) {
        if (d.name === 'checker5/d0' && i === Math.floor(SENDS_PER_DEVICE / 3)) {
          // This device goes offline for a while (the app is closed), then reopens on its cache.
          await Promise.all(inflight);
          d.client.close();
          await sleep(4000);
          open(d, wsUrl);
          await d.client.connect();
        }
        const conv = convs[Math.floor(rand() * convs.length)]!;
        const clientMsgId = `${di}-${i}`;
        sent++;
        const client = d.client;
        const p = client.sendText(conv, `${d.name} #${i}`, { clientMsgId }).then((r) => {
          acks.push({ conversationId: conv, clientMsgId, senderId: d.userId, id: r.id, seq: r.seq });
        });
        inflight.add(p);
        void p.finally(() => inflight.delete(p));
        if (inflight.size >= 4) await Promise.race(inflight);
        if (rand() < 0.5) await sleep(rand() * 40);
      }
      await Promise.all(inflight);
    });

    let killsDuringTraffic = 0;
    const killer = (async () => {
      while (running && server.kills < KILLS) {
        await sleep(300 + rand() * 900);
        if (!running) break;
        await server.kill9();
        killsDuringTraffic++;
        await sleep(50 + rand() * 400);
        await server.start();
      }
    })();

    const all = Promise.all(senders);
    await all;
    running = false;
    await killer;

    for (const d of devices) {
      await d.client.syncNow();
      await d.client.idle();
    }

    const serverLogs = new Map<string, Message[]>();
    const reader = devices[0]!;
    for (const conv of members.keys()) {
      const owner = byUser(members.get(conv)![0]!);
      const log: Message[] = [];
      let after = 0;
      for (;;) {
        const res = await fetch(`${server.url}/v1/conversations/${conv}/messages?after=${after}&limit=200`, {
          headers: { authorization: `Bearer ${owner.token}` },
        });
        const page = (await res.json()) as { messages: Message[]; hasMore: boolean };
        log.push(...page.messages);
        if (!page.hasMore || page.messages.length === 0) break;
        after = page.messages[page.messages.length - 1]!.seq;
      }
      serverLogs.set(conv, log);
    }
    void reader;

    const result = check({
      acks,
      devices: devices.map((d) => ({ device: d.name, userId: d.userId, displayed: d.displayed })),
      members,
      serverLogs,
    });
    const stored = [...serverLogs.values()].reduce((n, l) => n + l.filter((m) => m.type === 'text').length, 0);
    console.log(
      `checker (seed ${seed}): kills=${server.kills} (during traffic ${killsDuringTraffic}) sent=${sent} acked=${acks.length} stored=${stored} ` +
        `checked=${result.checked} lost=${result.lost} duplicated=${result.duplicated} reordered=${result.reordered} divergent=${result.divergent}`,
    );
    if (result.details.length) console.log(result.details.join('\n'));
    for (const d of devices) d.client.close();

    expect(server.kills).toBeGreaterThanOrEqual(KILLS);
    expect(killsDuringTraffic).toBeGreaterThanOrEqual(5);
    expect(acks.length).toBe(sent);
    expect(result.checked).toBeGreaterThan(1000);
    expect({ lost: result.lost, duplicated: result.duplicated, reordered: result.reordered, divergent: result.divergent }).toEqual({
      lost: 0,
      duplicated: 0,
      reordered: 0,
      divergent: 0,
    });
  });
});
