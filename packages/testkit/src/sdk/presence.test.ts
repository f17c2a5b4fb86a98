/**
 * Typing indicators and presence through the SDK against a real server (SQLite by default;
 * NATTER_TEST_DATABASE_URL=postgres://… runs the same on PostgreSQL): what an app shows —
 * "Bob is typing…", "online", "last seen" — and the bad input a client may send.
 */
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import type { Presence } from '@natter/protocol';
import { NatterClient, NatterClientError, type TypingEvent, type WebSocketFactory } from '@natter/client';
import { RawClient, register, startTestServer, type TestServer } from '../harness.js';

let t: TestServer | null = null;
const clients: NatterClient[] = [];
const raws: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const r of raws.splice(0)) r.close();
  await t?.close();
  t = null;
});

const FAST = { PRESENCE_TTL_MS: 1500, PRESENCE_GRACE_MS: 400, TYPING_TTL_MS: 800 };

async function server(extra: Record<string, number> = {}): Promise<TestServer> {
  t = await startTestServer({ ...FAST, ...extra });
  return t;
}

type Watched = NatterClient & { typingEvents: TypingEvent[]; presenceEvents: Presence[] };

function client(token: string | (() => Promise<string>)): Watched {
  const c = new NatterClient({ url: t!.wsUrl, token, WebSocket: WebSocket as unknown as WebSocketFactory, backoff: { initialMs: 20, maxMs: 200 } });
  const typingEvents: TypingEvent[] = [];
  const presenceEvents: Presence[] = [];
  c.on('typing', (e) => typingEvents.push(e));
  c.on('presence', (p) => presenceEvents.push(p));
  clients.push(c);
  return Object.assign(c, { typingEvents, presenceEvents });
}

