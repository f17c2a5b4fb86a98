/**
 * Group management through the SDK against a real server (SQLite by default; set
 * NATTER_TEST_DATABASE_URL to run it on PostgreSQL): profile, invite codes, mutes, ownership,
 * dissolving, the member limit, and a device that was offline through many group changes
 * converging after sync.
 */
import { describe, expect, it } from 'vitest';
import type { Conversation, Message } from '@natter/protocol';
import { MemoryCache, type NatterClient } from '@natter/client';
import { api, type TestServer } from '../harness.js';
import { adminUser, codeOf, perTestSdk, ROOMY, until } from './fixtures.js';

const { servers, client: newClient } = perTestSdk();
const user = (t: TestServer) => adminUser(t, 'g');

/** A client that also records every message it is shown, in order (`seen`). */
function client(t: TestServer, token: string, cache?: MemoryCache): NatterClient & { seen: Message[] } {
  const c = newClient(t, token, cache);
  const seen: Message[] = [];
  c.on('message', (m) => seen.push(m));
  return Object.assign(c, { seen });
}

const events = (ms: Message[], conv: string) => ms.filter((m) => m.conversationId === conv && m.type === 'system').map((m) => (m.body as { event: string }).event);

/** Four users online: alice (owner), adam (admin), bob and carol (members) in one group. */
async function team(t: TestServer) {
  const [a, d, b, c] = [await user(t), await user(t), await user(t), await user(t)];
  const alice = client(t, a.token);
  const adam = client(t, d.token);
  const bob = client(t, b.token);
  const carol = client(t, c.token);
  await Promise.all([alice.connect(), adam.connect(), bob.connect(), carol.connect()]);
  const g = await alice.createGroup({ title: 'Team', members: [d.userId, b.userId, c.userId] });
  await alice.setRole(g.id, d.userId, 'admin');
  return { g, alice, adam, bob, carol, ids: { alice: a.userId, adam: d.userId, bob: b.userId, carol: c.userId }, tokens: { bob: b.token } };
}

