/**
 * The SDK's conversation list against a real server (SQLite, or PostgreSQL with
 * NATTER_TEST_DATABASE_URL): exact unread counts on two devices of one user, live and after a
 * reconnect; a removed-then-re-added member counting only what they may see; pinned / muted /
 * archived converging on every device; mentions; the total badge; and bad input refused with a
 * stable code, changing nothing.
 */
import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryCache, NatterClient, NatterClientError, type ConversationList, type WebSocketFactory } from '@natter/client';
import { api, register, startTestServer, type TestServer, type Tokens } from '../harness.js';

let t: TestServer;
const clients: NatterClient[] = [];
const lists: ConversationList[] = [];
beforeEach(async () => {
  t = await startTestServer();
});
afterEach(async () => {
  for (const l of lists.splice(0)) l.close();
  for (const c of clients.splice(0)) c.close();
  await t.close();
});

function client(token: string, cache = new MemoryCache()): NatterClient {
  const c = new NatterClient({ url: t.wsUrl, token, WebSocket: WebSocket as unknown as WebSocketFactory, backoff: { initialMs: 20, maxMs: 200 }, cache });
  clients.push(c);
  return c;
}

/** A connected client with its conversation list. */
async function device(token: string, cache = new MemoryCache()): Promise<{ c: NatterClient; list: ConversationList }> {
  const c = client(token, cache);
  const list = c.conversationList();
  lists.push(list);
  await c.connect();
  return { c, list };
}

/** A second device (session) of a registered user. */
async function login(user: Tokens & { username: string }): Promise<string> {
  const r = await api(t.url, 'POST', '/v1/auth/login', { username: user.username, password: 'correct horse battery' });
  if (r.status !== 200) throw new Error(`login failed: ${r.status}`);
  return (r.body as Tokens).accessToken;
}

async function until(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const unread = (list: ConversationList, id: string) => list.get(id)?.unreadCount;

async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof NatterClientError) return err.code;
    throw err;
  }
  throw new Error('expected an error');
}

