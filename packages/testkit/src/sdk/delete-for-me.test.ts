/**
 * Delete for me through the SDK against a real server (SQLite by default; set
 * NATTER_TEST_DATABASE_URL to run it on PostgreSQL): `hideMessage` drops a message's body on
 * every device of the user — live on the connected ones, after sync on one that was offline —
 * while every other member still sees it; search and the conversation list follow; REST and the
 * frame answer alike.
 */
import { describe, expect, it } from 'vitest';
import { MemoryCache } from '@natter/client';
import { api, type TestServer } from '../harness.js';
import { adminUser, cached, codeOf, perTestSdk, ROOMY, until } from './fixtures.js';

const { servers, client } = perTestSdk();
const user = (t: TestServer) => adminUser(t, 'dfm');

/** Alice on two devices, bob and carol, in one group. */
async function team(t: TestServer) {
  const [a, b, c] = [await user(t), await user(t), await user(t)];
  const alice = client(t, a.token);
  const bob = client(t, b.token);
  const carol = client(t, c.token);
  await Promise.all([alice.connect(), bob.connect(), carol.connect()]);
  const g = await alice.createGroup({ title: 'Team', members: [b.userId, c.userId] });
  return { g, alice, bob, carol, ids: { alice: a.userId, bob: b.userId, carol: c.userId }, tokens: { alice: a.token, bob: b.token, carol: c.token } };
}

