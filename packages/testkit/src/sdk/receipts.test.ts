/**
 * Read and delivery receipts and the readReceipts setting, through the SDK against a real server
 * (SQLite; with NATTER_TEST_DATABASE_URL, PostgreSQL): live pushes, after a reconnect, groups'
 * read-by counts and readers, the setting's both directions, and bad input.
 */
import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Conversation, Message, Receipt } from '@natter/protocol';
import { NatterClient, NatterClientError, type WebSocketFactory } from '@natter/client';
import { api, RawClient, register, startTestServer, type TestServer } from '../harness.js';

let t: TestServer;
const clients: NatterClient[] = [];
const raws: RawClient[] = [];
beforeEach(async () => {
  t = await startTestServer();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const r of raws.splice(0)) r.close();
  await t.close();
});

type Watched = NatterClient & { seen: Message[]; receipts_: Receipt[]; views: Conversation[] };

/** A WebSocket that loses every `receipt` push it receives. */
class DeafToReceipts extends WebSocket {
  constructor(url: string) {
    super(url);
    const orig = this.emit.bind(this);
    this.emit = ((event: string, ...args: unknown[]) => {
      if (event === 'message' && String(args[0]).startsWith('{"type":"receipt"')) return true;
      return orig(event, ...args);
    }) as typeof this.emit;
  }
}

function client(token: string, extra: Partial<ConstructorParameters<typeof NatterClient>[0]> = {}): Watched {
  const c = new NatterClient({ url: t.wsUrl, token, WebSocket: WebSocket as unknown as WebSocketFactory, backoff: { initialMs: 20, maxMs: 200 }, ...extra });
  const seen: Message[] = [];
  const receipts_: Receipt[] = [];
  const views: Conversation[] = [];
  c.on('message', (m) => seen.push(m));
  c.on('receipt', (r) => receipts_.push(r));
  c.on('conversation', (v) => views.push(v));
  clients.push(c);
  return Object.assign(c, { seen, receipts_, views });
}

async function raw(token: string): Promise<RawClient> {
  const r = await RawClient.authed(t.wsUrl, token);
  raws.push(r);
  return r;
}

async function until(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));

async function login(username: string) {
  const r = await api(t.url, 'POST', '/v1/auth/login', { username, password: 'correct horse battery' });
  return r.body as { accessToken: string; userId: string };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof NatterClientError) return err.code;
    throw err;
  }
  return 'ok';
}

