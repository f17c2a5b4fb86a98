import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RawClient, register, startTestServer, type TestServer } from '../harness.js';

let t: TestServer;
beforeEach(async () => {
  t = await startTestServer();
});
afterEach(async () => {
  await t.close();
});

describe('messaging over the socket', () => {
  it('delivers a direct message to the peer and the sender, with seq after the created entry', async () => {
    const alice = await register(t.url);
    const bob = await register(t.url);
    const a = await RawClient.authed(t.wsUrl, alice.accessToken);
    const b = await RawClient.authed(t.wsUrl, bob.accessToken);
    const conv = await a.request({ type: 'conversation.direct', userId: bob.userId });
    expect(conv.type).toBe('result');
    const id = conv.data.id as string;
    await b.waitFor((f) => f.type === 'conversation' && f.conversation.id === id);
    const sent = await a.request({ type: 'send', conversationId: id, clientMsgId: 'k1', msgType: 'text', body: { text: 'hi' } });
    expect(sent.data.seq).toBe(2);
    const got = await b.waitFor((f) => f.type === 'message' && f.message.seq === 2);
    expect(got.message).toMatchObject({ senderId: alice.userId, body: { text: 'hi' } });
    // Live frames leave null fields out (the SDK reads absent as null): not the sender's, so no key.
    expect(got.message).not.toHaveProperty('clientMsgId');
    const again = await a.request({ type: 'send', conversationId: id, clientMsgId: 'k1', msgType: 'text', body: { text: 'hi' } });
    expect(again.data).toEqual(sent.data);
    // The first attempt may never have been published (a crash between commit and publish):
    // a retry asks the conversation's devices to sync, without sending the entry again.
    await b.waitFor((f) => f.type === 'resync');
    expect(b.frames.filter((f) => f.type === 'message' && f.message.seq === 2)).toEqual([]);
    const clash = await a.request({ type: 'send', conversationId: id, clientMsgId: 'k1', msgType: 'text', body: { text: 'other' } });
    expect(clash.error.code).toBe('client_msg_id_conflict');
    a.close();
    b.close();
  });
});

/** A registered user with one authenticated connection. */
async function person(): Promise<[Awaited<ReturnType<typeof register>>, RawClient]> {
  const user = await register(t.url);
  return [user, await RawClient.authed(t.wsUrl, user.accessToken)];
}

describe('clientMsgId', () => {
  it("is in the sender's own copies only: live on each of their devices, and in history", async () => {
    const alice = await register(t.url);
    const bob = await register(t.url);
    const a1 = await RawClient.authed(t.wsUrl, alice.accessToken);
    const a2 = await RawClient.authed(t.wsUrl, alice.accessToken);
    const b = await RawClient.authed(t.wsUrl, bob.accessToken);
    const conv = await a1.request({ type: 'conversation.create', title: 'g', members: [bob.userId] });
    const id = conv.data.id as string;
    await b.waitFor((f) => f.type === 'conversation' && f.conversation.id === id);
    await a2.waitFor((f) => f.type === 'conversation' && f.conversation.id === id);
    const clientMsgId = '0192f1c4-7a2b-7c3d-8e4f-5a6b7c8d9e0f';
    // A custom body holding the same key and value must not be mistaken for the field.
    const body = { clientMsgId: null, note: '"clientMsgId":null' };
    await a1.request({ type: 'send', conversationId: id, clientMsgId, msgType: 'custom', body });
    await b.request({ type: 'send', conversationId: id, clientMsgId: 'bob-1', msgType: 'text', body: { text: 'hey' } });
    const seen = async (c: RawClient, seq: number) => (await c.waitFor((f) => f.type === 'message' && f.message.seq === seq)).message;
    for (const c of [a1, a2]) {
      expect(await seen(c, 2)).toMatchObject({ clientMsgId, body });
      expect(await seen(c, 3)).not.toHaveProperty('clientMsgId');
    }
    const bobsCopy = await seen(b, 2);
    // Live frames leave null fields out; the body's own clientMsgId key is the body's, not the field.
    expect(bobsCopy).toMatchObject({ body });
    expect(bobsCopy).not.toHaveProperty('clientMsgId');
    expect(await seen(b, 3)).toMatchObject({ clientMsgId: 'bob-1' });
    const history = async (c: RawClient) =>
      (await c.request({ type: 'messages', conversationId: id, after: 1 })).data.messages.map((m: { clientMsgId: string | null }) => m.clientMsgId);
    expect(await history(a2)).toEqual([clientMsgId, null]);
    expect(await history(b)).toEqual([null, 'bob-1']);
    for (const c of [a1, a2, b]) c.close();
  });
});

