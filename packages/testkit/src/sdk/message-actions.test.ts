/**
 * Message actions through the SDK against a real server (SQLite by default; set
 * NATTER_TEST_DATABASE_URL to run it on PostgreSQL): recall (window, roles, the body gone from
 * the database), edit, reactions, and a device offline through all of them converging after
 * sync to what the others hold.
 */
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { MediaBody, Message } from '@natter/protocol';
import { MemoryCache } from '@natter/client';
import { api, type TestServer } from '../harness.js';
import { jpegWithGps } from '../media-fixtures.js';
import { adminUser, cached, codeOf, perTestSdk, ROOMY, until } from './fixtures.js';

const { servers, client } = perTestSdk();
const user = (t: TestServer) => adminUser(t, 'ma');

/** Rows of the server's database whose body contains `needle` (SQLite file, or every test schema on PostgreSQL). */
async function storedBodiesWith(t: TestServer, needle: string): Promise<number> {
  const pgUrl = process.env.NATTER_TEST_DATABASE_URL;
  if (!pgUrl) {
    const db = new Database(join(t.dataDir, 'natter.db'), { readonly: true, fileMustExist: true });
    try {
      return db.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM messages WHERE instr(body, ?) > 0`).get(needle)!.n;
    } finally {
      db.close();
    }
  }
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  try {
    const schemas = await c.query<{ s: string }>(`SELECT table_schema AS s FROM information_schema.tables WHERE table_name = 'messages' AND table_schema LIKE 'natter_h_%'`);
    let n = 0;
    for (const { s } of schemas.rows) {
      try {
        n += Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${s}.messages WHERE strpos(body, $1) > 0`, [needle])).rows[0]!.n);
      } catch {
        // another test's schema dropped meanwhile
      }
    }
    return n;
  } finally {
    await c.end();
  }
}

/** alice (owner), adam (admin), bob and carol (members) online in one group. */
async function team(t: TestServer) {
  const [a, d, b, c] = [await user(t), await user(t), await user(t), await user(t)];
  const alice = client(t, a.token);
  const adam = client(t, d.token);
  const bob = client(t, b.token);
  const carol = client(t, c.token);
  await Promise.all([alice.connect(), adam.connect(), bob.connect(), carol.connect()]);
  const g = await alice.createGroup({ title: 'Team', members: [d.userId, b.userId, c.userId] });
  await alice.setRole(g.id, d.userId, 'admin');
  return { g, alice, adam, bob, carol, ids: { alice: a.userId, adam: d.userId, bob: b.userId, carol: c.userId }, tokens: { alice: a.token, adam: d.token, bob: b.token, carol: c.token } };
}