describe('conversation list', () => {
  it('reading on one device clears unread on the other, live and after a reconnect', async () => {
    const a = await register(t.url);
    const b = await register(t.url);
    const alice = await device(a.accessToken);
    const phone = await device(b.accessToken);
    const laptopCache = new MemoryCache();
    const laptop = await device(await login(b), laptopCache);
    const chat = await alice.c.openDirect(b.userId);
    for (let i = 0; i < 3; i++) await alice.c.sendText(chat.id, `m${i}`);
    await until(() => unread(phone.list, chat.id) === 3 && unread(laptop.list, chat.id) === 3);
    expect(phone.list.totalUnread).toBe(3);
    expect(phone.list.get(chat.id)?.lastMessage?.body).toEqual({ text: 'm2' });
    expect(unread(alice.list, chat.id)).toBe(0);

    // Live: the phone reads; the laptop's count drops at once.
    const last = phone.list.get(chat.id)!.lastSeq;
    await phone.c.markRead(chat.id, last);
    await until(() => unread(laptop.list, chat.id) === 0 && laptop.list.totalUnread === 0);
    expect(unread(phone.list, chat.id)).toBe(0);

    // After a reconnect: the laptop is away while two arrive and the phone reads one.
    laptop.c.close();
    const s1 = await alice.c.sendText(chat.id, 'away 1');
    await alice.c.sendText(chat.id, 'away 2');
    await until(() => unread(phone.list, chat.id) === 2);
    await phone.c.markRead(chat.id, s1.seq);
    await until(() => unread(phone.list, chat.id) === 1);
    const back = await device(await login(b), laptopCache);
    await back.c.syncNow();
    await until(() => unread(back.list, chat.id) === 1);
    await back.list.settled();
    expect(unread(back.list, chat.id)).toBe(1);
    expect(back.list.totalUnread).toBe(1);

    // Replying moves the reader's cursor: nothing before one's own message is unread.
    await back.c.sendText(chat.id, 'reply');
    await until(() => unread(phone.list, chat.id) === 0 && unread(back.list, chat.id) === 0);
    await until(() => unread(alice.list, chat.id) === 1);
  });

  it('a removed then re-added member counts only what they may see; reading where one has left is refused', async () => {
    const a = await register(t.url);
    const b = await register(t.url);
    const alice = await device(a.accessToken);
    const bob = await device(b.accessToken);
    const g = await alice.c.createGroup({ title: 'team', members: [b.userId] });
    await alice.c.sendText(g.id, 'one');
    await alice.c.sendText(g.id, 'two');
    await until(() => unread(bob.list, g.id) === 2);
    await alice.c.removeMember(g.id, b.userId);
    await until(() => bob.list.get(g.id)?.membership.state === 'left');
    expect(unread(bob.list, g.id)).toBe(0);
    expect(bob.list.totalUnread).toBe(0);
    const leftAt = bob.list.get(g.id)!.lastSeq;
    expect(await errorCode(bob.c.markRead(g.id, leftAt))).toBe('forbidden');
    for (let i = 0; i < 3; i++) await alice.c.sendText(g.id, `without bob ${i}`);
    await alice.c.addMembers(g.id, [b.userId]);
    await until(() => bob.list.get(g.id)?.membership.state === 'active');
    await alice.c.sendText(g.id, 'welcome back');
    await until(() => unread(bob.list, g.id) === 1);
    await bob.c.syncNow();
    await bob.list.settled();
    expect(unread(bob.list, g.id)).toBe(1);
    expect(bob.list.totalUnread).toBe(1);
    // Reading beyond the end is refused and changes nothing.
    const end = bob.list.get(g.id)!.lastSeq;
    expect(await errorCode(bob.c.markRead(g.id, end + 5))).toBe('invalid_position');
    expect((await bob.c.getConversation(g.id)).unreadCount).toBe(1);
  });

  it('pinned, muted and archived converge on every device; muted ones leave the badge; pinned sort first', async () => {
    const a = await register(t.url);
    const b = await register(t.url);
    const alice = await device(a.accessToken);
    const phone = await device(b.accessToken);
    const laptop = await device(await login(b));
    const g1 = await alice.c.createGroup({ title: 'one', members: [b.userId] });
    const g2 = await alice.c.createGroup({ title: 'two', members: [b.userId] });
    await alice.c.sendText(g1.id, 'in one');
    await alice.c.sendText(g2.id, 'in two');
    await alice.c.sendText(g2.id, 'in two again');
    await until(() => laptop.list.totalUnread === 3);
    // Newest activity first: g2.
    expect(laptop.list.items.map((c) => c.id).slice(0, 2)).toEqual([g2.id, g1.id]);
    await phone.c.pin(g1.id);
    await until(() => laptop.list.get(g1.id)?.pinned === true);
    expect(laptop.list.items[0]?.id).toBe(g1.id);
    await phone.c.mute(g2.id);
    await until(() => laptop.list.get(g2.id)?.muted === true);
    expect(laptop.list.totalUnread).toBe(1);
    expect(unread(laptop.list, g2.id)).toBe(2);
    await phone.c.archive(g1.id);
    await until(() => laptop.list.get(g1.id)?.archived === true);
    expect(laptop.list.get(g1.id)).toMatchObject({ pinned: true, muted: false, archived: true });
    // Alice's flags are hers: nothing changed for her.
    expect(alice.list.get(g1.id)).toMatchObject({ pinned: false, muted: false, archived: false });
    // A device that syncs from scratch gets the same state.
    const fresh = await device(await login(b));
    await fresh.list.settled();
    expect(fresh.list.get(g1.id)).toMatchObject({ pinned: true, archived: true, unreadCount: 1 });
    expect(fresh.list.get(g2.id)).toMatchObject({ muted: true, unreadCount: 2 });
    expect(fresh.list.totalUnread).toBe(1);
    // Flags of a conversation one never joined: not_found, and through REST the same.
    const other = await register(t.url);
    const outsider = client(other.accessToken);
    await outsider.connect();
    expect(await errorCode(outsider.pin(g1.id))).toBe('not_found');
    const rest = await api(t.url, 'PATCH', `/v1/conversations/${g1.id}/flags`, { muted: true }, { authorization: `Bearer ${b.accessToken}` });
    expect(rest.status).toBe(200);
    expect(rest.body).toMatchObject({ id: g1.id, muted: true, pinned: true });
    await until(() => phone.list.get(g1.id)?.muted === true);
    const empty = await api(t.url, 'PATCH', `/v1/conversations/${g1.id}/flags`, {}, { authorization: `Bearer ${b.accessToken}` });
    expect(empty.status).toBe(400);
  });

  it('mentions set `mentioned` for the mentioned member until read; mentioning a non-member is refused', async () => {
    const a = await register(t.url);
    const b = await register(t.url);
    const c = await register(t.url);
    const alice = await device(a.accessToken);
    const bob = await device(b.accessToken);
    const carol = await device(c.accessToken);
    const g = await alice.c.createGroup({ members: [b.userId, c.userId] });
    const sent = await alice.c.sendText(g.id, 'hey bob', { mentions: [b.userId] });
    await until(() => unread(bob.list, g.id) === 1 && unread(carol.list, g.id) === 1);
    expect(bob.list.get(g.id)?.mentioned).toBe(true);
    expect(carol.list.get(g.id)?.mentioned).toBe(false);
    expect(bob.list.get(g.id)?.lastMessage?.mentions).toEqual([b.userId]);
    await alice.c.sendText(g.id, 'everyone', { mentions: ['all'] });
    await until(() => carol.list.get(g.id)?.mentioned === true);
    await bob.c.markRead(g.id, sent.seq);
    await until(() => unread(bob.list, g.id) === 1);
    // The @all after bob's read cursor still mentions him.
    expect(bob.list.get(g.id)?.mentioned).toBe(true);
    const stranger = await register(t.url);
    expect(await errorCode(alice.c.sendText(g.id, 'hi stranger', { mentions: [stranger.userId] }))).toBe('invalid_request');
    await bob.c.syncNow();
    expect((await bob.c.getConversation(g.id)).lastSeq).toBe(bob.list.get(g.id)?.lastSeq);
  });
});