describe('group ownership', () => {
  it("pushes the new owner's view to their devices when the owner leaves", async () => {
    const [, a] = await person();
    const [bob, b] = await person();
    const [carol, c] = await person();
    // Carol joins later: Bob is the longest-standing member, so he inherits.
    const id = (await a.request({ type: 'conversation.create', title: 'g', members: [bob.userId] })).data.id as string;
    await a.request({ type: 'conversation.addMembers', conversationId: id, userIds: [carol.userId] });
    for (const x of [b, c]) await x.waitFor((f) => f.type === 'conversation' && f.conversation.id === id);
    const left = await a.request({ type: 'conversation.leave', conversationId: id });
    const pushed = await b.waitFor((f) => f.type === 'conversation' && f.conversation.id === id);
    expect(pushed.conversation.membership).toMatchObject({ role: 'owner', state: 'active' });
    expect(pushed.conversation.lastSeq).toBe(left.data.seq);
    // The other member's role did not change: no view for them beyond the log entry.
    await c.waitFor((f) => f.type === 'message' && f.message.seq === left.data.seq);
    expect(c.frames.filter((f) => f.type === 'conversation')).toEqual([]);
    for (const x of [a, b, c]) x.close();
  });
});

describe('roles', () => {
  it('the owner makes a member an admin over the socket and back over REST; everyone sees the entry, the member gets their new view', async () => {
    const [alice, a] = await person();
    const [bob, b] = await person();
    const [carol, c] = await person();
    const id = (await a.request({ type: 'conversation.create', title: 'g', members: [bob.userId, carol.userId] })).data.id as string;
    for (const x of [b, c]) await x.waitFor((f) => f.type === 'conversation' && f.conversation.id === id);

    const r = await a.request({ type: 'conversation.setRole', conversationId: id, userId: bob.userId, role: 'admin' });
    expect(r.data.membership.role).toBe('owner');
    const entry = (await c.waitFor((f) => f.type === 'message' && f.message.body.event === 'member.role')).message;
    expect(entry.body).toEqual({ event: 'member.role', by: alice.userId, userId: bob.userId, role: 'admin' });
    expect((await b.waitFor((f) => f.type === 'conversation' && f.conversation.id === id)).conversation.membership.role).toBe('admin');
    // Bob may now manage members.
    const dave = await register(t.url);
    expect((await b.request({ type: 'conversation.addMembers', conversationId: id, userIds: [dave.userId] })).type).toBe('result');

    const res = await fetch(`${t.url}/v1/conversations/${id}/members/${bob.userId}/role`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${alice.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'member' }),
    });
    expect(res.status).toBe(200);
    expect((await b.waitFor((f) => f.type === 'conversation' && f.conversation.id === id)).conversation.membership.role).toBe('member');
    for (const x of [a, b, c]) x.close();
  });

  it('refuses role changes by others than the owner, of the owner, to owner, and of non-members, changing nothing', async () => {
    const alice = await register(t.url);
    const bob = await register(t.url);
    const eve = await register(t.url);
    const a = await RawClient.authed(t.wsUrl, alice.accessToken);
    const b = await RawClient.authed(t.wsUrl, bob.accessToken);
    const id = (await a.request({ type: 'conversation.create', title: 'g', members: [bob.userId] })).data.id as string;
    const lastSeq = async () => (await a.request({ type: 'conversation.get', conversationId: id })).data.lastSeq;
    const before = await lastSeq();
    const code = async (c: RawClient, userId: string, role: string) =>
      (await c.request({ type: 'conversation.setRole', conversationId: id, userId, role })).error?.code;
    expect(await code(b, bob.userId, 'admin')).toBe('forbidden');
    expect(await code(a, alice.userId, 'member')).toBe('forbidden');
    expect(await code(a, bob.userId, 'owner')).toBe('invalid_request');
    expect(await code(a, eve.userId, 'admin')).toBe('invalid_request');
    const e = await RawClient.authed(t.wsUrl, eve.accessToken);
    expect(await code(e, bob.userId, 'admin')).toBe('not_found');
    expect(await lastSeq()).toBe(before);
    for (const x of [a, b, e]) x.close();
  });
});