async function until(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('typing', () => {
  it('shows the other member typing, lapses by itself, and ends at once on stop', async () => {
    await server();
    const [a, b] = [await register(t!.url), await register(t!.url)];
    const alice = client(a.accessToken);
    const bob = client(b.accessToken);
    await Promise.all([alice.connect(), bob.connect()]);
    const chat = await alice.openDirect(b.userId);
    await bob.syncNow();

    await alice.typing(chat.id);
    await until(() => bob.typists(chat.id).includes(a.userId));
    expect(bob.typingEvents).toEqual([{ conversationId: chat.id, userId: a.userId, typing: true }]);
    // Nobody repeats it: it lapses after TYPING_TTL_MS.
    await until(() => bob.typists(chat.id).length === 0, 3000);
    expect(bob.typingEvents.at(-1)).toEqual({ conversationId: chat.id, userId: a.userId, typing: false });

    await alice.typing(chat.id).catch(() => {}); // within 3 s of the last start: not sent again
    await sleep(50);
    expect(bob.typingEvents).toHaveLength(2);
    await alice.stopTyping(chat.id);
    // The typer's own devices never get their own typing.
    expect(alice.typingEvents).toEqual([]);
  });

  it('stop ends the indicator before it would lapse', async () => {
    await server({ TYPING_TTL_MS: 10_000 });
    const [a, b] = [await register(t!.url), await register(t!.url)];
    const alice = client(a.accessToken);
    const bob = client(b.accessToken);
    await Promise.all([alice.connect(), bob.connect()]);
    const chat = await alice.openDirect(b.userId);
    await bob.syncNow();
    await alice.typing(chat.id);
    await until(() => bob.typists(chat.id).length === 1);
    await alice.stopTyping(chat.id);
    await until(() => bob.typists(chat.id).length === 0, 1000);
  });

  it('the SDK sends at most one start every 3 s however often the app calls typing()', async () => {
    await server();
    const [a, b] = [await register(t!.url), await register(t!.url)];
    const alice = client(a.accessToken);
    await alice.connect();
    const chat = await alice.openDirect(b.userId);
    const bob = await RawClient.authed(t!.wsUrl, b.accessToken);
    raws.push(bob);
    for (let i = 0; i < 30; i++) {
      await alice.typing(chat.id);
      await sleep(10);
    }
    await sleep(200);
    expect(bob.frames.filter((f) => f.type === 'typing')).toHaveLength(1);
  });

  it('refuses typing in a conversation the user is not in, with not_found, and tells nobody', async () => {
    await server();
    const [a, b, mallory] = [await register(t!.url), await register(t!.url), await register(t!.url)];
    const alice = client(a.accessToken);
    await alice.connect();
    const chat = await alice.openDirect(b.userId);
    const bob = await RawClient.authed(t!.wsUrl, b.accessToken);
    raws.push(bob);
    const m = client(mallory.accessToken);
    await m.connect();
    const err = await m.typing(chat.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NatterClientError);
    expect((err as NatterClientError).code).toBe('not_found');
    const missing = await m.typing('no_such_conversation').catch((e: unknown) => e);
    expect((missing as NatterClientError).code).toBe('not_found');
    await sleep(100);
    expect(bob.frames.filter((f) => f.type === 'typing')).toEqual([]);
  });

  it('rate-limits typing per user and conversation with rate_limited and retryAfterMs', async () => {
    await server({ TYPING_MAX_FRAMES: 3, TYPING_WINDOW_MS: 60_000 });
    const [a, b] = [await register(t!.url), await register(t!.url)];
    const raw = await RawClient.authed(t!.wsUrl, a.accessToken);
    raws.push(raw);
    const chat = (await raw.request({ type: 'conversation.direct', userId: b.userId })).data;
    const other = (await raw.request({ type: 'conversation.create', title: 'g', members: [b.userId] })).data;
    for (let i = 0; i < 3; i++) expect((await raw.request({ type: 'typing', conversationId: chat.id, state: 'start' })).type).toBe('result');
    const refused = await raw.request({ type: 'typing', conversationId: chat.id, state: 'start' });
    expect(refused.error.code).toBe('rate_limited');
    expect(refused.error.details.retryAfterMs).toBeGreaterThan(0);
    // Another conversation has its own budget; the connection keeps working.
    expect((await raw.request({ type: 'typing', conversationId: other.id, state: 'start' })).type).toBe('result');
    expect((await raw.request({ type: 'typing', conversationId: chat.id, state: 'sideways' })).error.code).toBe('invalid_request');
  });
});

describe('presence', () => {
  it('pushes online and offline (with last seen) to a direct-conversation peer', async () => {
    await server();
    const [a, b] = [await register(t!.url), await register(t!.url)];
    const alice = client(a.accessToken);
    await alice.connect();
    await alice.openDirect(b.userId);
    const bob = client(b.accessToken);
    await bob.connect();
    await until(() => alice.presenceOf(b.userId)?.online === true);
    const left = Date.now();
    bob.close();
    await until(() => alice.presenceOf(b.userId)?.online === false, 3000);
    const p = alice.presenceOf(b.userId)!;
    expect(p.lastSeen).toBeGreaterThanOrEqual(left - 1000);
    expect(p.lastSeen).toBeLessThanOrEqual(Date.now());
    // Queryable too, with the same answer.
    expect(await alice.getPresence([b.userId])).toEqual([p]);
  });

  it('shows no offline for a reconnect within the grace period (a 2-second network blip)', async () => {
    await server({ PRESENCE_GRACE_MS: 5000 });
    const [a, b] = [await register(t!.url), await register(t!.url)];
    const alice = client(a.accessToken);
    await alice.connect();
    await alice.openDirect(b.userId);
    // Bob's network goes away for 2 s: his socket is closed, and the next one authenticates only after the blip.
    let blipUntil = 0;
    const bob = client(async () => {
      const wait = blipUntil - Date.now();
      if (wait > 0) await sleep(wait);
      return b.accessToken;
    });
    await bob.connect();
    await until(() => alice.presenceOf(b.userId)?.online === true);
    blipUntil = Date.now() + 2000;
    bob.dropConnection();
    await sleep(500);
    expect(bob.state.status).not.toBe('online');
    await until(() => bob.state.status === 'online', 5000);
    expect(Date.now()).toBeGreaterThanOrEqual(blipUntil);
    await sleep(5500); // past the grace period of the first disconnect
    expect(alice.presenceEvents.filter((p) => p.userId === b.userId && !p.online)).toEqual([]);
    expect(alice.presenceOf(b.userId)?.online).toBe(true);
  }, 15_000);

  it('answers presence queries only about users one shares a conversation with', async () => {
    await server();
    const [a, b, c, stranger] = [await register(t!.url), await register(t!.url), await register(t!.url), await register(t!.url)];
    const alice = client(a.accessToken);
    await alice.connect();
    await alice.createGroup({ title: 'g', members: [b.userId] });
    await alice.openDirect(c.userId);
    const bob = client(b.accessToken);
    await bob.connect();
    const s = client(stranger.accessToken);
    await s.connect();
    const answer = await alice.getPresence([b.userId, c.userId, stranger.userId, 'nobody']);
    expect(answer.map((p) => p.userId).sort()).toEqual([b.userId, c.userId].sort());
    expect(answer.find((p) => p.userId === b.userId)).toEqual({ userId: b.userId, online: true, lastSeen: null });
    expect(answer.find((p) => p.userId === c.userId)).toEqual({ userId: c.userId, online: false, lastSeen: null });
    // A group member is not pushed presence (only direct peers are), but may ask.
    expect(alice.presenceEvents.filter((p) => p.userId === b.userId)).toHaveLength(1); // from the query
    const raw = await RawClient.authed(t!.wsUrl, a.accessToken);
    raws.push(raw);
    const tooMany = await raw.request({ type: 'presence.get', userIds: Array.from({ length: 101 }, (_, i) => `u${i}`) });
    expect(tooMany.error.code).toBe('invalid_request');
  });

  it('a user who hides presence is seen offline without last seen, and online again when shown', async () => {
    await server();
    const [a, b] = [await register(t!.url), await register(t!.url)];
    const alice = client(a.accessToken);
    await alice.connect();
    await alice.openDirect(b.userId);
    const bob = client(b.accessToken);
    await bob.connect();
    await until(() => alice.presenceOf(b.userId)?.online === true);
    expect(await bob.setPresenceVisible(false)).toEqual({ visible: false });
    await until(() => alice.presenceOf(b.userId)?.online === false);
    expect(alice.presenceOf(b.userId)?.lastSeen).toBeNull();
    expect(await alice.getPresence([b.userId])).toEqual([{ userId: b.userId, online: false, lastSeen: null }]);
    // Hidden users' comings and goings are not pushed either.
    const events = alice.presenceEvents.length;
    bob.close();
    await sleep(FAST.PRESENCE_GRACE_MS + 300);
    expect(alice.presenceEvents.length).toBe(events);
    expect(await alice.getPresence([b.userId])).toEqual([{ userId: b.userId, online: false, lastSeen: null }]);
    // Shown again (over REST this time), the next connection is pushed.
    const r = await fetch(`${t!.url}/v1/me/presence`, { method: 'PUT', headers: { authorization: `Bearer ${b.accessToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ visible: true }) });
    expect(await r.json()).toEqual({ visible: true });
    const bob2 = client(b.accessToken);
    await bob2.connect();
    await until(() => alice.presenceOf(b.userId)?.online === true);
  });

  it('stays online while another device of the user is connected', async () => {
    await server();
    const [a, b] = [await register(t!.url), await register(t!.url)];
    const alice = client(a.accessToken);
    await alice.connect();
    await alice.openDirect(b.userId);
    const phone = client(b.accessToken);
    const laptop = client(b.accessToken);
    await Promise.all([phone.connect(), laptop.connect()]);
    await until(() => alice.presenceOf(b.userId)?.online === true);
    phone.close();
    await sleep(FAST.PRESENCE_GRACE_MS + 400);
    expect(alice.presenceOf(b.userId)?.online).toBe(true);
    laptop.close();
    await until(() => alice.presenceOf(b.userId)?.online === false, 3000);
  });
});
