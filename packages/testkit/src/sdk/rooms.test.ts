/**
 * The SDK's live rooms and broadcasts against a real server: a broadcast reaches a user who was
 * offline on their next connect exactly once, and an online one live; fatigue caps hold; a room
 * viewer that reconnects gets the high-priority messages it missed, each shown once.
 */
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import type { Broadcast, RoomMessage } from '@natter/protocol';
import { NatterClient, type WebSocketFactory } from '@natter/client';
import { ADMIN_KEY, api, perTest, register, type TestServer } from '../harness.js';

const { start } = perTest();
const clients: NatterClient[] = [];
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