describe('the live message frame', () => {
  it('carries what history serves for the same entry', async () => {
    const alice = await register(t.url);
    const bob = await register(t.url);
    const a = await RawClient.authed(t.wsUrl, alice.accessToken);
    const b = await RawClient.authed(t.wsUrl, bob.accessToken);
    const conv = await a.request({ type: 'conversation.direct', userId: bob.userId });
    const id = conv.data.id as string;
    await b.waitFor((f) => f.type === 'conversation' && f.conversation.id === id);
    const body = { text: 'emoji 😀 "quoted" \\ and a newline\n', mentions: [bob.userId] };
    await a.request({ type: 'send', conversationId: id, clientMsgId: 'k1', msgType: 'text', body });
    const custom = { kind: 'poll', options: ['a', 'b'], weights: [0.5, 1e-7], open: true, meta: null };
    await a.request({ type: 'send', conversationId: id, clientMsgId: 'k2', msgType: 'custom', body: custom });
    const live = await b.waitFor((f) => f.type === 'message' && f.message.seq === 3);
    const page = await b.request({ type: 'messages', conversationId: id, after: 1 });
    // Live frames leave null fields out; the SDK reads absent as null.
    const asRead = (m: object) => ({ clientMsgId: null, replyTo: null, ...m });
    expect(page.data.messages).toEqual([asRead(b.frames.find((f) => f.type === 'message' && f.message.seq === 2)!.message), asRead(live.message)]);
    expect(page.data.messages[0].body).toEqual(body);
    expect(page.data.messages[1].body).toEqual(custom);
    a.close();
    b.close();
  });
});

describe('fan-out to many connections', () => {
  it('gives every member device the same entries, whole and in order, at every frame length', async () => {
    const big = await startTestServer({ MAX_CUSTOM_BODY_BYTES: 300_000, MAX_FRAME_BYTES: 1_000_000 });
    try {
      const users = await Promise.all([0, 1, 2].map(() => register(big.url)));
      // Two devices for the sender, one each for the others: four sockets share each fan-out.
      const clients = await Promise.all([0, 0, 1, 2].map((u) => RawClient.authed(big.wsUrl, users[u]!.accessToken)));
      const conv = (await clients[0]!.request({ type: 'conversation.create', members: [users[1]!.userId, users[2]!.userId] })).data;
      await Promise.all(clients.slice(2).map((c) => c.waitFor((f) => f.type === 'conversation' && f.conversation.id === conv.id)));
      // Frames of 126–65,535 bytes (16-bit length) and of 64 KB and more (64-bit length).
      const bodies = [{ s: 'a' }, { s: 'b'.repeat(5_000) }, { s: 'c'.repeat(70_000) }, { s: 'ü'.repeat(100_000) }, { s: 'e' }];
      for (const [i, body] of bodies.entries()) {
        await clients[i % 2]!.request({ type: 'send', conversationId: conv.id, clientMsgId: `f${i}`, msgType: 'custom', body });
      }
      for (const c of clients) {
        const last = await c.waitFor((f) => f.type === 'message' && f.message.seq === 6);
        const got = [...c.frames.filter((f) => f.type === 'message' && f.message.seq >= 2), last].map((f) => f.message.body);
        // Compared as one boolean: a failure would otherwise print hundreds of KB of bodies.
        expect(JSON.stringify(got) === JSON.stringify(bodies)).toBe(true);
      }
      for (const c of clients) c.close();
    } finally {
      await big.close();
    }
  });
});