describe('message actions through the SDK', () => {
  it('the sender recalls: every device shows it recalled, and its text is not in the database', async () => {
    const t = await servers.start(ROOMY);
    const { g, alice, bob } = await team(t);
    const secret = `secret-${randomBytes(6).toString('hex')}`;
    const sent = await bob.sendText(g.id, `my ${secret}`);
    await until(async () => (await cached(alice, g.id, sent.id)) !== undefined);
    expect(await storedBodiesWith(t, secret)).toBe(1);
    const recalled = await bob.recall(g.id, sent.id);
    expect(recalled).toMatchObject({ id: sent.id, type: 'text', body: {} });
    expect(recalled.recalledAt).toBeGreaterThan(0);
    await until(async () => (await cached(alice, g.id, sent.id))?.recalledAt !== undefined);
    expect(await cached(alice, g.id, sent.id)).toMatchObject({ body: {}, recalledAt: recalled.recalledAt });
    expect(await storedBodiesWith(t, secret)).toBe(0);
  });

  it('search follows recall and edit: recalled text and edited-away words are never found, the new words are', async () => {
    const t = await servers.start(ROOMY);
    const { g, alice, bob } = await team(t);
    const tag = randomBytes(4).toString('hex');
    const gone = await bob.sendText(g.id, `回收 recalled-${tag} 报告`);
    const edited = await bob.sendText(g.id, `draft-${tag} first words`);
    await until(async () => (await alice.search(tag)).messages.length === 2);
    await bob.recall(g.id, gone.id);
    await bob.edit(g.id, edited.id, `final-${tag} second words`);
    const found = async (q: string) => (await alice.search(q)).messages.map((m) => m.id);
    expect(await found(`recalled-${tag}`)).toEqual([]);
    expect(await found('回收')).not.toContain(gone.id);
    expect(await found(`draft-${tag}`)).toEqual([]);
    expect(await found(`final-${tag}`)).toEqual([edited.id]);
  });

  it('a recalled picture is no longer served to the other members', async () => {
    const t = await servers.start({ ...ROOMY, MEDIA_GC_INTERVAL_SECONDS: 0 });
    const [a, b] = [await user(t), await user(t)];
    const alice = client(t, a.token);
    const bob = client(t, b.token);
    await Promise.all([alice.connect(), bob.connect()]);
    const chat = await alice.openDirect(b.userId);
    const sent = await alice.sendMedia(chat.id, 'image', { data: await jpegWithGps(8, 8), type: 'image/jpeg', name: 'p.jpg' });
    await until(async () => (await cached(bob, chat.id, sent.id)) !== undefined);
    const { blobId } = (await cached(bob, chat.id, sent.id))!.body as MediaBody;
    const get = () => fetch(`${t.url}/v1/media/${blobId}`, { headers: { authorization: `Bearer ${b.token}` } }).then((r) => r.status);
    expect(await get()).toBe(200);
    await alice.recall(chat.id, sent.id);
    await until(async () => (await cached(bob, chat.id, sent.id))?.recalledAt !== undefined);
    expect((await cached(bob, chat.id, sent.id))?.body).toEqual({});
    expect(await get()).toBe(404);
  });

  it('recall outside the window is refused with a stable code; a non-sender member gets what an outsider gets; admins may any time', async () => {
    const t = await servers.start({ ...ROOMY, RECALL_WINDOW_SECONDS: 0 });
    const { g, alice, adam, bob, carol } = await team(t);
    const [ev] = [await user(t)];
    const eve = client(t, ev.token);
    await eve.connect();
    const sent = await bob.sendText(g.id, 'too late to take back');
    await new Promise((r) => setTimeout(r, 5));
    expect(await codeOf(bob.recall(g.id, sent.id))).toBe('recall_window_passed');
    const asMember = await codeOf(carol.recall(g.id, sent.id));
    const asOutsider = await codeOf(eve.recall(g.id, sent.id));
    const guessed = await codeOf(carol.recall(g.id, 'm_guessed'));
    expect([asMember, asOutsider, guessed]).toEqual(['not_found', 'not_found', 'not_found']);
    expect(await codeOf(carol.edit(g.id, sent.id, 'not mine'))).toBe('not_found');
    expect(await codeOf(eve.react(g.id, sent.id, '👍'))).toBe('not_found');
    expect((await adam.recall(g.id, sent.id)).recalledAt).toBeGreaterThan(0);
    const own = await adam.sendText(g.id, 'admin');
    expect((await alice.recall(g.id, own.id)).recalledAt).toBeGreaterThan(0);
  });

  it('only the owner and admins may mention "all" in a group: a member is refused with `forbidden` and nothing is stored', async () => {
    const t = await servers.start(ROOMY);
    const { g, alice, adam, bob, carol, ids } = await team(t);
    const tag = `all-${randomBytes(4).toString('hex')}`;
    expect(await codeOf(bob.sendText(g.id, `${tag} everyone`, { mentions: ['all'] }))).toBe('forbidden');
    expect(await codeOf(bob.sendText(g.id, `${tag} you and everyone`, { mentions: [ids.alice, 'all'] }))).toBe('forbidden');
    expect(await storedBodiesWith(t, tag)).toBe(0);
    const byAdmin = await adam.sendText(g.id, 'admin to all', { mentions: ['all'] });
    const byOwner = await alice.sendText(g.id, 'owner to all', { mentions: ['all'] });
    await until(async () => (await cached(carol, g.id, byOwner.id)) !== undefined && (await cached(carol, g.id, byAdmin.id)) !== undefined);
    expect((await cached(carol, g.id, byAdmin.id))?.mentions).toEqual(['all']);
    // A plain member may still mention members by id; in a direct conversation "all" is allowed.
    await bob.sendText(g.id, 'hi alice', { mentions: [ids.alice] });
    const chat = await bob.openDirect(ids.carol);
    await bob.sendText(chat.id, 'hey', { mentions: ['all'] });
  });

  it('edit and reactions: every device converges; one reaction per user per emoji', async () => {
    const t = await servers.start(ROOMY);
    const { g, alice, bob, carol, ids } = await team(t);
    const sent = await bob.sendText(g.id, 'helo');
    const edited = await bob.edit(g.id, sent.id, 'hello');
    expect(edited).toMatchObject({ body: { text: 'hello' } });
    expect(edited.editedAt).toBeGreaterThan(0);
    await alice.react(g.id, sent.id, '👍');
    await alice.react(g.id, sent.id, '👍');
    await carol.react(g.id, sent.id, '👍');
    await carol.react(g.id, sent.id, '🎉');
    const final = await carol.unreact(g.id, sent.id, '🎉');
    expect(final.reactions).toEqual([{ emoji: '👍', count: 2, userIds: [ids.alice, ids.carol] }]);
    for (const c of [alice, bob, carol]) {
      await until(async () => JSON.stringify((await cached(c, g.id, sent.id))?.reactions) === JSON.stringify(final.reactions));
      expect(await cached(c, g.id, sent.id)).toMatchObject({ body: { text: 'hello' }, editedAt: edited.editedAt });
    }
    expect(await codeOf(alice.react(g.id, sent.id, 'not an emoji'))).toBe('invalid_request');
  });

  it('over REST: recall, edit, react and unreact answer { message } and every device converges as with the frames', async () => {
    const t = await servers.start(ROOMY);
    const { g, alice, bob, ids, tokens } = await team(t);
    const as = (who: keyof typeof tokens) => ({ authorization: `Bearer ${tokens[who]}` });
    const base = `/v1/conversations/${g.id}/messages`;
    const sent = await bob.sendText(g.id, 'helo');
    const edited = await api(t.url, 'PATCH', `${base}/${sent.id}`, { text: 'hello' }, as('bob'));
    expect(edited.status).toBe(200);
    expect(edited.body.message).toMatchObject({ id: sent.id, body: { text: 'hello' } });
    const thumbs = encodeURIComponent('👍');
    expect((await api(t.url, 'PUT', `${base}/${sent.id}/reactions/${thumbs}`, undefined, as('alice'))).body.message.reactions).toEqual([
      { emoji: '👍', count: 1, userIds: [ids.alice] },
    ]);
    await api(t.url, 'PUT', `${base}/${sent.id}/reactions/${encodeURIComponent('🎉')}`, undefined, as('carol'));
    const un = await api(t.url, 'DELETE', `${base}/${sent.id}/reactions/${thumbs}`, undefined, as('alice'));
    expect(un.body.message.reactions).toEqual([{ emoji: '🎉', count: 1, userIds: [ids.carol] }]);
    await until(async () => JSON.stringify((await cached(alice, g.id, sent.id))?.reactions) === JSON.stringify(un.body.message.reactions));
    // Not the sender's to edit, a guessed id, no token, a bad body: refused as over the socket.
    expect((await api(t.url, 'PATCH', `${base}/${sent.id}`, { text: 'mine now' }, as('carol'))).body.error.code).toBe('not_found');
    expect((await api(t.url, 'POST', `${base}/m_guessed/recall`, undefined, as('bob'))).status).toBe(404);
    expect((await api(t.url, 'POST', `${base}/${sent.id}/recall`)).status).toBe(401);
    expect((await api(t.url, 'PATCH', `${base}/${sent.id}`, { text: '' }, as('bob'))).status).toBe(400);
    const recalled = await api(t.url, 'POST', `${base}/${sent.id}/recall`, undefined, as('bob'));
    expect(recalled.status).toBe(200);
    expect(recalled.body.message).toMatchObject({ id: sent.id, body: {} });
    await until(async () => (await cached(alice, g.id, sent.id))?.recalledAt === recalled.body.message.recalledAt);
  });

  it('reactions are rate-limited per user', async () => {
    const t = await servers.start({ ...ROOMY, REACTIONS_PER_MINUTE: 3 });
    const { g, alice, bob } = await team(t);
    const sent = await bob.sendText(g.id, 'react to me');
    for (const e of ['a', 'b', 'c']) await alice.react(g.id, sent.id, e);
    expect(await codeOf(alice.react(g.id, sent.id, 'd'))).toBe('rate_limited');
  }, 20_000);

  it('a device offline through recall, edits and reactions converges after sync to what the others hold', async () => {
    const t = await servers.start(ROOMY);
    const { g, alice, adam, bob, carol, ids, tokens } = await team(t);
    const m1 = await alice.sendText(g.id, 'to be recalled');
    const m2 = await alice.sendText(g.id, 'to be edited');
    const m3 = await carol.sendText(g.id, 'to be reacted to');
    const cache = new MemoryCache();
    const bob1 = client(t, tokens.bob, cache);
    await bob1.connect();
    await until(async () => (await cache.getMessages(g.id)).some((m) => m.id === m3.id));
    bob1.close();
    void bob;

    await alice.recall(g.id, m1.id);
    await alice.edit(g.id, m2.id, 'edited once');
    await alice.edit(g.id, m2.id, 'edited twice');
    await adam.react(g.id, m3.id, '👍');
    await alice.react(g.id, m3.id, '👍');
    await alice.react(g.id, m3.id, '❤️');
    await adam.unreact(g.id, m3.id, '👍');
    // A message sent and reacted to while bob is away, too.
    const m4 = await adam.sendText(g.id, 'new while away');
    await carol.react(g.id, m4.id, '🎉');

    const bob2 = client(t, tokens.bob, cache);
    await bob2.connect();
    const truth = await alice.getConversation(g.id);
    await until(async () => {
      if ((await cache.getLastSeq(g.id)) >= truth.lastSeq) return true;
      await bob2.syncNow();
      await bob2.idle();
      return false;
    }, 20_000);
    await bob2.idle();
    const mine = new Map((await cache.getMessages(g.id)).map((m) => [m.id, m]));
    expect(mine.get(m1.id)).toMatchObject({ body: {}, recalledAt: expect.any(Number) as number });
    expect(mine.get(m2.id)).toMatchObject({ body: { text: 'edited twice' }, editedAt: expect.any(Number) as number });
    expect(mine.get(m3.id)?.reactions).toEqual([
      { emoji: '👍', count: 1, userIds: [ids.alice] },
      { emoji: '❤️', count: 1, userIds: [ids.alice] },
    ]);
    expect(mine.get(m4.id)?.reactions).toEqual([{ emoji: '🎉', count: 1, userIds: [ids.carol] }]);
    // What an online device holds is the same.
    const shown = (m: Message | undefined) => m && { ...m, clientMsgId: null };
    for (const id of [m1.id, m2.id, m3.id, m4.id]) {
      await until(async () => {
        try {
          expect(shown(await cached(carol, g.id, id))).toEqual(shown(mine.get(id)));
          return true;
        } catch {
          return false;
        }
      });
    }
  }, 30_000);
});
