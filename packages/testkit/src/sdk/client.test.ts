import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Message } from '@natter/protocol';
import { MemoryCache, NatterClient, type WebSocketFactory } from '@natter/client';
import { api, ADMIN_KEY, register, startTestServer, type TestServer } from '../harness.js';

let t: TestServer;
const clients: NatterClient[] = [];
beforeEach(async () => {
  t = await startTestServer();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await t.close();
});

function client(token: string, extra: Partial<ConstructorParameters<typeof NatterClient>[0]> = {}): NatterClient & { seen: Message[] } {
  const c = new NatterClient({ url: t.wsUrl, token, WebSocket: WebSocket as unknown as WebSocketFactory, backoff: { initialMs: 20, maxMs: 200 }, ...extra });
  const seen: Message[] = [];
  c.on('message', (m) => seen.push(m));
  clients.push(c);
  return Object.assign(c, { seen });
}

async function until(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const texts = (ms: Message[], conv: string) => ms.filter((m) => m.conversationId === conv && m.type === 'text').map((m) => (m.body as { text: string }).text);

describe('NatterClient', () => {
  it('lets two users exchange messages, each shown once and in order', async () => {
    const [a, b] = [await register(t.url), await register(t.url)];
    const alice = client(a.accessToken);
    const bob = client(b.accessToken);
    await Promise.all([alice.connect(), bob.connect()]);
    const chat = await alice.openDirect(b.userId);
    for (let i = 0; i < 20; i++) void (i % 2 ? bob : alice).sendText(chat.id, `m${i}`);
    await until(() => texts(alice.seen, chat.id).length === 20 && texts(bob.seen, chat.id).length === 20);
    expect(texts(alice.seen, chat.id)).toEqual(texts(bob.seen, chat.id));
    const seqs = alice.seen.filter((m) => m.conversationId === chat.id).map((m) => m.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  });

  it('catches up incrementally after being offline, from the same cache', async () => {
    const [a, b] = [await register(t.url), await register(t.url)];
    const alice = client(a.accessToken);
    const cache = new MemoryCache();
    const bob1 = client(b.accessToken, { cache });
    await Promise.all([alice.connect(), bob1.connect()]);
    const chat = await alice.openDirect(b.userId);
    await alice.sendText(chat.id, 'before');
    await until(() => texts(bob1.seen, chat.id).length === 1);
    bob1.close();
    for (let i = 0; i < 250; i++) await alice.sendText(chat.id, `offline ${i}`);
    const bob2 = client(b.accessToken, { cache });
    await bob2.connect();
    await bob2.idle();
    expect(texts(bob2.seen, chat.id)).toEqual(Array.from({ length: 250 }, (_, i) => `offline ${i}`));
    expect(texts(await bob2.messages(chat.id), chat.id)).toHaveLength(251);
  });

  it('keeps sends in the outbox while offline and stores each exactly once', async () => {
    const [a, b] = [await register(t.url), await register(t.url)];
    const alice = client(a.accessToken);
    const bob = client(b.accessToken);
    await Promise.all([alice.connect(), bob.connect()]);
    const chat = await alice.openDirect(b.userId);
    alice.dropConnection();
    const sends = [0, 1, 2].map((i) => alice.sendText(chat.id, `queued ${i}`));
    const results = await Promise.all(sends);
    expect(new Set(results.map((r) => r.seq)).size).toBe(3);
    await until(() => texts(bob.seen, chat.id).length === 3);
    expect(await alice.pendingSends()).toEqual([]);
    // A retry with the same clientMsgId returns the original and creates nothing.
    const first = await alice.sendText(chat.id, 'once', { clientMsgId: 'fixed-id' });
    const again = await alice.sendText(chat.id, 'once', { clientMsgId: 'fixed-id' });
    expect(again).toEqual(first);
    await until(() => texts(bob.seen, chat.id).length === 4);
    await new Promise((r) => setTimeout(r, 100));
    expect(texts(bob.seen, chat.id).filter((x) => x === 'once')).toHaveLength(1);
  });

  it('fills a gap when a live message is lost on the wire', async () => {
    const [a, b] = [await register(t.url), await register(t.url)];
    let dropped = 0;
    // A WebSocket that loses the 3rd live `message` frame it receives.
    class Lossy extends WebSocket {
      constructor(url: string) {
        super(url);
        let n = 0;
        const orig = this.emit.bind(this);
        this.emit = ((event: string, ...args: unknown[]) => {
          if (event === 'message' && String(args[0]).startsWith('{"type":"message"') && ++n === 3) {
            dropped++;
            return true;
          }
          return orig(event, ...args);
        }) as typeof this.emit;
      }
    }
    const alice = client(a.accessToken);
    const bob = client(b.accessToken, { WebSocket: Lossy as unknown as WebSocketFactory });
    await Promise.all([alice.connect(), bob.connect()]);
    const chat = await alice.openDirect(b.userId);
    for (let i = 0; i < 6; i++) await alice.sendText(chat.id, `g${i}`);
    await until(() => texts(bob.seen, chat.id).length === 6);
    expect(dropped).toBe(1);
    expect(texts(bob.seen, chat.id)).toEqual(['g0', 'g1', 'g2', 'g3', 'g4', 'g5']);
  });

  it('delivers to every device of every member, including the sender’s other devices', async () => {
    const a = await register(t.url);
    const b = await register(t.url);
    const c = await register(t.url);
    const a2 = await api(t.url, 'POST', '/v1/auth/login', { username: a.username, password: 'correct horse battery' });
    const devices = [client(a.accessToken), client(a2.body.accessToken), client(b.accessToken), client(c.accessToken)];
    await Promise.all(devices.map((d) => d.connect()));
    const group = await devices[0]!.createGroup({ title: 'team', members: [b.userId, c.userId] });
    await devices[0]!.sendText(group.id, 'hello team');
    for (const d of devices) await until(() => texts(d.seen, group.id).includes('hello team'));
  });

  it('stops delivering to a member once removed', async () => {
    const [a, b, c] = [await register(t.url), await register(t.url), await register(t.url)];
    const alice = client(a.accessToken);
    const bob = client(b.accessToken);
    const carol = client(c.accessToken);
    await Promise.all([alice.connect(), bob.connect(), carol.connect()]);
    const group = await alice.createGroup({ title: 'g', members: [b.userId, c.userId] });
    await alice.sendText(group.id, 'one');
    await until(() => texts(bob.seen, group.id).length === 1);
    await alice.removeMember(group.id, b.userId);
    await alice.sendText(group.id, 'two');
    await until(() => texts(carol.seen, group.id).length === 2);
    await new Promise((r) => setTimeout(r, 100));
    expect(texts(bob.seen, group.id)).toEqual(['one']);
    const removal = bob.seen.find((m) => m.type === 'system' && (m.body as { event: string }).event === 'member.removed');
    expect(removal).toBeDefined();
    // Nor can the removed member read or send any more.
    await expect(bob.sendText(group.id, 'let me in')).rejects.toMatchObject({ code: 'not_found' });
    await bob.syncNow();
    expect(texts(await bob.messages(group.id), group.id)).toEqual(['one']);
  });

  it('works with tokens minted by an app server through the admin API', async () => {
    const u = await api(t.url, 'POST', '/v1/admin/users', { username: 'shopper' }, { 'x-admin-key': ADMIN_KEY });
    const tok = await api(t.url, 'POST', `/v1/admin/users/${u.body.id}/tokens`, {}, { 'x-admin-key': ADMIN_KEY });
    const c = client(tok.body.accessToken);
    await c.connect();
    expect(c.userId).toBe(u.body.id);
  });
});