describe('bad input changes nothing', () => {
  async function setup() {
    const alice = await register(t.url);
    const bob = await register(t.url);
    const eve = await register(t.url);
    const a = await RawClient.authed(t.wsUrl, alice.accessToken);
    const e = await RawClient.authed(t.wsUrl, eve.accessToken);
    const conv = (await a.request({ type: 'conversation.direct', userId: bob.userId })).data;
    await a.request({ type: 'send', conversationId: conv.id, clientMsgId: 'x1', msgType: 'text', body: { text: 'secret' } });
    return { alice, bob, eve, a, e, conv };
  }
  const lastSeq = async (c: RawClient, id: string) => (await c.request({ type: 'conversation.get', conversationId: id })).data.lastSeq;

  it('answers not_found alike for a conversation one is not in and one that does not exist', async () => {
    const { e, a, conv } = await setup();
    const foreign = await e.request({ type: 'send', conversationId: conv.id, clientMsgId: 'e1', msgType: 'text', body: { text: 'hi' } });
    const missing = await e.request({ type: 'send', conversationId: 'c_doesnotexist', clientMsgId: 'e2', msgType: 'text', body: { text: 'hi' } });
    expect(foreign.error).toEqual(missing.error);
    expect(foreign.error.code).toBe('not_found');
    for (const frame of [
      { type: 'messages', conversationId: conv.id, after: 0 },
      { type: 'conversation.get', conversationId: conv.id },
      { type: 'ack', conversationId: conv.id, seq: 1 },
      { type: 'read', conversationId: conv.id, seq: 1 },
      { type: 'conversation.addMembers', conversationId: conv.id, userIds: [conv.members[0]] },
      { type: 'conversation.leave', conversationId: conv.id },
    ]) {
      expect((await e.request(frame)).error.code, frame.type).toBe('not_found');
    }
    const r = await fetch(`${t.url}/v1/conversations/${conv.id}/messages`, { headers: { authorization: `Bearer ${(await register(t.url)).accessToken}` } });
    expect(r.status).toBe(404);
    expect(await lastSeq(a, conv.id)).toBe(2);
  });

  it('ignores a forged sender: the sender is always the authenticated user', async () => {
    const { a, alice, bob, conv } = await setup();
    const r = await a.request({ type: 'send', conversationId: conv.id, clientMsgId: 'f1', msgType: 'text', body: { text: 'me?' }, senderId: bob.userId });
    expect(r.type).toBe('result');
    const page = await a.request({ type: 'messages', conversationId: conv.id, after: r.data.seq - 1 });
    expect(page.data.messages[0].senderId).toBe(alice.userId);
  });

  it('rejects oversized and malformed bodies with stable codes', async () => {
    const { a, conv } = await setup();
    const cases: [Record<string, unknown>, string][] = [
      [{ msgType: 'text', body: { text: 'x'.repeat(4001) } }, 'too_large'],
      [{ msgType: 'custom', body: { blob: 'x'.repeat(17 * 1024) } }, 'too_large'],
      [{ msgType: 'text', body: { text: '' } }, 'invalid_request'],
      [{ msgType: 'text', body: 'plain string' }, 'invalid_request'],
      [{ msgType: 'text', body: { text: 'a', extra: 1 } }, 'invalid_request'],
      [{ msgType: 'system', body: { event: 'member.joined' } }, 'invalid_request'],
      [{ msgType: 'text', body: { text: 'a' }, replyTo: 'm_nosuchmessage' }, 'invalid_request'],
    ];
    for (const [i, [extra, code]] of cases.entries()) {
      const r = await a.request({ type: 'send', conversationId: conv.id, clientMsgId: `bad${i}`, ...extra });
      expect(r.error?.code, JSON.stringify(extra).slice(0, 60)).toBe(code);
    }
    expect(await lastSeq(a, conv.id)).toBe(2);
  });

  it('rejects negative or huge seqs and page sizes, and acks of seqs never sent', async () => {
    const { a, conv } = await setup();
    for (const frame of [
      { type: 'messages', conversationId: conv.id, after: -1 },
      { type: 'messages', conversationId: conv.id, before: 1.5 },
      { type: 'messages', conversationId: conv.id, after: 0, limit: 0 },
      { type: 'messages', conversationId: conv.id, after: 0, limit: 100_000 },
      { type: 'messages', conversationId: conv.id, after: 2 ** 60 },
      { type: 'sync', limit: -5 },
      { type: 'sync', since: 'not-a-token' },
      { type: 'ack', conversationId: conv.id, seq: -1 },
    ]) {
      expect((await a.request(frame)).error?.code, JSON.stringify(frame)).toBe('invalid_request');
    }
    expect((await a.request({ type: 'ack', conversationId: conv.id, seq: 99 })).error.code).toBe('invalid_position');
    expect((await a.request({ type: 'read', conversationId: conv.id, seq: 3 })).error.code).toBe('invalid_position');
    expect((await a.request({ type: 'ack', conversationId: conv.id, seq: 2 })).data).toEqual({ seq: 2 });
    // Cursors never move back.
    expect((await a.request({ type: 'ack', conversationId: conv.id, seq: 1 })).data).toEqual({ seq: 2 });
  });
});

