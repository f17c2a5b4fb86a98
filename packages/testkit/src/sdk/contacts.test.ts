/**
 * Finding people, friend requests and blocks through the SDK against a real server (SQLite; with
 * NATTER_TEST_DATABASE_URL, PostgreSQL): lookups that fold case and compatibility forms, search
 * rules and limits, the request lifecycle with its live `contact` events on every device, what a
 * block refuses, and the USER_DISCOVERY / DIRECT_MESSAGES settings.
 */
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import type { ContactEvent } from '@natter/protocol';
import { NatterClient, type WebSocketFactory } from '@natter/client';
import { api, register, startTestServer, type TestServer } from '../harness.js';

const servers: TestServer[] = [];
const clients: NatterClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});

async function server(overrides: Record<string, string | number | boolean> = {}): Promise<TestServer> {
  const s = await startTestServer({ USER_SEARCH_MIN_ACCOUNT_AGE_SECONDS: 0, ...overrides });
  servers.push(s);
  return s;
}

function client(t: TestServer, token: string): NatterClient & { events: ContactEvent[] } {
  const c = new NatterClient({ url: t.wsUrl, token, WebSocket: WebSocket as unknown as WebSocketFactory, backoff: { initialMs: 20, maxMs: 200 } });
  const events: ContactEvent[] = [];
  c.on('contact', (e) => events.push(e));
  clients.push(c);
  return Object.assign(c, { events });
}

async function until(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { code?: string }) => e.code,
  );
const kinds = (es: ContactEvent[]) => es.map((e) => `${e.kind}:${e.user.username}`);
const login = async (t: TestServer, username: string) => (await api(t.url, 'POST', '/v1/auth/login', { username, password: 'correct horse battery' })).body;