describe('direct conversations', () => {
  it('the sender learns live that the other side received and then read up to a seq; delivered never goes back', async () => {
    const [a, b] = [await register(t.url), await register(t.url)];
    const alice = client(a.accessToken);
    const bob = client(b.accessToken);
    await Promise.all([alice.connect(), bob.connect()]);
    const chat = await alice.openDirect(b.userId);
    for (let i = 0; i < 3; i++) await alice.sendText(chat.id, `m${i}`); // seqs 2..4
    // Bob's SDK acks what it gets: Alice is told it reached a device of Bob's.
    await until(() => (alice.receipts(chat.id).delivered.get(b.userId) ?? 0) >= 4);
    const delivered = alice.receipts_.filter((r) => r.kind === 'delivered' && r.userId === b.userId).map((r) => r.seq);
    expect(delivered).toEqual([...delivered].sort((x, y) => x - y));
    expect(alice.receipts_.some((r) => r.kind === 'read')).toBe(false);

    await bob.markRead(chat.id, 4);
    await until(() => alice.receipts(chat.id).read.get(b.userId) === 4);
    expect(alice.receipts_.filter((r) => r.kind === 'read')).toEqual([{ conversationId: chat.id, kind: 'read', userId: b.userId, seq: 4 }]);
    // Bob is not told his own reads as receipts.
    expect(bob.receipts_.some((r) => r.kind === 'read')).toBe(false);
  });

  it('reading on one device moves the read cursor on the user’s other device live', async () => {
    const [a, b] = [await register(t.url), await register(t.url)];
    const b2 = await login(b.username);
    const alice = client(a.accessToken);
    const phone = client(b.accessToken);
    const laptop = client(b2.accessToken);
    await Promise.all([alice.connect(), phone.connect(), laptop.connect()]);
    const chat = await alice.openDirect(b.userId);
    await alice.sendText(chat.id, 'hello');
    await until(() => laptop.seen.some((m) => m.seq === 2));
    await phone.markRead(chat.id, 2);
    await until(() => laptop.views.some((v) => v.id === chat.id && v.membership.readSeq === 2));
    expect((await laptop.getConversation(chat.id)).membership.readSeq).toBe(2);
  });

  it('after a reconnect the sender gets the receipts it missed', async () => {
    const [a, b] = [await register(t.url), await register(t.url)];
    const alice = client(a.accessToken);
    const bob = client(b.accessToken);
    await Promise.all([alice.connect(), bob.connect()]);
    const chat = await alice.openDirect(b.userId);
    await alice.sendText(chat.id, 'one'); // seq 2
    await until(() => (alice.receipts(chat.id).delivered.get(b.userId) ?? 0) >= 2);
    alice.close();
    // While Alice is away: a new Alice client (a fresh app start) has no receipts in memory.
    const again = client(a.accessToken);
    await bob.markRead(chat.id, 2);
    await again.connect();
    const res = await again.fetchReceipts(chat.id);
    expect(res).toEqual({
      conversationId: chat.id,
      readReceipts: true,
      read: [{ userId: b.userId, seq: 2 }],
      delivered: [{ userId: b.userId, seq: 2 }],
      counts: [],
    });
    expect(again.receipts(chat.id).read.get(b.userId)).toBe(2);

    // A followed conversation is asked again after each reconnect. This client's socket loses
    // every receipt push: it learns Bob's next read only from that question.
    const deaf = client(a.accessToken, { WebSocket: DeafToReceipts as unknown as WebSocketFactory });
    await deaf.connect();
    await deaf.fetchReceipts(chat.id);
    await bob.sendText(chat.id, 'reply'); // seq 3
    await bob.markRead(chat.id, 3);
    await until(() => again.receipts(chat.id).read.get(b.userId) === 3);
    await settle();
    expect(deaf.receipts(chat.id).read.get(b.userId)).toBe(2);
    deaf.dropConnection();
    await until(() => deaf.receipts(chat.id).read.get(b.userId) === 3);
    expect(deaf.receipts_.filter((r) => r.kind === 'read').map((r) => r.seq)).toEqual([2, 3]);
  });

  it('readReceipts off: the user’s reads are not shown, and they see nobody’s; delivery receipts still flow', async () => {
    const [a, b] = [await register(t.url), await register(t.url)];
    const alice = client(a.accessToken);
    const bob = client(b.accessToken);
    await Promise.all([alice.connect(), bob.connect()]);
    expect(await bob.settings()).toEqual({ readReceipts: true });
    // Over REST, as an app's settings screen would.
    const patched = await api(t.url, 'PATCH', '/v1/me/settings', { readReceipts: false }, { authorization: `Bearer ${b.accessToken}` });
    expect(patched).toEqual({ status: 200, body: { readReceipts: false } });
    expect((await api(t.url, 'GET', '/v1/me/settings', undefined, { authorization: `Bearer ${b.accessToken}` })).body).toEqual({ readReceipts: false });
    expect(await bob.settings()).toEqual({ readReceipts: false });

    const chat = await alice.openDirect(b.userId);
    await alice.sendText(chat.id, 'seen?'); // seq 2
    await until(() => (alice.receipts(chat.id).delivered.get(b.userId) ?? 0) >= 2);
    await bob.markRead(chat.id, 2);
    await alice.markRead(chat.id, 2);
    await settle();
    expect(alice.receipts_.filter((r) => r.kind === 'read')).toEqual([]);
    expect(bob.receipts_.filter((r) => r.kind === 'read')).toEqual([]);
    expect((await alice.fetchReceipts(chat.id)).read).toEqual([]);
    const bobs = await bob.fetchReceipts(chat.id);
    expect(bobs).toMatchObject({ readReceipts: false, read: [] });

    // Back on: both directions show again (the cursors were kept all along).
    expect(await bob.updateSettings({ readReceipts: true })).toEqual({ readReceipts: true });
    expect((await alice.fetchReceipts(chat.id)).read).toEqual([{ userId: b.userId, seq: 2 }]);
    expect((await bob.fetchReceipts(chat.id)).read).toEqual([{ userId: a.userId, seq: 2 }]);
  });
});