describe('group commit and history', () => {
  it('stores many concurrent sends in fewer transactions, with one gap-free order', async () => {
    const alice = await register(t.url);
    const bob = await register(t.url);
    const clients = await Promise.all([RawClient.authed(t.wsUrl, alice.accessToken), RawClient.authed(t.wsUrl, bob.accessToken)]);
    const conv = (await clients[0]!.request({ type: 'conversation.create', title: 'busy', members: [bob.userId] })).data;
    const count = async (h: { get(): Promise<{ values: { metricName?: string; value: number }[] }> }, name: string) =>
      (await h.get()).values.find((v) => v.metricName === `${name}_count`)?.value ?? 0;
    const m = t.server.metrics;
    const before = await count(m.commitBatch, 'natter_commit_batch_size');
    const timedBefore = [await count(m.commitQueue, 'natter_commit_queue_seconds'), await count(m.commitDuration, 'natter_commit_duration_seconds')];
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        clients[i % 2]!.request({ type: 'send', conversationId: conv.id, clientMsgId: `gc${i}`, msgType: 'text', body: { text: `n${i}` } }),
      ),
    );
    const seqs = results.map((r) => r.data.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 300 }, (_, i) => i + 2));
    const after = await count(m.commitBatch, 'natter_commit_batch_size');
    expect(after - before).toBeLessThan(300);
    // Every commit is also timed: how long its oldest send queued, how long the store took.
    expect(await count(m.commitQueue, 'natter_commit_queue_seconds')).toBe(timedBefore[0]! + after - before);
    expect(await count(m.commitDuration, 'natter_commit_duration_seconds')).toBe(timedBefore[1]! + after - before);
    // Each sender's own messages keep the order it sent them in.
    const page = await clients[0]!.request({ type: 'messages', conversationId: conv.id, after: 1, limit: 200 });
    const mine = page.data.messages.filter((m: any) => m.senderId === alice.userId).map((m: any) => Number(m.body.text.slice(1)));
    expect(mine).toEqual([...mine].sort((x, y) => x - y));
  });

  it('pages history backwards over the socket and over HTTP', async () => {
    const alice = await register(t.url);
    const bob = await register(t.url);
    const a = await RawClient.authed(t.wsUrl, alice.accessToken);
    const conv = (await a.request({ type: 'conversation.direct', userId: bob.userId })).data;
    for (let i = 0; i < 25; i++) await a.request({ type: 'send', conversationId: conv.id, clientMsgId: `h${i}`, msgType: 'text', body: { text: `h${i}` } });
    const p1 = await a.request({ type: 'messages', conversationId: conv.id, before: 27, limit: 10 });
    expect(p1.data.messages.map((m: any) => m.seq)).toEqual([17, 18, 19, 20, 21, 22, 23, 24, 25, 26]);
    expect(p1.data.hasMore).toBe(true);
    const res = await fetch(`${t.url}/v1/conversations/${conv.id}/messages?before=17&limit=20`, { headers: { authorization: `Bearer ${alice.accessToken}` } });
    const p2 = (await res.json()) as any;
    expect(p2.messages.map((m: any) => m.seq)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(p2.hasMore).toBe(false);
  });

  it('a member added later sees history only from when they joined', async () => {
    const [alice, bob, carol] = [await register(t.url), await register(t.url), await register(t.url)];
    const a = await RawClient.authed(t.wsUrl, alice.accessToken);
    const c = await RawClient.authed(t.wsUrl, carol.accessToken);
    const conv = (await a.request({ type: 'conversation.create', members: [bob.userId] })).data;
    await a.request({ type: 'send', conversationId: conv.id, clientMsgId: 'early', msgType: 'text', body: { text: 'before carol' } });
    await a.request({ type: 'conversation.addMembers', conversationId: conv.id, userIds: [carol.userId] });
    const pushed = await c.waitFor((f) => f.type === 'conversation' && f.conversation.id === conv.id);
    expect(pushed.conversation.membership.joinedSeq).toBe(3);
    await a.request({ type: 'send', conversationId: conv.id, clientMsgId: 'late', msgType: 'text', body: { text: 'after carol' } });
    await c.waitFor((f) => f.type === 'message' && f.message.seq === 4);
    const page = await c.request({ type: 'messages', conversationId: conv.id, after: 0 });
    expect(page.data.messages.map((m: any) => m.seq)).toEqual([3, 4]);
    const older = await c.request({ type: 'messages', conversationId: conv.id, before: 3 });
    expect(older.data.messages).toEqual([]);
  });
});

