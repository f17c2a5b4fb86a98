/**
 * Store contract: group management (profile, ownership, dissolving, mutes, invite codes and the
 * member limit), as the shared rules in @natter/server's store/rules/groups.ts decide it. Run
 * through runStoreContract in ../store.ts.
 */
import { describe, expect, it } from 'vitest';
import type { GroupChange } from '@natter/server';
import { HOUR, T0, type StoreHarness } from './harness.js';

export function groupsContract(t: StoreHarness): void {
  const changeGroup = (conversationId: string, change: GroupChange, now = T0 + 1000) =>
    t.store.changeGroup(conversationId, change, t.nextId('m'), now);
  const invite = (conversationId: string, by: string, extra: { expiresAt?: number | null; maxUses?: number | null; code?: string } = {}) =>
    t.store.createGroupInvite(conversationId, {
      code: extra.code ?? t.nextId('code'),
      createdBy: by,
      createdAt: T0,
      expiresAt: extra.expiresAt ?? null,
      maxUses: extra.maxUses ?? null,
    });
  const join = (code: string, userId: string, now = T0 + 2000, max = 100) => t.store.joinByInvite(code, userId, t.nextId('m'), now, max);

  describe('groups', () => {
    it('a new group has the default profile in every view; a direct conversation has none', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      expect(g.group).toEqual({ avatarUrl: null, description: null, announcement: null, mutedAll: false, dissolvedAt: null });
      expect((await t.store.getConversationForUser(g.id, bob))?.group).toEqual(g.group);
      const d = await t.store.openDirect(alice, bob, t.direct(alice, bob));
      expect((await t.store.getConversationForUser(d.state.id, alice))?.group).toBeUndefined();
    });

    it('owner and admins change the profile with one group.updated entry naming only what changed; members may not', async () => {
      const alice = await t.user('alice');
      const adam = await t.user('adam');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob], [adam]);
      expect((await changeGroup(g.id, { kind: 'profile', by: bob, patch: { title: 'x' } })).kind).toBe('forbidden');
      const out = await changeGroup(g.id, { kind: 'profile', by: adam, patch: { title: 'Renamed', description: 'About', avatarUrl: null } });
      expect(out.kind).toBe('ok');
      if (out.kind !== 'ok') return;
      expect(out.entry).toMatchObject({ seq: 2, senderId: adam, type: 'system', body: { event: 'group.updated', by: adam, changes: { title: 'Renamed', description: 'About' } } });
      expect(out.conversation.title).toBe('Renamed');
      const view = await t.store.getConversationForUser(g.id, bob);
      expect(view).toMatchObject({ title: 'Renamed', lastSeq: 2, group: { description: 'About', announcement: null } });
      // The same patch again changes nothing and writes nothing.
      expect((await changeGroup(g.id, { kind: 'profile', by: alice, patch: { title: 'Renamed' } })).kind).toBe('noop');
      expect((await t.store.getConversationState(g.id))?.lastSeq).toBe(2);
      // The change is a change of every member's view for sync.
      const page = await t.store.changesSince(bob, 0, 10);
      expect(page.conversations.find((c) => c.id === g.id)?.group?.description).toBe('About');
    });

    it('non-members, former members and unknown groups get not_found for every change', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const eve = await t.user('eve');
      const g = await t.group(alice, [bob]);
      await t.change(g.id, { kind: 'remove', userId: bob, by: alice });
      const changes = (by: string): GroupChange[] => [
        { kind: 'profile', by, patch: { title: 'x' } },
        { kind: 'transfer', by, userId: alice },
        { kind: 'dissolve', by },
        { kind: 'mute', by, userId: alice, until: T0 + HOUR },
        { kind: 'muteAll', by, muted: true },
      ];
      for (const who of [eve, bob]) for (const c of changes(who)) expect((await changeGroup(g.id, c)).kind).toBe('not_found');
      for (const c of changes(alice)) expect((await changeGroup('c_nope', c)).kind).toBe('not_found');
      expect((await t.store.getConversationState(g.id))?.lastSeq).toBe(2);
    });

    it('the owner hands over ownership and stays as an admin; nobody else may', async () => {
      const alice = await t.user('alice');
      const adam = await t.user('adam');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob], [adam]);
      expect((await changeGroup(g.id, { kind: 'transfer', by: adam, userId: bob })).kind).toBe('forbidden');
      expect((await changeGroup(g.id, { kind: 'transfer', by: alice, userId: 'u_nobody' })).kind).toBe('not_member');
      const out = await changeGroup(g.id, { kind: 'transfer', by: alice, userId: bob });
      expect(out.kind).toBe('ok');
      if (out.kind !== 'ok') return;
      expect(out.entry.body).toEqual({ event: 'group.ownerTransferred', by: alice, userId: bob });
      expect(out.views.map((v) => [v.userId, v.conversation.membership.role]).sort()).toEqual([
        [alice, 'admin'],
        [bob, 'owner'],
      ]);
      expect(out.conversation.members.find((m) => m.role === 'owner')?.userId).toBe(bob);
      // The old owner, now an admin, may not remove the new owner.
      expect((await t.change(g.id, { kind: 'remove', userId: bob, by: alice })).kind).toBe('forbidden');
    });

    it('mutes: admins mute members, only the owner mutes admins, nobody the owner or themselves; a muted send is refused', async () => {
      const alice = await t.user('alice');
      const adam = await t.user('adam');
      const ada = await t.user('ada');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob], [adam, ada]);
      const until = T0 + HOUR;
      expect((await changeGroup(g.id, { kind: 'mute', by: bob, userId: adam, until })).kind).toBe('forbidden');
      expect((await changeGroup(g.id, { kind: 'mute', by: adam, userId: ada, until })).kind).toBe('forbidden');
      expect((await changeGroup(g.id, { kind: 'mute', by: adam, userId: alice, until })).kind).toBe('forbidden');
      expect((await changeGroup(g.id, { kind: 'mute', by: adam, userId: adam, until })).kind).toBe('forbidden');
      const out = await changeGroup(g.id, { kind: 'mute', by: adam, userId: bob, until });
      expect(out.kind === 'ok' && out.entry.body).toEqual({ event: 'member.muted', by: adam, userId: bob, until });
      expect(out.kind === 'ok' && out.views[0]?.conversation.membership.mutedUntil).toBe(until);
      expect((await changeGroup(g.id, { kind: 'mute', by: alice, userId: ada, until })).kind).toBe('ok');
      // Sends at a time before the mute's end are refused; after it, they go through.
      const refused = await t.store.appendMessages([t.msg(g.id, bob, 'hi', { createdAt: until - 1 }), t.msg(g.id, ada, 'hi', { createdAt: until - 1 })]);
      expect(refused.map((o) => o.kind)).toEqual(['muted', 'muted']);
      const later = await t.store.appendMessages([t.msg(g.id, bob, 'hi', { createdAt: until + 1 })]);
      expect(later[0]?.kind).toBe('stored');
      // Lifting the mute: null.
      const lifted = await changeGroup(g.id, { kind: 'mute', by: adam, userId: bob, until: null });
      expect(lifted.kind === 'ok' && lifted.views[0]?.conversation.membership.mutedUntil).toBeUndefined();
      expect((await t.store.appendMessages([t.msg(g.id, bob, 'hi', { createdAt: T0 })]))[0]?.kind).toBe('stored');
    });

    it('muting everyone silences members only; the owner and admins still speak', async () => {
      const alice = await t.user('alice');
      const adam = await t.user('adam');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob], [adam]);
      expect((await changeGroup(g.id, { kind: 'muteAll', by: bob, muted: true })).kind).toBe('forbidden');
      const out = await changeGroup(g.id, { kind: 'muteAll', by: adam, muted: true });
      expect(out.kind === 'ok' && out.entry.body).toEqual({ event: 'group.mutedAll', by: adam, muted: true });
      expect((await changeGroup(g.id, { kind: 'muteAll', by: alice, muted: true })).kind).toBe('noop');
      const outs = await t.store.appendMessages([t.msg(g.id, bob, 'a'), t.msg(g.id, adam, 'b'), t.msg(g.id, alice, 'c')]);
      expect(outs.map((o) => o.kind)).toEqual(['muted', 'stored', 'stored']);
      expect((await t.store.getConversationForUser(g.id, bob))?.group?.mutedAll).toBe(true);
      await changeGroup(g.id, { kind: 'muteAll', by: alice, muted: false });
      expect((await t.store.appendMessages([t.msg(g.id, bob, 'd')]))[0]?.kind).toBe('stored');
    });

    it('a retried send stored before a mute is still answered with its original', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      const m = t.msg(g.id, bob, 'before');
      expect((await t.store.appendMessages([m]))[0]?.kind).toBe('stored');
      await changeGroup(g.id, { kind: 'muteAll', by: alice, muted: true });
      expect((await t.store.appendMessages([m]))[0]?.kind).toBe('duplicate');
    });

    it('only the owner dissolves; the group then refuses sends and every change but leaving', async () => {
      const alice = await t.user('alice');
      const adam = await t.user('adam');
      const bob = await t.user('bob');
      const carol = await t.user('carol');
      const g = await t.group(alice, [bob], [adam]);
      const code = await invite(g.id, alice);
      expect((await changeGroup(g.id, { kind: 'dissolve', by: adam })).kind).toBe('forbidden');
      const out = await changeGroup(g.id, { kind: 'dissolve', by: alice }, T0 + 5000);
      expect(out.kind === 'ok' && out.entry.body).toEqual({ event: 'group.dissolved', by: alice });
      expect(out.kind === 'ok' && out.conversation.group?.dissolvedAt).toBe(T0 + 5000);
      expect((await t.store.getConversationForUser(g.id, bob))?.group?.dissolvedAt).toBe(T0 + 5000);
      expect((await changeGroup(g.id, { kind: 'dissolve', by: alice })).kind).toBe('noop');
      expect((await t.store.appendMessages([t.msg(g.id, alice, 'x'), t.msg(g.id, bob, 'y')])).map((o) => o.kind)).toEqual(['dissolved', 'dissolved']);
      expect((await changeGroup(g.id, { kind: 'profile', by: alice, patch: { title: 'x' } })).kind).toBe('dissolved');
      expect((await changeGroup(g.id, { kind: 'muteAll', by: adam, muted: true })).kind).toBe('dissolved');
      expect((await t.change(g.id, { kind: 'add', userIds: [carol], by: alice })).kind).toBe('dissolved');
      expect((await t.change(g.id, { kind: 'remove', userId: bob, by: alice })).kind).toBe('dissolved');
      expect((await invite(g.id, alice)).kind).toBe('dissolved');
      expect(code.kind === 'ok' && (await join(code.value.code, carol)).kind).toBe('not_found');
      // History stays readable; members may still leave.
      expect((await t.store.getMessages(g.id, bob, { after: 0, limit: 10 }))?.messages.map((m) => m.seq)).toEqual([1, 2]);
      expect((await t.change(g.id, { kind: 'leave', userId: bob })).kind).toBe('ok');
    });

    it('invite codes: owner and admins create, list and revoke; members and outsiders may not', async () => {
      const alice = await t.user('alice');
      const adam = await t.user('adam');
      const bob = await t.user('bob');
      const eve = await t.user('eve');
      const g = await t.group(alice, [bob], [adam]);
      const other = await t.group(eve);
      const a = await invite(g.id, alice, { code: 'code_a', expiresAt: T0 + HOUR, maxUses: 3 });
      expect(a).toEqual({
        kind: 'ok',
        value: { code: 'code_a', conversationId: g.id, createdBy: alice, createdAt: T0, expiresAt: T0 + HOUR, maxUses: 3, uses: 0, revokedAt: null },
      });
      expect((await invite(g.id, adam, { code: 'code_b' })).kind).toBe('ok');
      expect((await invite(g.id, bob)).kind).toBe('forbidden');
      expect((await invite(g.id, eve)).kind).toBe('not_found');
      expect((await invite('c_nope', alice)).kind).toBe('not_found');
      const list = await t.store.listGroupInvites(g.id, adam);
      expect(list.kind === 'ok' && list.value.map((i) => i.code).sort()).toEqual(['code_a', 'code_b']);
      expect((await t.store.listGroupInvites(g.id, bob)).kind).toBe('forbidden');
      expect((await t.store.listGroupInvites(g.id, eve)).kind).toBe('not_found');
      // Another group's code is not found through this group, even by that group's owner.
      const theirs = await invite(other.id, eve, { code: 'code_e' });
      expect(theirs.kind).toBe('ok');
      expect((await t.store.revokeGroupInvite(g.id, alice, 'code_e', T0 + 10)).kind).toBe('not_found');
      expect((await t.store.revokeGroupInvite(g.id, eve, 'code_a', T0 + 10)).kind).toBe('not_found');
      expect((await t.store.revokeGroupInvite(g.id, bob, 'code_a', T0 + 10)).kind).toBe('forbidden');
      const revoked = await t.store.revokeGroupInvite(g.id, adam, 'code_a', T0 + 10);
      expect(revoked.kind === 'ok' && revoked.value.revokedAt).toBe(T0 + 10);
      // Revoking again keeps the first time.
      const again = await t.store.revokeGroupInvite(g.id, alice, 'code_a', T0 + 20);
      expect(again.kind === 'ok' && again.value.revokedAt).toBe(T0 + 10);
    });

    it('joining by code adds a member with one entry and counts a use; every unusable code is not_found', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const carol = await t.user('carol');
      const dave = await t.user('dave');
      const g = await t.group(alice);
      await invite(g.id, alice, { code: 'limited', maxUses: 1 });
      await invite(g.id, alice, { code: 'expiring', expiresAt: T0 + 3000 });
      await invite(g.id, alice, { code: 'revoked' });
      await t.store.revokeGroupInvite(g.id, alice, 'revoked', T0 + 1);
      const out = await join('limited', bob);
      expect(out.kind).toBe('ok');
      if (out.kind !== 'ok') return;
      expect(out.entry).toMatchObject({ seq: 2, senderId: bob, body: { event: 'member.joinedByInvite', userId: bob, invitedBy: alice } });
      expect(out.views.map((v) => v.userId)).toEqual([bob]);
      expect(out.views[0]?.conversation.membership).toMatchObject({ role: 'member', state: 'active', joinedSeq: 2 });
      expect(await t.store.activeConversationIds(bob)).toEqual([g.id]);
      // Joining again while a member changes nothing and uses nothing.
      expect((await join('expiring', bob)).kind).toBe('noop');
      expect((await join('limited', carol)).kind).toBe('not_found');
      expect((await join('expiring', carol, T0 + 3000)).kind).toBe('not_found');
      expect((await join('revoked', carol)).kind).toBe('not_found');
      expect((await join('never_made', carol)).kind).toBe('not_found');
      expect((await join('expiring', carol, T0 + 2999)).kind).toBe('ok');
      const list = await t.store.listGroupInvites(g.id, alice);
      expect(list.kind === 'ok' && Object.fromEntries(list.value.map((i) => [i.code, i.uses]))).toEqual({ limited: 1, expiring: 1, revoked: 0 });
      // A removed member may come back with a code, seeing history from their new join only.
      await t.change(g.id, { kind: 'remove', userId: bob, by: alice });
      const back = await join('expiring', bob);
      expect(back.kind === 'ok' && back.views[0]?.conversation.membership.joinedSeq).toBe(back.kind === 'ok' ? back.entry.seq : -1);
      // Three active members: a limit of three refuses a fourth.
      expect((await join('expiring', dave, T0 + 2000, 3)).kind).toBe('full');
    });

    it('the member limit refuses an add that would pass it, changing nothing', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const carol = await t.user('carol');
      const dave = await t.user('dave');
      const g = await t.group(alice, [bob]);
      expect((await t.change(g.id, { kind: 'add', userIds: [carol, dave], by: alice, maxMembers: 3 })).kind).toBe('full');
      expect((await t.store.getConversationState(g.id))?.lastSeq).toBe(1);
      expect((await t.change(g.id, { kind: 'add', userIds: [carol], by: alice, maxMembers: 3 })).kind).toBe('ok');
      expect((await t.change(g.id, { kind: 'add', userIds: [dave], by: alice, maxMembers: 3 })).kind).toBe('full');
      // Adding only members already in is still a noop, not full.
      expect((await t.change(g.id, { kind: 'add', userIds: [bob], by: alice, maxMembers: 3 })).kind).toBe('noop');
    });

    it('concurrent joins never pass a code\'s use limit or the member limit, and seqs stay gap-free', async () => {
      const alice = await t.user('alice');
      const users: string[] = [];
      for (let i = 0; i < 12; i++) users.push(await t.user(`joiner${i}`));
      const g = await t.group(alice);
      await invite(g.id, alice, { code: 'three', maxUses: 3 });
      const first = await Promise.all(users.slice(0, 6).map((u) => join('three', u)));
      expect(first.filter((o) => o.kind === 'ok')).toHaveLength(3);
      expect(first.filter((o) => o.kind === 'not_found')).toHaveLength(3);
      await invite(g.id, alice, { code: 'open' });
      // Four active now; a limit of seven lets exactly three more in.
      const second = await Promise.all(users.slice(6).map((u) => join('open', u, T0 + 2000, 7)));
      expect(second.filter((o) => o.kind === 'ok')).toHaveLength(3);
      expect(second.filter((o) => o.kind === 'full')).toHaveLength(3);
      const state = await t.store.getConversationState(g.id);
      expect(state?.members).toHaveLength(7);
      const log = await t.store.getMessages(g.id, alice, { after: 0, limit: 50 });
      expect(log?.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    });

    it('a member who left keeps the title and profile of when they left; later changes do not reach them', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      await changeGroup(g.id, { kind: 'profile', by: alice, patch: { announcement: 'old news' } });
      await t.change(g.id, { kind: 'remove', userId: bob, by: alice });
      await changeGroup(g.id, { kind: 'profile', by: alice, patch: { title: 'Secret plans', announcement: 'new news' } });
      const seen = await t.store.getConversationForUser(g.id, bob);
      expect(seen).toMatchObject({ title: 'Team', group: { announcement: 'old news' }, members: [] });
      const synced = (await t.store.changesSince(bob, 0, 10)).conversations.find((c) => c.id === g.id);
      expect(synced).toMatchObject({ title: 'Team', group: { announcement: 'old news' } });
      // Back in, they see the group as it is.
      await t.change(g.id, { kind: 'add', userIds: [bob], by: alice });
      expect(await t.store.getConversationForUser(g.id, bob)).toMatchObject({ title: 'Secret plans', group: { announcement: 'new news' } });
    });

    it('group views keep the list state: group entries never count as unread, refused sends count nothing, a joiner by code and a leaver count from where they stand', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const carol = await t.user('carol');
      const g = await t.group(alice, [bob]);
      await t.send(g.id, alice, 'one');
      await t.send(g.id, alice, 'two', { mentions: [bob] });
      const changed = await changeGroup(g.id, { kind: 'profile', by: alice, patch: { announcement: 'Read me' } });
      expect(changed.kind).toBe('ok');
      // The system entry is the preview; only the two messages count, and the mention is still unread.
      expect(await t.store.getConversationForUser(g.id, bob)).toMatchObject({
        unreadCount: 2,
        mentioned: true,
        lastMessage: { seq: 4, type: 'system', body: { event: 'group.updated' } },
        group: { announcement: 'Read me' },
      });
      // Muted: the refused send is not stored and counts nothing for anyone.
      await changeGroup(g.id, { kind: 'mute', by: alice, userId: bob, until: T0 + HOUR });
      expect((await t.store.appendMessages([t.msg(g.id, bob, 'shh', { createdAt: T0 + 10 })]))[0]?.kind).toBe('muted');
      const aliceView = await t.store.getConversationForUser(g.id, alice);
      expect(aliceView).toMatchObject({ lastSeq: 5, unreadCount: 0 });
      expect(await t.store.getConversationForUser(g.id, bob)).toMatchObject({ unreadCount: 2, membership: { mutedUntil: T0 + HOUR } });
      // A joiner by code has read everything before the entry that added them.
      const code = await invite(g.id, alice);
      const joined = await join(code.kind === 'ok' ? code.value.code : '', carol);
      expect(joined.kind === 'ok' && joined.views[0]?.conversation).toMatchObject({
        unreadCount: 0,
        mentioned: false,
        lastMessage: { seq: 6, body: { event: 'member.joinedByInvite' } },
      });
      await t.send(g.id, alice, 'welcome');
      expect(await t.store.getConversationForUser(g.id, carol)).toMatchObject({ unreadCount: 1, lastMessage: { seq: 7 } });
      // A leaver sees the group as it was and counts nothing; their preview is the entry that removed them.
      await t.change(g.id, { kind: 'remove', userId: bob, by: alice });
      await changeGroup(g.id, { kind: 'profile', by: alice, patch: { title: 'Later' } });
      await t.send(g.id, alice, 'after bob');
      expect(await t.store.getConversationForUser(g.id, bob)).toMatchObject({
        title: 'Team',
        lastSeq: 8,
        unreadCount: 0,
        mentioned: false,
        lastMessage: { seq: 8, body: { event: 'member.removed' } },
        group: { announcement: 'Read me' },
      });
      // Dissolved: sends are refused and the count stays where it was.
      expect((await changeGroup(g.id, { kind: 'dissolve', by: alice })).kind).toBe('ok');
      expect((await t.store.appendMessages([t.msg(g.id, alice, 'too late')]))[0]?.kind).toBe('dissolved');
      expect(await t.store.getConversationForUser(g.id, carol)).toMatchObject({ unreadCount: 2, lastMessage: { seq: 11, body: { event: 'group.dissolved' } } });
    });

    it('a member who rejoins is no longer muted', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      await changeGroup(g.id, { kind: 'mute', by: alice, userId: bob, until: T0 + HOUR });
      await t.change(g.id, { kind: 'remove', userId: bob, by: alice });
      await t.change(g.id, { kind: 'add', userIds: [bob], by: alice });
      expect((await t.store.getConversationForUser(g.id, bob))?.membership.mutedUntil).toBeUndefined();
      expect((await t.store.appendMessages([t.msg(g.id, bob, 'back', { createdAt: T0 + 10 })]))[0]?.kind).toBe('stored');
    });
  });
}