describe('groups', () => {
  it('read-by counts per message and who read it, paged, from members’ cursors', async () => {
    const users = await Promise.all([0, 1, 2, 3].map(() => register(t.url)));
    const [alice, bob, carol, dave] = users.map((u) => client(u.accessToken));
    await Promise.all([alice!, bob!, carol!, dave!].map((c) => c.connect()));
    const [a, b, c, d] = users as [(typeof users)[0], (typeof users)[0], (typeof users)[0], (typeof users)[0]];
    const g = await alice!.createGroup({ title: 'team', members: [b.userId, c.userId, d.userId] });
    const first = await alice!.sendText(g.id, 'first'); // seq 2
    const second = await alice!.sendText(g.id, 'second'); // seq 3
    await until(() => carol!.seen.some((m) => m.seq === 3));
    await bob!.markRead(g.id, 3);
    await carol!.markRead(g.id, 2);
    await dave!.updateSettings({ readReceipts: false });
    await dave!.markRead(g.id, 3);

    const res = await alice!.fetchReceipts(g.id, [2, 3]);
    expect(res).toEqual({ conversationId: g.id, readReceipts: true, read: [], delivered: [], counts: [{ seq: 2, readBy: 2 }, { seq: 3, readBy: 1 }] });

    const page = await alice!.readers(g.id, first.id);
    expect(page).toEqual({ messageId: first.id, seq: 2, readers: [b.userId, c.userId].sort(), count: 2, next: null });
    const one = await alice!.readers(g.id, first.id, { limit: 1 });
    expect(one.readers).toHaveLength(1);
    expect(one.next).toBe(one.readers[0]);
    const rest = await alice!.readers(g.id, first.id, { after: one.next!, limit: 1 });
    expect([...one.readers, ...rest.readers]).toEqual(page.readers);
    expect(rest.next).toBeNull();
    expect((await alice!.readers(g.id, second.id)).readers).toEqual([b.userId]);
    // Dave, receipts off, sees no counts at all.
    expect(await dave!.fetchReceipts(g.id, [2])).toMatchObject({ readReceipts: false, counts: [{ seq: 2, readBy: 0 }] });
    // The sender's own read cursor never counts for their message.
    await alice!.markRead(g.id, 3);
    expect((await bob!.fetchReceipts(g.id, [3])).counts).toEqual([{ seq: 3, readBy: 1 }]);
    expect((await bob!.readers(g.id, second.id)).readers).toEqual([b.userId]);
    expect(a.userId).not.toBe(b.userId);
  });
});

