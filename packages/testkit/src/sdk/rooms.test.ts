/**
 * The SDK's live rooms and broadcasts against a real server: a broadcast reaches a user who was
 * offline on their next connect exactly once, and an online one live; fatigue caps hold; a room
 * viewer that reconnects gets the high-priority messages it missed, each shown once; an anonymous
 * viewer (NatterRoomViewer) watches rooms that allow it, through reconnects and a server restart,
 * and cannot send.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import type { Broadcast, RoomMessage } from '@natter/protocol';
import { NatterClient, NatterClientError, NatterRoomViewer, type WebSocketFactory } from '@natter/client';
import { ADMIN_KEY, api, perTest, register, startTestServer, type TestServer } from '../harness.js';

const { start, defer } = perTest();
const clients: { close(): void }[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

function client(t: TestServer, token: string): NatterClient & { broadcasts: Broadcast[]; room: RoomMessage[]; unread: number[] } {
  const c = new NatterClient({ url: t.wsUrl, token, WebSocket: WebSocket as unknown as WebSocketFactory, backoff: { initialMs: 20, maxMs: 200 } });
  const broadcasts: Broadcast[] = [];
  const room: RoomMessage[] = [];
  const unread: number[] = [];
  c.on('broadcast', (b) => broadcasts.push(b));
  c.on('broadcastUnread', (n) => unread.push(n));
  c.on('roomMessage', (m) => room.push(m));
  clients.push(c);
  return Object.assign(c, { broadcasts, room, unread });
}

async function until(cond: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const admin = { 'x-admin-key': ADMIN_KEY };

async function broadcast(t: TestServer, body: unknown, extra: Record<string, unknown> = {}): Promise<Broadcast> {
  const r = await api(t.url, 'POST', '/v1/admin/broadcasts', { title: 'notice', body, ...extra }, admin);
  expect(r.status).toBe(201);
  return r.body;
}

describe('broadcasts', () => {
  it('reach a user who was offline on their next connect, exactly once, and online users live; stored once for everyone', async () => {
    const t = await start({ BROADCAST_MIN_INTERVAL_SECONDS: 0, BROADCAST_MAX_PER_WINDOW: 100 });
    const [a, b] = [await register(t.url), await register(t.url)];
    const online = client(t, b.accessToken);
    await online.connect();
    const sent = await broadcast(t, { text: 'maintenance at 02:00' });
    // Offline user: gets it on connect.
    const offline = client(t, a.accessToken);
    await offline.connect();
    await until(() => offline.broadcasts.length === 1);
    expect(offline.broadcasts[0]).toMatchObject({ id: sent.id, body: { text: 'maintenance at 02:00' } });
    // Live for the one who was online (announced, then synced after a short random delay).
    await until(() => online.broadcasts.length === 1);
    // Reconnecting and syncing again shows nothing twice.
    offline.dropConnection();
    await sleep(300);
    await offline.syncBroadcasts();
    await offline.syncBroadcasts();
    expect(offline.broadcasts.map((x) => x.id)).toEqual([sent.id]);
    expect(offline.unread.at(-1)).toBe(1);
    expect(await offline.readBroadcasts(sent.seq)).toBe(0);
    // A segment: only its users get it.
    const segment = await broadcast(t, { text: 'for b only' }, { userIds: [b.userId] });
    await until(() => online.broadcasts.length === 2);
    await offline.syncBroadcasts();
    expect(online.broadcasts.map((x) => x.id)).toEqual([sent.id, segment.id]);
    expect(offline.broadcasts.map((x) => x.id)).toEqual([sent.id]);
  });

  it('hold fatigue caps: a user gets at most the window cap, however many are sent; the rest wait', async () => {
    const t = await start({ BROADCAST_MIN_INTERVAL_SECONDS: 0, BROADCAST_MAX_PER_WINDOW: 2 });
    const a = await register(t.url);
    for (let i = 0; i < 4; i++) await broadcast(t, { text: `promo ${i}` });
    const c = client(t, a.accessToken);
    await c.connect();
    await until(() => c.broadcasts.length === 2);
    await c.syncBroadcasts();
    await sleep(200);
    expect(c.broadcasts.map((x) => (x.body as { text: string }).text)).toEqual(['promo 0', 'promo 1']);
    // Reconnecting does not get around the cap.
    c.dropConnection();
    await until(() => c.state.status === 'online');
    await c.syncBroadcasts();
    expect(c.broadcasts).toHaveLength(2);
  });
});

describe('live rooms through the SDK', () => {
  it('a viewer that reconnects gets the high-priority messages it missed, each shown once', async () => {
    const t = await start({ ROOM_TICK_MS: 100 });
    const [h, v] = [await register(t.url), await register(t.url)];
    const host = client(t, h.accessToken);
    const viewer = client(t, v.accessToken);
    await Promise.all([host.connect(), viewer.connect()]);
    const room = (await api(t.url, 'POST', '/v1/admin/rooms', { hostId: h.userId, settings: { retention: 20 } }, admin)).body;
    await viewer.joinRoom(room.id);
    await host.sendRoom(room.id, 'text', { text: 'welcome' });
    await until(() => viewer.room.length === 1);
    viewer.dropConnection();
    const missed: string[] = [];
    for (let i = 0; i < 3; i++) missed.push((await host.sendRoom(room.id, 'text', { text: `while away ${i}` })).id);
    await until(() => viewer.state.status === 'online');
    await until(() => viewer.room.length === 4);
    await sleep(300);
    const ids = viewer.room.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.slice(1)).toEqual(missed);
    // And live again afterwards.
    await host.sendRoom(room.id, 'gift', { gift: 'rocket' });
    await until(() => viewer.room.length === 5);
    expect(viewer.room[4]).toMatchObject({ type: 'gift', priority: 'high' });
  });
});

/** An anonymous viewer that records what it is given. */
function anonymous(t: { wsUrl: string }): NatterRoomViewer & { room: RoomMessage[]; viewers: number[] } {
  const v = new NatterRoomViewer({ url: t.wsUrl, WebSocket: WebSocket as unknown as WebSocketFactory, backoff: { initialMs: 20, maxMs: 200 } });
  const room: RoomMessage[] = [];
  const viewers: number[] = [];
  v.on('roomMessage', (m) => room.push(m));
  v.on('roomState', (s) => viewers.push(s.viewers));
  clients.push(v);
  return Object.assign(v, { room, viewers });
}

