/**
 * Store contract: what creating a conversation and changing membership return — the entry they
 * wrote and the views of the users they changed — is exactly what reading back afterwards gives,
 * so callers can announce a change without reading it back. Run through runStoreContract.
 */
import { describe, expect, it } from 'vitest';
import type { Message } from '@natter/protocol';
import type { MemberView, MembershipOutcome } from '@natter/server';
import type { StoreHarness } from './harness.js';

export function viewsContract(t: StoreHarness): void {
  /** Each view equals the user's view read afterwards. */
  const expectViewsReadBack = async (conversationId: string, views: MemberView[]) => {
    for (const v of views) expect(await t.store.getConversationForUser(conversationId, v.userId), v.userId).toEqual(v.conversation);
  };
  /** The entry equals the one `userId` reads at its seq. */
  const expectEntryReadBack = async (entry: Message, userId: string) => {
    const page = await t.store.getMessages(entry.conversationId, userId, { after: entry.seq - 1, limit: 1 });
    expect(page?.messages).toEqual([entry]);
  };
  const ok = (out: MembershipOutcome) => {
    if (out.kind !== 'ok') throw new Error(`expected ok, got ${out.kind}`);
    return out;
  };

  describe('returned entries and views', () => {
    it('createConversation returns its entry and every member view in member order', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const carol = await t.user('carol');
      const created = await t.store.createConversation(
        t.newConversation('group', alice, [
          { userId: alice, role: 'owner' },
          { userId: carol, role: 'admin' },
          { userId: bob, role: 'member' },
        ]),
      );
      expect(await t.store.getConversationState(created.state.id)).toEqual(created.state);
      expect(created.views.map((v) => v.userId)).toEqual(created.state.members.map((m) => m.userId));
      await expectViewsReadBack(created.state.id, created.views);
      expect(created.entry).toMatchObject({ seq: 1, type: 'system', body: { event: 'conversation.created' } });
      for (const m of [alice, bob, carol]) await expectEntryReadBack(created.entry, m);
    });

    it('openDirect returns what it created once, and null for created afterwards', async () => {
      const a = await t.user('alice');
      const b = await t.user('bob');
      const first = await t.store.openDirect(a, b, t.direct(a, b));
      expect(first.created).not.toBeNull();
      expect(first.created!.state).toEqual(first.state);
      expect(await t.store.getConversationState(first.state.id)).toEqual(first.state);
      expect(first.created!.views.map((v) => v.userId)).toEqual(first.state.members.map((m) => m.userId));
      await expectViewsReadBack(first.state.id, first.created!.views);
      await expectEntryReadBack(first.created!.entry, b);

      await t.send(first.state.id, a);
      const again = await t.store.openDirect(b, a, t.direct(b, a));
      expect(again.created).toBeNull();
      expect(again.state).toEqual(await t.store.getConversationState(first.state.id));
      expect(again.state.lastSeq).toBe(2);
    });

    it('adding returns the views of those added, each once', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const carol = await t.user('carol');
      const g = await t.group(alice, [bob]);
      const out = ok(await t.change(g.id, { kind: 'add', userIds: [carol, bob, carol], by: alice }));
      expect(out.views.map((v) => v.userId)).toEqual([carol]);
      expect(out.views[0]!.conversation.membership).toMatchObject({ state: 'active', joinedSeq: 2, role: 'member' });
      await expectViewsReadBack(g.id, out.views);
      await expectEntryReadBack(out.entry, carol);
      expect(await t.store.getConversationState(g.id)).toEqual(out.conversation);
    });

    it('removing returns the removed member\'s view, which stops at the removal', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      await t.send(g.id, bob);
      const out = ok(await t.change(g.id, { kind: 'remove', userId: bob, by: alice }));
      expect(out.views.map((v) => v.userId)).toEqual([bob]);
      expect(out.views[0]!.conversation).toMatchObject({ lastSeq: 3, members: [], membership: { state: 'left', leftSeq: 3 } });
      await t.send(g.id, alice);
      await expectViewsReadBack(g.id, out.views);
      await expectEntryReadBack(out.entry, bob);
    });

    it('a role change returns the view of the member whose role changed', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      const out = ok(await t.change(g.id, { kind: 'role', userId: bob, role: 'admin', by: alice }));
      expect(out.views.map((v) => v.userId)).toEqual([bob]);
      expect(out.views[0]!.conversation.membership.role).toBe('admin');
      await expectViewsReadBack(g.id, out.views);
      await expectEntryReadBack(out.entry, alice);
    });

    it('a member leaving returns only their own view', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      const out = ok(await t.change(g.id, { kind: 'leave', userId: bob }));
      expect(out.newOwner).toBeNull();
      expect(out.views.map((v) => v.userId)).toEqual([bob]);
      await expectViewsReadBack(g.id, out.views);
      await expectEntryReadBack(out.entry, bob);
    });

    it('the owner leaving returns the heir\'s view too: the longest-standing admin before older members', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      const carol = await t.user('carol');
      const dave = await t.user('dave');
      await t.change(g.id, { kind: 'add', userIds: [dave], by: alice });
      await t.change(g.id, { kind: 'add', userIds: [carol], by: alice });
      // Promoted in the opposite order of joining: standing counts from the join, not the
      // promotion, nor the user id (carol sorts first).
      await t.change(g.id, { kind: 'role', userId: carol, role: 'admin', by: alice });
      await t.change(g.id, { kind: 'role', userId: dave, role: 'admin', by: alice });
      const out = ok(await t.change(g.id, { kind: 'leave', userId: alice }));
      expect(out.newOwner).toBe(dave);
      expect(out.affected).toEqual([alice]);
      expect(out.views.map((v) => v.userId)).toEqual([alice, dave]);
      expect(out.views[1]!.conversation.membership.role).toBe('owner');
      expect(out.conversation.members.filter((m) => m.role === 'owner')).toEqual([{ userId: dave, role: 'owner' }]);
      await expectViewsReadBack(g.id, out.views);
      await expectEntryReadBack(out.entry, dave);
    });

    it('the owner leaving a group without admins hands it to the longest-standing member', async () => {
      const alice = await t.user('alice');
      const g = await t.group(alice);
      const bob = await t.user('bob');
      const carol = await t.user('carol');
      await t.change(g.id, { kind: 'add', userIds: [carol], by: alice });
      await t.change(g.id, { kind: 'add', userIds: [bob], by: alice });
      const out = ok(await t.change(g.id, { kind: 'leave', userId: alice }));
      expect(out.newOwner).toBe(carol);
      expect(out.views.map((v) => v.userId)).toEqual([alice, carol]);
      await expectViewsReadBack(g.id, out.views);
    });
  });
}