describe('bad input', () => {
  it('a conversation never joined, left, or that does not exist: the same not_found, and nothing changes', async () => {
    const [a, b, e] = [await register(t.url), await register(t.url), await register(t.url)];
    const alice = await raw(a.accessToken);
    const eve = await raw(e.accessToken);
    const bob = await raw(b.accessToken);
    const g = (await alice.request({ type: 'conversation.create', title: 'g', members: [b.userId] })).data;
    const sent = (await alice.request({ type: 'send', conversationId: g.id, clientMsgId: 'c1', msgType: 'text', body: { text: 'x' } })).data;

    const strangers = [
      await eve.request({ type: 'receipts.get', conversationId: g.id }),
      await eve.request({ type: 'receipts.get', conversationId: 'no_such_conversation' }),
      await eve.request({ type: 'receipts.readers', conversationId: g.id, messageId: sent.id }),
      await eve.request({ type: 'receipts.readers', conversationId: 'no_such_conversation', messageId: sent.id }),
    ];
    // Not found and forbidden look the same: one error body for all four.
    for (const f of strangers) expect(f.error).toEqual(strangers[0].error);
    expect(strangers[0].error.code).toBe('not_found');

    await bob.request({ type: 'read', conversationId: g.id, seq: 2 });
    await bob.request({ type: 'conversation.leave', conversationId: g.id }); // seq 3
    const left = await bob.request({ type: 'receipts.get', conversationId: g.id, seqs: [2] });
    expect(left.error).toEqual(strangers[0].error);

    // Beyond the last seq; a guessed message id; an id of another conversation.
    expect((await alice.request({ type: 'receipts.get', conversationId: g.id, seqs: [4] })).error.code).toBe('invalid_position');
    const guessed = await alice.request({ type: 'receipts.readers', conversationId: g.id, messageId: 'm_guessed' });
    const other = (await alice.request({ type: 'conversation.create', title: 'h', members: [] })).data;
    const elsewhere = (await alice.request({ type: 'send', conversationId: other.id, clientMsgId: 'c2', msgType: 'text', body: { text: 'y' } })).data;
    const wrong = await alice.request({ type: 'receipts.readers', conversationId: g.id, messageId: elsewhere.id });
    expect(guessed.error.code).toBe('not_found');
    expect(wrong.error).toEqual(guessed.error);
    // Malformed: too many seqs, a seq of 0, an unknown setting, a setting of the wrong type.
    expect((await alice.request({ type: 'receipts.get', conversationId: g.id, seqs: Array.from({ length: 101 }, (_, i) => i + 1) })).error.code).toBe('invalid_request');
    expect((await alice.request({ type: 'receipts.get', conversationId: g.id, seqs: [0] })).error.code).toBe('invalid_request');
    expect((await alice.request({ type: 'settings.update', settings: { readReceipts: 'no' } })).error.code).toBe('invalid_request');
    expect((await alice.request({ type: 'settings.update', settings: { shout: true } })).error.code).toBe('invalid_request');
    const rest = await api(t.url, 'PATCH', '/v1/me/settings', { readReceipts: 1 }, { authorization: `Bearer ${a.accessToken}` });
    expect(rest.status).toBe(400);
    expect(rest.body.error.code).toBe('invalid_request');
    expect((await api(t.url, 'GET', '/v1/me/settings')).status).toBe(401);

    // Nothing changed: settings as they were, and the readers as before.
    expect((await alice.request({ type: 'settings.get' })).data).toEqual({ readReceipts: true });
    const readers = (await alice.request({ type: 'receipts.readers', conversationId: g.id, messageId: sent.id })).data;
    // Bob left: only active members count.
    expect(readers).toEqual({ messageId: sent.id, seq: 2, readers: [], count: 0, next: null });
  });

  it('marking read beyond the last seq, or beyond where one left, is refused and moves no cursor', async () => {
    const [a, b] = [await register(t.url), await register(t.url)];
    const alice = client(a.accessToken);
    const bob = client(b.accessToken);
    await Promise.all([alice.connect(), bob.connect()]);
    const g = await alice.createGroup({ title: 'g', members: [b.userId] });
    await alice.sendText(g.id, 'x'); // seq 2
    await until(() => bob.seen.some((m) => m.seq === 2));
    expect(await codeOf(bob.markRead(g.id, 3))).toBe('invalid_position');
    expect((await bob.getConversation(g.id)).membership.readSeq).toBeLessThan(2);
    await bob.leave(g.id); // seq 3
    await alice.sendText(g.id, 'after bob'); // seq 4
    // A member who left reads nothing any more (docs/conversation-state.md): forbidden, whatever the seq.
    expect(await codeOf(bob.markRead(g.id, 4))).toBe('forbidden');
    // A member who left is no reader, whatever their cursor says; receipts of the group are not theirs to ask.
    expect((await alice.fetchReceipts(g.id, [2])).counts).toEqual([{ seq: 2, readBy: 0 }]);
    expect(await codeOf(bob.fetchReceipts(g.id))).toBe('not_found');
  });
});
