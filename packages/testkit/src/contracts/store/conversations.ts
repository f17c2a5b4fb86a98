/** Store contract: conversations (creation, direct pairs, views). Run through runStoreContract in ../store.ts. */
import { describe, expect, it } from 'vitest';
import type { SystemBody } from '@natter/protocol';
import { sorted, T0, type StoreHarness } from './harness.js';

export function conversationsContract(t: StoreHarness): void {
  describe('conversations', () => {
    it('creates a conversation with its conversation.created entry at seq 1', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const conv = t.newConversation('group', alice, [
        { userId: alice, role: 'owner' },
        { userId: bob, role: 'member' },
      ]);
      const { state } = await t.store.createConversation(conv);
      expect(state).toMatchObject({ id: conv.id, kind: 'group', title: 'Team', lastSeq: 1, createdAt: T0 });
      expect(state.members).toEqual(
        expect.arrayContaining([
          { userId: alice, role: 'owner' },
          { userId: bob, role: 'member' },
        ]),
      );
      expect(state.members).toHaveLength(2);
      expect(await t.store.getConversationState(conv.id)).toEqual(state);

      const page = await t.store.getMessages(conv.id, bob, { after: 0, limit: 10 });
      const created: SystemBody = {
        event: 'conversation.created',
        by: alice,
        title: 'Team',
        members: [alice, bob],
      };
      expect(page).toEqual({
        messages: [
          {
            id: conv.createdMessageId,
            conversationId: conv.id,
            seq: 1,
            senderId: alice,
            type: 'system',
            body: created,
            clientMsgId: null,
            replyTo: null,
            createdAt: T0,
          },
        ],
        hasMore: false,
      });

      const view = await t.store.getConversationForUser(conv.id, bob);
      expect(view).toMatchObject({ id: conv.id, kind: 'group', title: 'Team', lastSeq: 1, createdAt: T0 });
      expect(sorted(view!.members)).toEqual(sorted([alice, bob]));
      expect(view!.membership).toMatchObject({
        role: 'member',
        state: 'active',
        joinedSeq: 1,
        leftSeq: null,
      });
      expect(await t.store.activeConversationIds(bob)).toEqual([conv.id]);
    });

    it('shows nothing to non-members and of unknown conversations', async () => {
      const alice = await t.user('alice');
      const eve = await t.user('eve');
      const g = await t.group(alice);
      expect(await t.store.getConversationForUser(g.id, eve)).toBeNull();
      expect(await t.store.getConversationForUser('missing', alice)).toBeNull();
      expect(await t.store.getConversationState('missing')).toBeNull();
      expect(await t.store.activeConversationIds(eve)).toEqual([]);
    });

    it('openDirect returns the same conversation for (a, b) and (b, a)', async () => {
      const a = await t.user('alice');
      const b = await t.user('bob');
      let made = 0;
      const make = () => (made++, t.direct(a, b)());
      const first = (await t.store.openDirect(a, b, make)).state;
      const again = (await t.store.openDirect(a, b, make)).state;
      const reversed = (await t.store.openDirect(b, a, make)).state;
      expect(made).toBe(1);
      expect(first).toMatchObject({ kind: 'direct', lastSeq: 1 });
      expect(again.id).toBe(first.id);
      expect(reversed.id).toBe(first.id);
      expect(sorted(first.members.map((m) => m.userId))).toEqual(sorted([a, b]));
    });

    it('openDirect creates exactly one conversation when callers race', async () => {
      const a = await t.user('alice');
      const b = await t.user('bob');
      const c = await t.user('carol');
      const opened = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          i % 2 === 0 ? t.store.openDirect(a, b, t.direct(a, b)) : t.store.openDirect(b, a, t.direct(b, a)),
        ),
      );
      const states = opened.map((o) => o.state);
      // Exactly one caller created it: only that one is told what to announce.
      expect(opened.filter((o) => o.created !== null)).toHaveLength(1);
      expect(new Set(states.map((s) => s.id)).size).toBe(1);
      expect(await t.store.activeConversationIds(a)).toEqual([states[0]!.id]);
      expect(await t.store.activeConversationIds(b)).toEqual([states[0]!.id]);
      expect((await t.store.getConversationState(states[0]!.id))?.lastSeq).toBe(1);
      // Another pair gets its own conversation.
      const other = (await t.store.openDirect(a, c, t.direct(a, c))).state;
      expect(other.id).not.toBe(states[0]!.id);
    });
  });
}