describe('read cursors', () => {
  it('tells the reader’s other devices at once when a conversation is read', async () => {
    const alice = await register(t.url);
    const bob = await register(t.url);
    const phone = await RawClient.authed(t.wsUrl, alice.accessToken);
    const login = await fetch(`${t.url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: alice.username, password: 'correct horse battery' }),
    });
    const laptop = await RawClient.authed(t.wsUrl, ((await login.json()) as { accessToken: string }).accessToken);
    const b = await RawClient.authed(t.wsUrl, bob.accessToken);
    const conv = (await b.request({ type: 'conversation.direct', userId: alice.userId })).data;
    for (let i = 0; i < 3; i++) await b.request({ type: 'send', conversationId: conv.id, clientMsgId: `r${i}`, msgType: 'text', body: { text: `r${i}` } });
    await laptop.waitFor((f) => f.type === 'message' && f.message.seq === 4);
    expect((await phone.request({ type: 'read', conversationId: conv.id, seq: 4 })).data).toEqual({ seq: 4 });
    const update = await laptop.waitFor((f) => f.type === 'conversation' && f.conversation.membership.readSeq === 4);
    expect(update.conversation.id).toBe(conv.id);
    // Bob's devices learn nothing about Alice's cursor from this push.
    await new Promise((r) => setTimeout(r, 50));
    expect(b.frames.some((f) => f.type === 'conversation' && f.conversation.membership.readSeq === 4)).toBe(false);
  });
});
