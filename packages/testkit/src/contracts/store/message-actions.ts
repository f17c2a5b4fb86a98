/**
 * Store contract: message actions (recall, edit, reactions), as the shared rules in
 * @natter/server's store/rules/message-actions.ts decide them. Run through runStoreContract in
 * ../store.ts.
 */
import { describe, expect, it } from 'vitest';
import type { MessageAction } from '@natter/server';
import { T0, type StoreHarness } from './harness.js';

const WINDOW = 120_000;

export function messageActionsContract(t: StoreHarness): void {
  const act = (conversationId: string, action: MessageAction, now = T0 + 1000) => t.store.applyMessageAction(conversationId, action, t.nextId('m'), now);
  const read = async (conversationId: string, userId: string, seq: number) => {
    const page = await t.store.getMessages(conversationId, userId, { after: seq - 1, limit: 1 });
    return page?.messages[0];
  };

  describe('message actions', () => {
    it('the sender recalls within the window: the body is gone, a message.recalled entry follows', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      const m = await t.send(g.id, bob, 'secret words', { mentions: [alice] });
      const out = await act(g.id, { kind: 'recall', by: bob, messageId: m.id, windowMs: WINDOW }, m.createdAt + 1000);
      expect(out.kind).toBe('ok');
      if (out.kind !== 'ok') return;
      expect(out.entry).toMatchObject({ seq: m.seq + 1, senderId: bob, type: 'system', body: { event: 'message.recalled', by: bob, messageId: m.id } });
      expect(out.message).toMatchObject({ id: m.id, type: 'text', body: {}, recalledAt: m.createdAt + 1000 });
      expect(out.message.mentions).toBeUndefined();
      const seen = await read(g.id, alice, m.seq);
      expect(seen).toMatchObject({ id: m.id, body: {}, recalledAt: m.createdAt + 1000 });
      expect(JSON.stringify(seen)).not.toContain('secret');
      // Again: nothing changes, nothing is written.
      expect((await act(g.id, { kind: 'recall', by: bob, messageId: m.id, windowMs: WINDOW })).kind).toBe('noop');
      expect((await t.store.getConversationState(g.id))?.lastSeq).toBe(m.seq + 1);
    });

    it('outside the window the sender may not recall; owner and admins may at any time; members and outsiders get not_found', async () => {
      const alice = await t.user('alice');
      const adam = await t.user('adam');
      const bob = await t.user('bob');
      const carl = await t.user('carl');
      const eve = await t.user('eve');
      const g = await t.group(alice, [bob, carl], [adam]);
      const m = await t.send(g.id, bob, 'old');
      const late = m.createdAt + WINDOW + 1;
      expect((await act(g.id, { kind: 'recall', by: bob, messageId: m.id, windowMs: WINDOW }, late)).kind).toBe('window_passed');
      for (const who of [carl, eve]) expect((await act(g.id, { kind: 'recall', by: who, messageId: m.id, windowMs: WINDOW }, late)).kind).toBe('not_found');
      expect((await act('c_nope', { kind: 'recall', by: alice, messageId: m.id, windowMs: WINDOW }, late)).kind).toBe('not_found');
      expect((await act(g.id, { kind: 'recall', by: adam, messageId: m.id, windowMs: WINDOW }, late)).kind).toBe('ok');
      const m2 = await t.send(g.id, adam, 'admin says');
      expect((await act(g.id, { kind: 'recall', by: alice, messageId: m2.id, windowMs: WINDOW }, late)).kind).toBe('ok');
      // In a direct conversation nobody but the sender recalls.
      const d = await t.store.openDirect(alice, bob, t.direct(alice, bob));
      const dm = await t.send(d.state.id, bob, 'dm');
      expect((await act(d.state.id, { kind: 'recall', by: alice, messageId: dm.id, windowMs: WINDOW }, dm.createdAt)).kind).toBe('not_found');
    });

    it('the sender edits a text message: new text, editedAt, a message.edited entry; nobody else may; not after a recall', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      const m = await t.send(g.id, bob, 'typo');
      expect((await act(g.id, { kind: 'edit', by: alice, messageId: m.id, text: 'x' })).kind).toBe('not_found');
      const out = await act(g.id, { kind: 'edit', by: bob, messageId: m.id, text: 'fixed' }, T0 + 5000);
      expect(out.kind).toBe('ok');
      if (out.kind !== 'ok') return;
      expect(out.entry.body).toEqual({ event: 'message.edited', by: bob, messageId: m.id, text: 'fixed' });
      expect(await read(g.id, alice, m.seq)).toMatchObject({ body: { text: 'fixed' }, editedAt: T0 + 5000 });
      expect((await act(g.id, { kind: 'edit', by: bob, messageId: m.id, text: 'fixed' })).kind).toBe('noop');
      await act(g.id, { kind: 'recall', by: bob, messageId: m.id, windowMs: Number.MAX_SAFE_INTEGER });
      expect((await act(g.id, { kind: 'edit', by: bob, messageId: m.id, text: 'again' })).kind).toBe('not_found');
      // System entries are not messages one acts on.
      expect((await act(g.id, { kind: 'edit', by: alice, messageId: out.entry.id, text: 'x' })).kind).toBe('not_found');
    });

    it('reactions: one per user per emoji, counts and who, removed again; entries for each change', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const eve = await t.user('eve');
      const g = await t.group(alice, [bob]);
      const m = await t.send(g.id, bob, 'nice');
      const r1 = await act(g.id, { kind: 'react', by: alice, messageId: m.id, emoji: '👍' });
      expect(r1.kind).toBe('ok');
      if (r1.kind === 'ok') expect(r1.entry.body).toEqual({ event: 'reaction.added', by: alice, messageId: m.id, emoji: '👍' });
      expect((await act(g.id, { kind: 'react', by: alice, messageId: m.id, emoji: '👍' })).kind).toBe('noop');
      await act(g.id, { kind: 'react', by: bob, messageId: m.id, emoji: '👍' });
      await act(g.id, { kind: 'react', by: bob, messageId: m.id, emoji: '🎉' });
      expect((await act(g.id, { kind: 'react', by: eve, messageId: m.id, emoji: '👍' })).kind).toBe('not_found');
      expect((await read(g.id, alice, m.seq))?.reactions).toEqual([
        { emoji: '👍', count: 2, userIds: [alice, bob] },
        { emoji: '🎉', count: 1, userIds: [bob] },
      ]);
      const r2 = await act(g.id, { kind: 'unreact', by: alice, messageId: m.id, emoji: '👍' });
      expect(r2.kind).toBe('ok');
      if (r2.kind === 'ok') expect(r2.entry.body).toMatchObject({ event: 'reaction.removed', by: alice });
      expect((await act(g.id, { kind: 'unreact', by: alice, messageId: m.id, emoji: '👍' })).kind).toBe('noop');
      await act(g.id, { kind: 'unreact', by: bob, messageId: m.id, emoji: '🎉' });
      expect((await read(g.id, bob, m.seq))?.reactions).toEqual([{ emoji: '👍', count: 1, userIds: [bob] }]);
      // A recall drops the reactions with the body.
      await act(g.id, { kind: 'recall', by: bob, messageId: m.id, windowMs: Number.MAX_SAFE_INTEGER });
      expect((await read(g.id, bob, m.seq))?.reactions).toBeUndefined();
    });

    it('a member who joined later does not see, and cannot act on, messages before their join', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, []);
      const m = await t.send(g.id, alice, 'before bob');
      await t.change(g.id, { kind: 'add', userIds: [bob], by: alice });
      expect((await act(g.id, { kind: 'react', by: bob, messageId: m.id, emoji: '👍' })).kind).toBe('not_found');
    });
  });
}