describe('delete for me through the SDK', () => {
  it("hides on this device and, live, on the user's other device; other members see it unchanged; search and list follow", async () => {
    const t = await servers.start(ROOMY);
    const { g, alice, bob, carol, tokens } = await team(t);
    const alice2 = client(t, tokens.alice);
    await alice2.connect();
    const list = alice2.conversationList();
    const hiddenEvents: string[] = [];
    alice2.on('messageHidden', (e) => hiddenEvents.push(e.message.id));
    const tag = `dfm${Date.now().toString(36)}`;
    const theirs = await bob.sendText(g.id, `bob says ${tag}`);
    await until(async () => (await cached(alice2, g.id, theirs.id)) !== undefined && list.items.find((c) => c.id === g.id)?.lastMessage?.id === theirs.id);

    const tomb = await alice.hideMessage(g.id, theirs.id);
    expect(tomb).toMatchObject({ id: theirs.id, seq: theirs.seq, body: {}, hiddenAt: expect.any(Number) as number });
    // This device at once; the other live, without a sync.
    expect((await alice.messages(g.id)).some((m) => m.id === theirs.id)).toBe(false);
    await until(async () => (await cached(alice2, g.id, theirs.id))?.hiddenAt !== undefined);
    expect(hiddenEvents).toEqual([theirs.id]);
    expect(await alice2.messages(g.id)).not.toContainEqual(expect.objectContaining({ id: theirs.id }));
    expect(JSON.stringify(await alice2.cache.getMessages(g.id))).not.toContain(tag);
    // The cache keeps the seq: no gap.
    expect((await alice2.cache.getMessages(g.id)).map((m) => m.seq)).toEqual([...Array(theirs.seq).keys()].map((i) => i + 1));
    // The list's preview no longer says it.
    await until(() => list.items.find((c) => c.id === g.id)?.lastMessage?.hiddenAt !== undefined);
    expect(JSON.stringify(list.items)).not.toContain(tag);
    list.close();
    // History fetched afresh is the tombstone too.
    const fresh = client(t, tokens.alice, new MemoryCache());
    await fresh.connect();
    await until(async () => (await fresh.cache.getLastSeq(g.id)) >= theirs.seq);
    expect(await cached(fresh, g.id, theirs.id)).toMatchObject({ body: {}, hiddenAt: tomb.hiddenAt });
    // Others: unchanged.
    for (const other of [bob, carol]) expect(await cached(other, g.id, theirs.id)).toMatchObject({ body: { text: `bob says ${tag}` } });
    expect((await alice.search(tag)).messages).toEqual([]);
    expect((await carol.search(tag)).messages.map((m) => m.id)).toEqual([theirs.id]);
    // Again: the same answer, nothing new on the other device.
    expect((await alice.hideMessage(g.id, theirs.id)).hiddenAt).toBe(tomb.hiddenAt);
    await alice2.idle();
    expect(hiddenEvents).toEqual([theirs.id]);
  }, 30_000);

  it('a device offline while the user hides converges after sync; another user still sees the messages', async () => {
    const t = await servers.start(ROOMY);
    const { g, alice, bob, carol, tokens } = await team(t);
    const own = await alice.sendText(g.id, 'my words, gone soon');
    const theirs = await bob.sendText(g.id, 'bob words, gone soon');
    const kept = await carol.sendText(g.id, 'carol words stay');
    const cache = new MemoryCache();
    const away = client(t, tokens.alice, cache);
    await away.connect();
    await until(async () => (await cache.getLastSeq(g.id)) >= kept.seq);
    away.close();

    await alice.hideMessage(g.id, own.id);
    await alice.hideMessage(g.id, theirs.id);
    // More happens while it is away: an edit of a hidden message must not bring its text back.
    await bob.edit(g.id, theirs.id, 'bob words, edited');
    const later = await bob.sendText(g.id, 'new while away');

    const back = client(t, tokens.alice, cache);
    await back.connect();
    const truth = await alice.getConversation(g.id);
    await until(async () => {
      const mine = await cache.getMessages(g.id);
      if ((await cache.getLastSeq(g.id)) >= truth.lastSeq && mine.filter((m) => m.hiddenAt !== undefined).length === 2) return true;
      await back.syncNow();
      await back.idle();
      return false;
    }, 20_000);
    const mine = new Map((await cache.getMessages(g.id)).map((m) => [m.id, m]));
    expect(mine.get(own.id)).toMatchObject({ seq: own.seq, body: {}, hiddenAt: expect.any(Number) as number });
    expect(mine.get(theirs.id)).toMatchObject({ seq: theirs.seq, body: {}, hiddenAt: expect.any(Number) as number });
    expect(mine.get(kept.id)).toMatchObject({ body: { text: 'carol words stay' } });
    expect(mine.get(later.id)).toMatchObject({ body: { text: 'new while away' } });
    expect(JSON.stringify([...mine.values()])).not.toContain('gone soon');
    expect(JSON.stringify([...mine.values()])).not.toContain('bob words');
    expect((await back.messages(g.id)).map((m) => m.id)).not.toContain(theirs.id);
    // What the online device holds is the same.
    for (const id of [own.id, theirs.id]) expect(await cached(alice, g.id, id)).toEqual(mine.get(id));
    // Another user still sees both, as they are.
    await until(async () => (await cached(carol, g.id, theirs.id))?.editedAt !== undefined);
    expect(await cached(carol, g.id, own.id)).toMatchObject({ body: { text: 'my words, gone soon' } });
    expect(await cached(carol, g.id, theirs.id)).toMatchObject({ body: { text: 'bob words, edited' } });
  }, 30_000);

  it('unhide brings the message back: live on the other device, after sync on one that was offline', async () => {
    const t = await servers.start(ROOMY);
    const { g, alice, bob, tokens } = await team(t);
    const alice2 = client(t, tokens.alice);
    await alice2.connect();
    const m = await bob.sendText(g.id, 'second thoughts');
    const cache = new MemoryCache();
    const away = client(t, tokens.alice, cache);
    await away.connect();
    await until(async () => (await cached(alice2, g.id, m.id)) !== undefined && (await cached(away, g.id, m.id)) !== undefined);
    await alice.hideMessage(g.id, m.id);
    await until(async () => (await cache.getMessages(g.id)).some((x) => x.id === m.id && x.hiddenAt !== undefined));
    away.close();

    const restored = await alice.unhideMessage(g.id, m.id);
    expect(restored).toMatchObject({ id: m.id, body: { text: 'second thoughts' } });
    expect(restored.hiddenAt).toBeUndefined();
    expect((await alice.messages(g.id)).map((x) => x.id)).toContain(m.id);
    await until(async () => (await cached(alice2, g.id, m.id))?.hiddenAt === undefined);
    expect(await cached(alice2, g.id, m.id)).toMatchObject({ body: { text: 'second thoughts' } });
    expect((await alice.search('thoughts')).messages.map((x) => x.id)).toEqual([m.id]);

    const back = client(t, tokens.alice, cache);
    await back.connect();
    await until(async () => {
      if ((await cached(back, g.id, m.id))?.hiddenAt === undefined) return true;
      await back.syncNow();
      await back.idle();
      return false;
    }, 20_000);
    expect(await cached(back, g.id, m.id)).toEqual(await cached(alice2, g.id, m.id));
  }, 30_000);

  it('refusals: unknown, another conversation, system entries and non-members get not_found; rate-limited; REST answers as the frame', async () => {
    const t = await servers.start({ ...ROOMY, REACTIONS_PER_MINUTE: 4 });
    const { g, alice, bob, carol, ids, tokens } = await team(t);
    const other = await bob.openDirect(ids.carol);
    const elsewhere = await carol.sendText(other.id, 'not in g');
    const sent = await bob.sendText(g.id, 'hide me over REST');
    expect(await codeOf(alice.hideMessage(g.id, 'm_guessed'))).toBe('not_found');
    expect(await codeOf(alice.hideMessage(g.id, elsewhere.id))).toBe('not_found');
    expect(await codeOf(alice.hideMessage(other.id, elsewhere.id))).toBe('not_found');
    const first = (await alice.messages(g.id))[0]!;
    expect(first.type).toBe('system');
    expect(await codeOf(alice.hideMessage(g.id, first.id))).toBe('not_found');
    const base = `/v1/conversations/${g.id}/messages`;
    const as = (who: keyof typeof tokens) => ({ authorization: `Bearer ${tokens[who]}` });
    const r = await api(t.url, 'POST', `${base}/${sent.id}/hide`, undefined, as('carol'));
    expect(r.status).toBe(200);
    expect(r.body.message).toMatchObject({ id: sent.id, body: {}, hiddenAt: expect.any(Number) as number });
    expect((await api(t.url, 'POST', `${base}/m_guessed/hide`, undefined, as('carol'))).status).toBe(404);
    expect((await api(t.url, 'POST', `${base}/${sent.id}/hide`)).status).toBe(401);
    // Carol has used 2 of 4 (a refusal counts too; no token, nothing): two more, then refused.
    await carol.hideMessage(g.id, sent.id);
    await carol.hideMessage(g.id, sent.id);
    expect(await codeOf(carol.hideMessage(g.id, sent.id))).toBe('rate_limited');
    expect(await cached(bob, g.id, sent.id)).toMatchObject({ body: { text: 'hide me over REST' } });
  }, 30_000);
});