const notice = (t: { url: string }, roomId: string, text: string) => api(t.url, 'POST', `/v1/admin/rooms/${roomId}/messages`, { body: { text } }, admin);

describe('anonymous room viewers (NatterRoomViewer)', () => {
  it.each(['json', 'compact'])('join a room that allows them: recent messages, then live ones of both priorities and the viewer count (%s frames)', async (encoding) => {
    const t = await start({ ROOM_TICK_MS: 100, ROOM_FRAME_ENCODING: encoding });
    const [h, u] = [await register(t.url), await register(t.url)];
    const [host, chatter] = [client(t, h.accessToken), client(t, u.accessToken)];
    await Promise.all([host.connect(), chatter.connect()]);
    const room = (await api(t.url, 'POST', '/v1/admin/rooms', { hostId: h.userId, settings: { anonymous: true } }, admin)).body;
    const before = [(await host.sendRoom(room.id, 'text', { text: 'welcome' })).id, (await chatter.sendRoom(room.id, 'text', { text: 'hi all' })).id];
    await sleep(250);
    const v = anonymous(t);
    const joined = await v.join(room.id);
    expect(joined.recent.map((m) => m.id)).toEqual(before);
    expect(v.room.map((m) => m.id)).toEqual(before);
    expect(v.state.status).toBe('online');
    const live = [(await chatter.sendRoom(room.id, 'text', { text: 'normal' })).id, (await chatter.sendRoom(room.id, 'gift', { gift: 'rose' })).id];
    await until(() => v.room.length === 4);
    expect(v.room.slice(2).map((m) => [m.id, m.priority])).toEqual([
      [live[0], 'normal'],
      [live[1], 'high'],
    ]);
    expect(v.room[3]).toMatchObject({ roomId: room.id, senderId: u.userId, type: 'gift', body: { gift: 'rose' } });
    // The two clients are not in the room; the viewer is.
    await until(() => v.viewers.length > 0);
    expect(v.viewers.at(-1)).toBe(1);
    // After leaving, nothing more arrives.
    await v.leave(room.id);
    await chatter.sendRoom(room.id, 'gift', { gift: 'after' });
    await sleep(300);
    expect(v.room).toHaveLength(4);
    expect(v.rooms).toEqual([]);
  });

  it('is refused with not_authenticated by a room that does not allow anonymous viewers, which it then does not watch', async () => {
    const t = await start({ ROOM_TICK_MS: 100 });
    const h = await register(t.url);
    const closed = (await api(t.url, 'POST', '/v1/admin/rooms', { hostId: h.userId, settings: { anonymous: false } }, admin)).body;
    const open = (await api(t.url, 'POST', '/v1/admin/rooms', { hostId: h.userId, settings: { anonymous: true } }, admin)).body;
    const v = anonymous(t);
    const err = await v.join(closed.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NatterClientError);
    expect((err as NatterClientError).code).toBe('not_authenticated');
    expect(await v.join('r_doesnotexist').catch((e: unknown) => e)).toMatchObject({ code: 'not_found' });
    expect(v.rooms).toEqual([]);
    // The connection serves the rooms that do allow it.
    await v.join(open.id);
    await notice(t, closed.id, 'not for anonymous eyes');
    await notice(t, open.id, 'for everyone');
    await until(() => v.room.length === 1);
    await sleep(300);
    expect(v.room.map((m) => m.roomId)).toEqual([open.id]);
  });

  it('cannot send: send rejects with not_authenticated and nothing reaches the room', async () => {
    const t = await start({ ROOM_TICK_MS: 100 });
    const h = await register(t.url);
    const room = (await api(t.url, 'POST', '/v1/admin/rooms', { hostId: h.userId, settings: { anonymous: true } }, admin)).body;
    const [v, watcher] = [anonymous(t), anonymous(t)];
    await Promise.all([v.join(room.id), watcher.join(room.id)]);
    const err = await v.send(room.id, 'text', { text: 'let me in' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'NatterClientError', code: 'not_authenticated', retryable: false });
    // Nor does the server take a room.send on the anonymous socket (a client that bypasses the SDK).
    const raw = new WebSocket(t.wsUrl);
    await new Promise((r) => raw.once('open', r));
    const answer = new Promise<string>((r) => raw.once('message', (d: Buffer) => r(d.toString())));
    raw.send(JSON.stringify({ type: 'room.send', id: 1, roomId: room.id, msgType: 'text', body: { text: 'raw' } }));
    expect(JSON.parse(await answer)).toMatchObject({ type: 'error', id: 1, error: { code: 'not_authenticated' } });
    raw.close();
    await sleep(300);
    expect(watcher.room).toEqual([]);
  });

  it('joins again after a dropped connection and after a server restart, showing each message once', async () => {
    // One database for both lives of the server (PostgreSQL: a schema of our own, dropped at the end).
    const dataDir = mkdtempSync(join(tmpdir(), 'natter-viewer-'));
    const pgUrl = process.env.NATTER_TEST_DATABASE_URL;
    const schema = `natter_v_${randomBytes(6).toString('hex')}`;
    const db: Record<string, string> = pgUrl ? { DATABASE_URL: pgUrl, DATABASE_SCHEMA: schema } : {};
    let t: TestServer | null = await startTestServer({ ROOM_TICK_MS: 100, DATA_DIR: dataDir, ...db });
    defer(async () => {
      await t?.close();
      rmSync(dataDir, { recursive: true, force: true });
      if (!pgUrl) return;
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    });
    const h = await register(t.url);
    const room = (await api(t.url, 'POST', '/v1/admin/rooms', { hostId: h.userId, settings: { anonymous: true, retention: 20 } }, admin)).body;
    const v = anonymous(t);
    await v.join(room.id);
    await notice(t, room.id, 'first');
    await until(() => v.room.length === 1);

    // A dropped connection: what was sent meanwhile (high priority) comes with the join again, once.
    v.dropConnection();
    for (let i = 0; i < 3; i++) await notice(t, room.id, `while away ${i}`);
    await until(() => v.state.status === 'online');
    await until(() => v.room.length === 4);

    // A restart on the same port and database: the viewer reconnects and joins again by itself.
    const port = new URL(t.url).port;
    const states: string[] = [];
    v.on('state', (s) => states.push(s.status));
    const countsBefore = v.viewers.length;
    await t.close();
    t = null;
    await until(() => states.includes('offline'));
    t = await startTestServer({ ROOM_TICK_MS: 100, DATA_DIR: dataDir, PORT: Number(port), ...db });
    // Joined again: the restarted server's first tick tells it the count.
    await until(() => v.viewers.length > countsBefore);
    await notice(t, room.id, 'after the restart');
    await until(() => v.room.length === 5);
    await sleep(300);
    const ids = v.room.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(v.room.map((m) => (m.body as { text: string }).text)).toEqual(['first', 'while away 0', 'while away 1', 'while away 2', 'after the restart']);
    expect(v.rooms).toEqual([room.id]);
  });
});
