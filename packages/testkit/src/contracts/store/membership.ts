/** Store contract: membership changes and their permissions. Run through runStoreContract in ../store.ts. */
import { describe, expect, it } from 'vitest';
import { sorted, type StoreHarness } from './harness.js';

export function membershipContract(t: StoreHarness): void {
  describe('membership', () => {
    it('the owner adds members with a member.joined entry', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const carol = await t.user('carol');
      const g = await t.group(alice);
      const out = await t.change(g.id, { kind: 'add', userIds: [bob, carol, bob], by: alice });
      expect(out.kind).toBe('ok');
      if (out.kind !== 'ok') return;
      expect(out.entry).toMatchObject({
        conversationId: g.id,
        seq: 2,
        senderId: alice,
        type: 'system',
        clientMsgId: null,
      });
      expect(out.entry.body).toMatchObject({ event: 'member.joined', by: alice });
      expect(sorted((out.entry.body as { userIds: string[] }).userIds)).toEqual(sorted([bob, carol]));
      expect(sorted(out.affected)).toEqual(sorted([bob, carol]));
      expect(out.conversation.lastSeq).toBe(2);
      expect(sorted(out.conversation.members.map((m) => m.userId))).toEqual(sorted([alice, bob, carol]));
      expect((await t.store.getConversationForUser(g.id, bob))?.membership).toMatchObject({
        role: 'member',
        state: 'active',
        joinedSeq: 2,
        leftSeq: null,
      });
      expect(await t.store.activeConversationIds(carol)).toEqual([g.id]);
    });

    it('an admin may add members; a plain member may not', async () => {
      const alice = await t.user('alice');
      const admin = await t.user('adam');
      const bob = await t.user('bob');
      const carol = await t.user('carol');
      const g = await t.group(alice, [bob], [admin]);
      expect((await t.change(g.id, { kind: 'add', userIds: [carol], by: bob })).kind).toBe('forbidden');
      expect((await t.store.getConversationState(g.id))?.lastSeq).toBe(1);
      expect((await t.change(g.id, { kind: 'add', userIds: [carol], by: admin })).kind).toBe('ok');
    });

    it('adding members who are all in already is a noop', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      const out = await t.change(g.id, { kind: 'add', userIds: [bob, alice], by: alice });
      expect(out.kind).toBe('noop');
      expect((await t.store.getConversationState(g.id))?.lastSeq).toBe(1);
      // Mixed with a newcomer, only the newcomer is added.
      const carol = await t.user('carol');
      const mixed = await t.change(g.id, { kind: 'add', userIds: [bob, carol], by: alice });
      expect(mixed.kind === 'ok' && mixed.affected).toEqual([carol]);
      expect(mixed.kind === 'ok' && mixed.entry.body).toEqual({
        event: 'member.joined',
        by: alice,
        userIds: [carol],
      });
      expect((await t.store.getConversationForUser(g.id, bob))?.membership.joinedSeq).toBe(1);
    });

    it('non-members and unknown conversations get not_found', async () => {
      const alice = await t.user('alice');
      const eve = await t.user('eve');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      expect((await t.change(g.id, { kind: 'add', userIds: [eve], by: eve })).kind).toBe('not_found');
      expect((await t.change(g.id, { kind: 'remove', userId: bob, by: eve })).kind).toBe('not_found');
      expect((await t.change(g.id, { kind: 'leave', userId: eve })).kind).toBe('not_found');
      expect((await t.change('missing', { kind: 'leave', userId: alice })).kind).toBe('not_found');
    });

    it('removes a member, whose view then stops at leftSeq', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      await t.send(g.id, alice);
      const out = await t.change(g.id, { kind: 'remove', userId: bob, by: alice });
      expect(out.kind).toBe('ok');
      if (out.kind !== 'ok') return;
      expect(out.entry).toMatchObject({
        seq: 3,
        type: 'system',
        body: { event: 'member.removed', by: alice, userId: bob },
      });
      expect(out.affected).toEqual([bob]);
      expect(out.conversation.members.map((m) => m.userId)).toEqual([alice]);
      await t.sendMany(g.id, alice, 2);
      const view = await t.store.getConversationForUser(g.id, bob);
      expect(view?.membership).toMatchObject({ state: 'left', joinedSeq: 1, leftSeq: 3 });
      expect(view?.lastSeq).toBe(3);
      expect(await t.store.activeConversationIds(bob)).toEqual([]);
      expect((await t.change(g.id, { kind: 'remove', userId: bob, by: alice })).kind).toBe('noop');
    });

    it('a plain member may not remove anyone, and nobody removes the owner', async () => {
      const alice = await t.user('alice');
      const admin = await t.user('adam');
      const bob = await t.user('bob');
      const carol = await t.user('carol');
      const g = await t.group(alice, [bob, carol], [admin]);
      expect((await t.change(g.id, { kind: 'remove', userId: carol, by: bob })).kind).toBe('forbidden');
      expect((await t.change(g.id, { kind: 'remove', userId: alice, by: admin })).kind).toBe('forbidden');
      expect((await t.store.getConversationState(g.id))?.members).toHaveLength(4);
    });

    it('the owner makes a member an admin and back with member.role entries; the admin may then manage members', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const carol = await t.user('carol');
      const g = await t.group(alice, [bob, carol]);
      expect((await t.change(g.id, { kind: 'remove', userId: carol, by: bob })).kind).toBe('forbidden');
      const out = await t.change(g.id, { kind: 'role', userId: bob, role: 'admin', by: alice });
      expect(out.kind).toBe('ok');
      if (out.kind !== 'ok') return;
      expect(out.entry).toMatchObject({ type: 'system', senderId: alice, body: { event: 'member.role', by: alice, userId: bob, role: 'admin' } });
      expect(out.affected).toEqual([bob]);
      expect((await t.store.getConversationForUser(g.id, bob))?.membership.role).toBe('admin');
      // A change of a member's view: it shows in their sync.
      expect((await t.store.changesSince(bob, 0, 100)).conversations.map((c) => c.membership.role)).toEqual(['admin']);
      expect((await t.change(g.id, { kind: 'role', userId: bob, role: 'admin', by: alice })).kind).toBe('noop');
      expect((await t.change(g.id, { kind: 'remove', userId: carol, by: bob })).kind).toBe('ok');
      const back = await t.change(g.id, { kind: 'role', userId: bob, role: 'member', by: alice });
      expect(back.kind === 'ok' && back.entry.seq).toBe(out.entry.seq + 2);
      expect((await t.store.getConversationForUser(g.id, bob))?.membership.role).toBe('member');
    });

    it('only the owner changes roles, never the owner\'s own, and only of active members', async () => {
      const alice = await t.user('alice');
      const admin = await t.user('adam');
      const bob = await t.user('bob');
      const eve = await t.user('eve');
      const g = await t.group(alice, [bob], [admin]);
      const before = (await t.store.getConversationState(g.id))!;
      expect((await t.change(g.id, { kind: 'role', userId: bob, role: 'admin', by: admin })).kind).toBe('forbidden');
      expect((await t.change(g.id, { kind: 'role', userId: admin, role: 'member', by: bob })).kind).toBe('forbidden');
      expect((await t.change(g.id, { kind: 'role', userId: alice, role: 'member', by: alice })).kind).toBe('forbidden');
      expect((await t.change(g.id, { kind: 'role', userId: eve, role: 'admin', by: alice })).kind).toBe('not_member');
      expect((await t.change(g.id, { kind: 'role', userId: bob, role: 'admin', by: eve })).kind).toBe('not_found');
      const d = (await t.store.openDirect(alice, bob, t.direct(alice, bob))).state;
      expect((await t.change(d.id, { kind: 'role', userId: bob, role: 'admin', by: alice })).kind).toBe('forbidden');
      expect(await t.store.getConversationState(g.id)).toEqual(before);
    });

    it('a member leaves with a member.left entry', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      const out = await t.change(g.id, { kind: 'leave', userId: bob });
      expect(out.kind).toBe('ok');
      if (out.kind !== 'ok') return;
      expect(out.entry).toMatchObject({
        seq: 2,
        senderId: bob,
        type: 'system',
        body: { event: 'member.left', userId: bob },
      });
      expect((await t.store.getConversationForUser(g.id, bob))?.membership).toMatchObject({
        state: 'left',
        leftSeq: 2,
      });
      expect((await t.change(g.id, { kind: 'leave', userId: bob })).kind).toBe('not_found');
    });

    it('an owner who leaves hands ownership to a remaining member', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const carol = await t.user('carol');
      const g = await t.group(alice, [bob, carol]);
      const out = await t.change(g.id, { kind: 'leave', userId: alice });
      expect(out.kind).toBe('ok');
      if (out.kind !== 'ok') return;
      const owners = out.conversation.members.filter((m) => m.role === 'owner');
      expect(owners).toHaveLength(1);
      expect([bob, carol]).toContain(owners[0]!.userId);
      expect(out.newOwner).toBe(owners[0]!.userId);
      expect((await t.store.getConversationState(g.id))?.members).toEqual(out.conversation.members);
      // A member who is not the owner leaves: nobody's role changes.
      const other = owners[0]!.userId === bob ? carol : bob;
      const plain = await t.change(g.id, { kind: 'leave', userId: other });
      expect(plain.kind === 'ok' && plain.newOwner).toBeNull();
      // The new owner can manage the group.
      const dave = await t.user('dave');
      expect((await t.change(g.id, { kind: 'add', userIds: [dave], by: owners[0]!.userId })).kind).toBe('ok');
    });

    it('a removed member can be added again and sees history from the new join', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      await t.change(g.id, { kind: 'remove', userId: bob, by: alice });
      await t.send(g.id, alice);
      const out = await t.change(g.id, { kind: 'add', userIds: [bob], by: alice });
      expect(out.kind).toBe('ok');
      expect((await t.store.getConversationForUser(g.id, bob))?.membership).toMatchObject({
        state: 'active',
        joinedSeq: 4,
        leftSeq: null,
      });
      expect((await t.seqs(g.id, bob, { after: 0, limit: 10 })).seqs).toEqual([4]);
      await t.send(g.id, bob);
    });

    it('direct conversations forbid membership changes', async () => {
      const a = await t.user('alice');
      const b = await t.user('bob');
      const c = await t.user('carol');
      const d = (await t.store.openDirect(a, b, t.direct(a, b))).state;
      expect((await t.change(d.id, { kind: 'add', userIds: [c], by: a })).kind).toBe('forbidden');
      expect((await t.change(d.id, { kind: 'remove', userId: b, by: a })).kind).toBe('forbidden');
      expect((await t.change(d.id, { kind: 'leave', userId: a })).kind).toBe('forbidden');
      expect((await t.store.getConversationState(d.id))?.lastSeq).toBe(1);
    });
  });
}