describe('finding people', () => {
  it('two users who just registered find each other by exact username, whatever the case or width', async () => {
    const t = await server({ USER_SEARCH_MIN_ACCOUNT_AGE_SECONDS: 3600 });
    const stamp = Date.now().toString(36);
    const a = await register(t.url, `Alice_${stamp}`);
    const b = await register(t.url, `bob_${stamp}`);
    const alice = client(t, a.accessToken);
    await alice.connect();
    expect((await alice.lookupUser(`BOB_${stamp}`)).id).toBe(b.userId);
    const wide = `ｂｏｂ_${stamp}`.replace(/[a-z0-9]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) + 0xfee0));
    expect((await alice.lookupUser(wide)).id).toBe(b.userId);
    expect(await code(alice.lookupUser(`nobody_${stamp}`))).toBe('not_found');
    const http = await api(t.url, 'GET', `/v1/users?username=alice_${stamp}`, undefined, { authorization: `Bearer ${b.accessToken}` });
    expect(http.body).toMatchObject({ id: a.userId, username: `Alice_${stamp}` });
    // A fresh account may not search by prefix yet; anonymous callers get nothing at all.
    expect(await code(alice.searchUsers('bob_'))).toBe('forbidden');
    expect((await api(t.url, 'GET', `/v1/users?username=bob_${stamp}`)).status).toBe(401);
    expect((await api(t.url, 'GET', '/v1/users/search?prefix=bob')).status).toBe(401);
  });

  it('exact lookups are rate-limited per user', async () => {
    const t = await server({ USER_LOOKUPS_PER_HOUR: 2 });
    const [a, b] = [await register(t.url), await register(t.url)];
    const c = client(t, a.accessToken);
    await c.connect();
    expect((await c.lookupUser(b.username)).id).toBe(b.userId);
    expect(await code(c.lookupUser('no-such-user-here'))).toBe('not_found');
    expect(await code(c.lookupUser(b.username))).toBe('rate_limited');
  });

  it('login attempts for case and width variants of one username share one budget', async () => {
    const t = await server({ LOGIN_ATTEMPTS_PER_ACCOUNT: 3 });
    const stamp = Date.now().toString(36);
    await register(t.url, `dave_${stamp}`);
    const wide = (s: string) => s.replace(/[a-z]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) + 0xfee0));
    const codes: string[] = [];
    for (const name of [`dave_${stamp}`, `DAVE_${stamp}`, `${wide('dave')}_${stamp}`, `Dave_${stamp}`]) {
      codes.push((await api(t.url, 'POST', '/v1/auth/login', { username: name, password: 'wrong password!' })).body.error.code);
    }
    expect(codes).toEqual(['invalid_credentials', 'invalid_credentials', 'invalid_credentials', 'rate_limited']);
  });

  it('registration folds usernames and refuses invisible characters and mixed-script lookalikes', async () => {
    const t = await server();
    const stamp = Date.now().toString(36);
    const r = await api(t.url, 'POST', '/v1/auth/register', { username: `Ｃａｒｏｌ${stamp}`, password: 'correct horse battery' });
    expect(r.status).toBe(201);
    expect(r.body.user.username).toBe(`Carol${stamp}`);
    expect((await api(t.url, 'POST', '/v1/auth/register', { username: `carol${stamp}`, password: 'correct horse battery' })).body.error.code).toBe('username_taken');
    expect((await login(t, `CAROL${stamp}`)).userId).toBe(r.body.user.id);
    for (const bad of [`car\u200Bol${stamp}`, `\u202Ecarol${stamp}`, `c\u0430rol${stamp}`]) {
      const x = await api(t.url, 'POST', '/v1/auth/register', { username: bad, password: 'correct horse battery' });
      expect(x.status, JSON.stringify(bad)).toBe(400);
    }
    expect((await api(t.url, 'POST', '/v1/auth/register', { username: `王小明_${Date.now() % 1_000_000}`, password: 'correct horse battery' })).status).toBe(201);
  });

  it('search: by username or display-name prefix, bounded, too-short prefixes refused, rate-limited per user', async () => {
    const t = await server({ USER_SEARCHES_PER_HOUR: 3 });
    const stamp = Date.now().toString(36);
    const me = await register(t.url, `me_${stamp}`);
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) ids.push((await register(t.url, `zq${stamp}_${String(i).padStart(2, '0')}`)).userId);
    await api(t.url, 'PATCH', '/v1/me', { displayName: `Zqx Person` }, { authorization: `Bearer ${(await login(t, `zq${stamp}_00`)).accessToken}` });
    const c = client(t, me.accessToken);
    await c.connect();
    expect(await code(c.searchUsers('zq'))).toBe('invalid_request');
    const page = await c.searchUsers(`zq${stamp}`);
    expect(page.map((u) => u.id)).toEqual(ids.slice(0, 20));
    expect((await c.searchUsers('zqx p')).map((u) => u.id)).toEqual([ids[0]]);
    expect((await c.searchUsers(`ZQ${stamp}_2`, 5)).map((u) => u.id)).toEqual(ids.slice(20, 25));
    const limited = await c.searchUsers(`zq${stamp}`).catch((e: { code: string; details?: { retryAfterMs?: number } }) => e);
    expect(limited).toMatchObject({ code: 'rate_limited' });
    // Another user's budget is their own.
    const other = await api(t.url, 'GET', `/v1/users/search?prefix=zq${stamp}`, undefined, { authorization: `Bearer ${(await login(t, `zq${stamp}_01`)).accessToken}` });
    expect(other.status).toBe(200);
  });
});