describe('groups through the SDK', () => {
  it('an admin changes the profile; every member sees it live, and a member may not', async () => {
    const t = await servers.start(ROOMY);
    const { g, adam, bob } = await team(t);
    const updated = await adam.updateGroup(g.id, { title: 'Renamed', avatarUrl: 'https://example.com/a.png', description: 'About us', announcement: 'Read the rules' });
    expect(updated).toMatchObject({ title: 'Renamed', group: { avatarUrl: 'https://example.com/a.png', description: 'About us', announcement: 'Read the rules' } });
    await until(async () => (await bob.cache.getConversation(g.id))?.group?.announcement === 'Read the rules');
    expect((await bob.cache.getConversation(g.id))?.title).toBe('Renamed');
    await until(() => events(bob.seen, g.id).includes('group.updated'));
    expect(await codeOf(bob.updateGroup(g.id, { title: 'Mine now' }))).toBe('forbidden');
    expect(await codeOf(adam.updateGroup(g.id, { avatarUrl: 'javascript:alert(1)' }))).toBe('invalid_request');
  });

  it('invite codes: create with a use limit, join, list, revoke; unusable codes all look the same', async () => {
    const t = await servers.start(ROOMY);
    const { g, alice, bob } = await team(t);
    const [dv, ev] = [await user(t), await user(t)];
    const dave = client(t, dv.token);
    const eve = client(t, ev.token);
    await Promise.all([dave.connect(), eve.connect()]);
    await alice.sendText(g.id, 'before dave');
    const inv = await alice.createInvite(g.id, { maxUses: 1, expiresInSeconds: 3600 });
    expect(inv).toMatchObject({ conversationId: g.id, maxUses: 1, uses: 0, revokedAt: null });
    expect(inv.code).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(await codeOf(bob.createInvite(g.id))).toBe('forbidden');
    const joined = await dave.joinByInvite(inv.code);
    expect(joined.members).toContain(dv.userId);
    await dave.idle();
    await until(() => events(dave.seen, g.id).includes('member.joinedByInvite'));
    // Dave's history starts at his join.
    expect(dave.seen.filter((m) => m.conversationId === g.id && m.type === 'text')).toEqual([]);
    const used = await codeOf(eve.joinByInvite(inv.code));
    const unknown = await codeOf(eve.joinByInvite('AAAAAAAAAAAAAAAAAAAAAA'));
    expect([used, unknown]).toEqual(['not_found', 'not_found']);
    const second = await alice.createInvite(g.id);
    await alice.revokeInvite(g.id, second.code);
    expect(await codeOf(eve.joinByInvite(second.code))).toBe('not_found');
    const list = await alice.listInvites(g.id);
    expect(list.map((i) => [i.code, i.uses, i.revokedAt !== null]).sort()).toEqual(
      [
        [inv.code, 1, false],
        [second.code, 0, true],
      ].sort(),
    );
    // The same errors over HTTP.
    const r = await api(t.url, 'POST', '/v1/invites/join', { code: second.code }, { authorization: `Bearer ${ev.token}` });
    expect([r.status, r.body.error.code]).toEqual([404, 'not_found']);
  });

  it('a muted member cannot send (muted) until unmuted; muting everyone leaves admins their voice', async () => {
    const t = await servers.start(ROOMY);
    const { g, alice, adam, bob, carol, ids } = await team(t);
    const view = await adam.muteMember(g.id, ids.bob, 600);
    expect(view.id).toBe(g.id);
    await until(async () => ((await bob.cache.getConversation(g.id))?.membership.mutedUntil ?? 0) > Date.now());
    expect(await codeOf(bob.sendText(g.id, 'let me speak'))).toBe('muted');
    expect(await codeOf(carol.sendText(g.id, 'I may'))).toBe('ok');
    await adam.muteMember(g.id, ids.bob, 0);
    expect(await codeOf(bob.sendText(g.id, 'thanks'))).toBe('ok');
    expect(await codeOf(adam.muteMember(g.id, ids.alice, 60))).toBe('forbidden');
    await alice.muteAll(g.id, true);
    await until(async () => (await carol.cache.getConversation(g.id))?.group?.mutedAll === true);
    expect(await codeOf(carol.sendText(g.id, 'hello?'))).toBe('muted');
    expect(await codeOf(adam.sendText(g.id, 'admins speak'))).toBe('ok');
    expect(await codeOf(alice.sendText(g.id, 'owner speaks'))).toBe('ok');
  });

  it('kick: admins remove members but not the owner or other admins; the removed member stops receiving', async () => {
    const t = await servers.start(ROOMY);
    const { g, alice, adam, bob, carol, ids } = await team(t);
    expect(await codeOf(adam.removeMember(g.id, ids.alice))).toBe('forbidden');
    await alice.setRole(g.id, ids.bob, 'admin');
    expect(await codeOf(adam.removeMember(g.id, ids.bob))).toBe('forbidden');
    expect(await codeOf(carol.removeMember(g.id, ids.adam))).toBe('forbidden');
    await adam.removeMember(g.id, ids.carol);
    await until(async () => (await carol.cache.getConversation(g.id))?.membership.state === 'left');
    expect(await codeOf(carol.sendText(g.id, 'still here?'))).toBe('not_found');
    await alice.sendText(g.id, 'after carol');
    await until(() => bob.seen.some((m) => (m.body as { text?: string }).text === 'after carol'));
    expect(carol.seen.some((m) => (m.body as { text?: string }).text === 'after carol')).toBe(false);
  });

  it('transfer ownership: the new owner gets the owner powers, the old one stays as an admin', async () => {
    const t = await servers.start(ROOMY);
    const { g, alice, bob, ids } = await team(t);
    expect(await codeOf(bob.transferOwnership(g.id, ids.bob))).toBe('forbidden');
    const mine = await alice.transferOwnership(g.id, ids.bob);
    expect(mine.membership.role).toBe('admin');
    await until(async () => (await bob.cache.getConversation(g.id))?.membership.role === 'owner');
    expect(await codeOf(alice.dissolveGroup(g.id))).toBe('forbidden');
    await bob.setRole(g.id, ids.alice, 'member');
    expect((await alice.getConversation(g.id)).membership.role).toBe('member');
  });

  it('dissolve: a final entry, then no sends, changes or joins for anyone; history stays readable', async () => {
    const t = await servers.start(ROOMY);
    const { g, alice, adam, bob } = await team(t);
    await bob.sendText(g.id, 'last words');
    const inv = await alice.createInvite(g.id);
    expect(await codeOf(adam.dissolveGroup(g.id))).toBe('forbidden');
    const ended = await alice.dissolveGroup(g.id);
    expect(ended.group?.dissolvedAt).toBeGreaterThan(0);
    await until(async () => ((await bob.cache.getConversation(g.id))?.group?.dissolvedAt ?? null) !== null);
    await until(() => events(bob.seen, g.id).at(-1) === 'group.dissolved');
    expect(await codeOf(bob.sendText(g.id, 'hello?'))).toBe('group_dissolved');
    expect(await codeOf(alice.sendText(g.id, 'hello?'))).toBe('group_dissolved');
    expect(await codeOf(adam.updateGroup(g.id, { title: 'back' }))).toBe('group_dissolved');
    expect(await codeOf(alice.createInvite(g.id))).toBe('group_dissolved');
    const [x] = [await user(t)];
    const outsider = client(t, x.token);
    await outsider.connect();
    expect(await codeOf(outsider.joinByInvite(inv.code))).toBe('not_found');
    expect(await codeOf(alice.addMembers(g.id, [x.userId]))).toBe('group_dissolved');
    const history = await api(t.url, 'GET', `/v1/conversations/${g.id}/messages?after=0`, undefined, { authorization: `Bearer ${(await user(t)).token}` });
    expect(history.status).toBe(404);
    expect((await bob.messages(g.id)).some((m) => (m.body as { text?: string }).text === 'last words')).toBe(true);
    // Leaving still works.
    await bob.leave(g.id);
  });

  it('joinByInvite reports rate_limited at once instead of retrying for an hour', async () => {
    const t = await servers.start({ ...ROOMY, INVITE_JOIN_ATTEMPTS_PER_HOUR: 2 });
    const guesser = client(t, (await user(t)).token);
    await guesser.connect();
    expect(await codeOf(guesser.joinByInvite('AAAAAAAAAAAAAAAAAAAAAA'))).toBe('not_found');
    expect(await codeOf(guesser.joinByInvite('BBBBBBBBBBBBBBBBBBBBBB'))).toBe('not_found');
    const started = Date.now();
    expect(await codeOf(guesser.joinByInvite('CCCCCCCCCCCCCCCCCCCCCC'))).toBe('rate_limited');
    // One round trip: a retry would first wait the capped retryAfterMs (10 s), ten of them minutes.
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('GROUP_MAX_MEMBERS refuses creating, adding and joining beyond it with group_full', async () => {
    const t = await servers.start({ ...ROOMY, GROUP_MAX_MEMBERS: 3 });
    const us = [await user(t), await user(t), await user(t), await user(t), await user(t)];
    const owner = client(t, us[0]!.token);
    const late = client(t, us[4]!.token);
    await Promise.all([owner.connect(), late.connect()]);
    expect(await codeOf(owner.createGroup({ members: us.slice(1, 4).map((u) => u.userId) }))).toBe('group_full');
    const g = await owner.createGroup({ members: [us[1]!.userId] });
    expect(await codeOf(owner.addMembers(g.id, [us[2]!.userId, us[3]!.userId]))).toBe('group_full');
    await owner.addMembers(g.id, [us[2]!.userId]);
    const inv = await owner.createInvite(g.id);
    expect(await codeOf(late.joinByInvite(inv.code))).toBe('group_full');
    expect((await owner.getConversation(g.id)).members).toHaveLength(3);
  });

  it('a device offline through many group changes converges after sync to what the others see', async () => {
    const t = await servers.start(ROOMY);
    const { g, alice, adam, carol, ids, tokens } = await team(t);
    const cache = new MemoryCache();
    const bob1 = client(t, tokens.bob, cache);
    await bob1.connect();
    await bob1.idle();
    await until(async () => (await cache.getConversation(g.id))?.membership.role === 'member');
    bob1.close();

    // While bob is away: every kind of group change, and messages between them.
    const [dv] = [await user(t)];
    const dave = client(t, dv.token);
    await dave.connect();
    await adam.updateGroup(g.id, { title: 'Offline edition', announcement: 'Big news' });
    await alice.sendText(g.id, 'one');
    await adam.muteMember(g.id, ids.carol, 3600);
    await alice.muteAll(g.id, true);
    const inv = await adam.createInvite(g.id, { maxUses: 5 });
    await dave.joinByInvite(inv.code);
    await alice.muteAll(g.id, false);
    await alice.transferOwnership(g.id, ids.adam);
    await adam.removeMember(g.id, ids.carol);
    await adam.updateGroup(g.id, { description: 'Final', avatarUrl: 'https://example.com/g.png' });
    await adam.sendText(g.id, 'two');
    void carol;

    const bob2 = client(t, tokens.bob, cache);
    await bob2.connect();
    await bob2.idle();
    const truth = await alice.getConversation(g.id);
    let mine: Conversation | null = null;
    // On PostgreSQL a sync returns a change once every older transaction has ended (store/postgres/
    // db.ts): another transaction running on the same database server may delay it; syncing again
    // brings it.
    await until(async () => {
      if ((mine = await cache.getConversation(g.id))?.lastSeq === truth.lastSeq) return true;
      await bob2.syncNow();
      await bob2.idle();
      return false;
    }, 20_000);
    expect(mine!.title).toBe('Offline edition');
    expect(mine!.group).toEqual(truth.group);
    expect(mine!.group).toMatchObject({ description: 'Final', announcement: 'Big news', mutedAll: false, avatarUrl: 'https://example.com/g.png' });
    expect([...mine!.members].sort()).toEqual([...truth.members].sort());
    expect(mine!.members).not.toContain(ids.carol);
    expect(mine!.members).toContain(dv.userId);
    // The same log, entry for entry, on bob's device and alice's.
    const aliceLog = await api(t.url, 'GET', `/v1/conversations/${g.id}/messages?after=0&limit=200`, undefined, { authorization: `Bearer ${tokens.bob}` });
    const serverSeqs = (aliceLog.body.messages as Message[]).map((m) => [m.seq, m.type, (m.body as { event?: string }).event ?? (m.body as { text: string }).text]);
    const bobSeqs = (await cache.getMessages(g.id)).map((m) => [m.seq, m.type, (m.body as { event?: string }).event ?? (m.body as { text: string }).text]);
    expect(bobSeqs).toEqual(serverSeqs);
    expect(events(await cache.getMessages(g.id), g.id)).toEqual([
      'conversation.created',
      'member.role',
      'group.updated',
      'member.muted',
      'group.mutedAll',
      'member.joinedByInvite',
      'group.mutedAll',
      'group.ownerTransferred',
      'member.removed',
      'group.updated',
    ]);
  });
});