describe('contacts', () => {
  it('request, accept, decline, cancel and remove, with contact events on every device of both users', async () => {
    const t = await server();
    const stamp = Date.now().toString(36);
    const a = await register(t.url, `ann_${stamp}`);
    const b = await register(t.url, `ben_${stamp}`);
    const alice = client(t, a.accessToken);
    const alice2 = client(t, (await login(t, `ann_${stamp}`)).accessToken);
    const bob = client(t, b.accessToken);
    await Promise.all([alice.connect(), alice2.connect(), bob.connect()]);

    expect(await alice.sendFriendRequest(b.userId)).toEqual({ status: 'requested' });
    await until(() => bob.events.length === 1 && alice2.events.length === 1);
    expect(kinds(bob.events)).toEqual([`request.received:ann_${stamp}`]);
    expect(kinds(alice2.events)).toEqual([`request.sent:ben_${stamp}`]);
    expect((await bob.friendRequests()).incoming.map((r) => r.user.id)).toEqual([a.userId]);
    expect((await alice.friendRequests()).outgoing.map((r) => r.user.id)).toEqual([b.userId]);

    const contact = await bob.acceptFriendRequest(a.userId);
    expect(contact).toMatchObject({ user: { id: a.userId }, presence: null });
    await until(() => alice.events.some((e) => e.kind === 'request.accepted') && alice2.events.some((e) => e.kind === 'request.accepted'));
    expect((await alice.contacts()).map((c) => c.user.id)).toEqual([b.userId]);
    expect((await bob.contacts()).map((c) => [c.user.id, c.presence])).toEqual([[a.userId, null]]);
    expect(await alice.sendFriendRequest(b.userId)).toEqual({ status: 'friends' });

    await alice.removeFriend(b.userId);
    await until(() => bob.events.some((e) => e.kind === 'friend.removed'));
    expect(await bob.contacts()).toEqual([]);

    await bob.sendFriendRequest(a.userId);
    await alice.declineFriendRequest(b.userId);
    await until(() => bob.events.some((e) => e.kind === 'request.declined'));
    await bob.sendFriendRequest(a.userId);
    await bob.cancelFriendRequest(a.userId);
    await until(() => alice2.events.some((e) => e.kind === 'request.cancelled'));
    expect(await alice.friendRequests()).toEqual({ incoming: [], outgoing: [] });
    expect(await code(alice.acceptFriendRequest(b.userId))).toBe('not_found');

    // A request to someone who asked first accepts theirs.
    await bob.sendFriendRequest(a.userId);
    expect(await alice.sendFriendRequest(b.userId)).toEqual({ status: 'friends' });
  });

  it('a block: no direct conversation, no sends into the old one, no group adds, no requests, not found — until unblocked', async () => {
    const t = await server();
    const stamp = Date.now().toString(36);
    const a = await register(t.url, `blocker_${stamp}`);
    const b = await register(t.url, `pest_${stamp}`);
    const alice = client(t, a.accessToken);
    const bob = client(t, b.accessToken);
    await Promise.all([alice.connect(), bob.connect()]);
    const chat = await bob.openDirect(a.userId);
    await bob.sendText(chat.id, 'hello');
    await alice.sendFriendRequest(b.userId);
    const group = await bob.createGroup({ title: 'g', members: [] });

    await alice.block(b.userId);
    await until(() => alice.events.some((e) => e.kind === 'blocked'));
    expect(bob.events.map((e) => e.kind)).toEqual(['request.received']); // nothing about the block
    expect((await alice.blockedUsers()).map((x) => x.user.id)).toEqual([b.userId]);
    expect((await bob.friendRequests()).incoming).toEqual([]);
    expect(await code(bob.openDirect(a.userId))).toBe('forbidden');
    expect(await code(bob.sendFriendRequest(a.userId))).toBe('forbidden');
    expect(await code(bob.addMembers(group.id, [a.userId]))).toBe('forbidden');
    expect(await code(bob.createGroup({ members: [a.userId] }))).toBe('forbidden');
    expect(await code(bob.lookupUser(`blocker_${stamp}`))).toBe('not_found');
    const raw = await api(t.url, 'POST', '/v1/conversations/direct', { userId: a.userId }, { authorization: `Bearer ${b.accessToken}` });
    expect(raw.body.error).toEqual({ code: 'forbidden', message: 'this is not possible with this user', retryable: false });
    // The old conversation takes no sends from either side (the outbox gives up on not_found).
    const sent = await api(t.url, 'GET', `/v1/conversations/${chat.id}/messages`, undefined, { authorization: `Bearer ${a.accessToken}` });
    const before = sent.body.messages.length;
    expect(await code(bob.sendText(chat.id, 'are you there?'))).toBe('not_found');
    expect(await code(alice.sendText(chat.id, 'go away'))).toBe('not_found');
    expect((await api(t.url, 'GET', `/v1/conversations/${chat.id}/messages`, undefined, { authorization: `Bearer ${a.accessToken}` })).body.messages.length).toBe(before);

    await alice.unblock(b.userId);
    expect(await alice.blockedUsers()).toEqual([]);
    await bob.sendText(chat.id, 'sorry');
    expect((await bob.openDirect(a.userId)).id).toBe(chat.id);
    expect((await bob.addMembers(group.id, [a.userId])).members).toContain(a.userId);
  });

  it('friend requests are rate-limited per user', async () => {
    const t = await server({ FRIEND_REQUESTS_PER_DAY: 2 });
    const me = await register(t.url);
    const others = [await register(t.url), await register(t.url), await register(t.url)];
    const c = client(t, me.accessToken);
    await c.connect();
    await c.sendFriendRequest(others[0]!.userId);
    await c.sendFriendRequest(others[1]!.userId);
    expect(await code(c.sendFriendRequest(others[2]!.userId))).toBe('rate_limited');
    const http = await api(t.url, 'POST', '/v1/contacts/requests', { userId: others[2]!.userId }, { authorization: `Bearer ${me.accessToken}` });
    expect(http.status).toBe(429);
    expect(http.body.error.details.retryAfterMs).toBeGreaterThan(0);
    expect((await c.friendRequests()).outgoing).toHaveLength(2);
  });
});

describe('server settings', () => {
  it('DIRECT_MESSAGES=contacts: a direct conversation needs friendship', async () => {
    const t = await server({ DIRECT_MESSAGES: 'contacts' });
    const [a, b] = [await register(t.url), await register(t.url)];
    const alice = client(t, a.accessToken);
    const bob = client(t, b.accessToken);
    await Promise.all([alice.connect(), bob.connect()]);
    expect(await code(alice.openDirect(b.userId))).toBe('forbidden');
    await alice.sendFriendRequest(b.userId);
    await bob.acceptFriendRequest(a.userId);
    const chat = await alice.openDirect(b.userId);
    expect(chat.kind).toBe('direct');
  });

  it('USER_DISCOVERY=contacts: lookups still work, search lists friends only; none: neither', async () => {
    const t = await server({ USER_DISCOVERY: 'contacts' });
    const stamp = Date.now().toString(36);
    const a = await register(t.url, `dd_a_${stamp}`);
    const b = await register(t.url, `dd_b_${stamp}`);
    await register(t.url, `dd_c_${stamp}`);
    const alice = client(t, a.accessToken);
    const bob = client(t, b.accessToken);
    await Promise.all([alice.connect(), bob.connect()]);
    expect((await alice.lookupUser(`dd_c_${stamp}`)).username).toBe(`dd_c_${stamp}`);
    expect(await alice.searchUsers('dd_')).toEqual([]);
    await alice.sendFriendRequest(b.userId);
    await bob.acceptFriendRequest(a.userId);
    expect((await alice.searchUsers('dd_')).map((u) => u.id)).toEqual([b.userId]);

    const none = await server({ USER_DISCOVERY: 'none' });
    const x = await register(none.url);
    const y = await register(none.url);
    const cx = client(none, x.accessToken);
    await cx.connect();
    expect(await code(cx.lookupUser(y.username))).toBe('forbidden');
    expect(await code(cx.searchUsers(y.username))).toBe('forbidden');
    expect((await cx.sendFriendRequest(y.userId)).status).toBe('requested'); // by id still
  });
});
