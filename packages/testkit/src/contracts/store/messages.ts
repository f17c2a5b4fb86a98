/** Store contract: appendMessages and getMessages. Run through runStoreContract in ../store.ts. */
import { describe, expect, it } from 'vitest';
import { storedMessage, T0, type StoreHarness } from './harness.js';

export function messagesContract(t: StoreHarness): void {
  // --- appendMessages -----------------------------------------------------------------------

  describe('appendMessages', () => {
    it('gives a batch consecutive seqs in array order; each stored entry is the send with its seq', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      const h = await t.group(bob);
      const batch = [
        t.msg(g.id, alice, 'one'),
        t.msg(h.id, bob, 'x'),
        t.msg(g.id, bob, 'two'),
        t.msg(g.id, alice, 'three', { type: 'custom', body: '{"k":[1,2]}' }),
      ];
      const out = await t.store.appendMessages(batch);
      expect(out).toEqual([2, 2, 3, 4].map((seq) => ({ kind: 'stored', seq })));
      expect((await t.seqs(g.id, bob, { after: 0, limit: 10 })).seqs).toEqual([1, 2, 3, 4]);
      const served = await t.store.getMessages(g.id, bob, { after: 1, limit: 10 });
      expect(served?.messages).toEqual([storedMessage(batch[0]!, 2), storedMessage(batch[2]!, 3), storedMessage(batch[3]!, 4)]);
      expect(served?.messages[0]).toEqual({ ...batch[0], body: { text: 'one' }, seq: 2 });
      expect(served?.messages[2]?.body).toEqual({ k: [1, 2] });
      expect((await t.store.getMessages(h.id, bob, { after: 1, limit: 10 }))?.messages).toEqual([storedMessage(batch[1]!, 2)]);
    });

    it('an empty batch stores nothing', async () => {
      expect(await t.store.appendMessages([])).toEqual([]);
    });

    it('a resent clientMsgId with the same content returns the original as duplicate', async () => {
      const alice = await t.user('alice');
      const g = await t.group(alice);
      const first = t.msg(g.id, alice, 'hello');
      const [stored] = await t.store.appendMessages([first]);
      const [again] = await t.store.appendMessages([{ ...first, id: t.nextId('m'), createdAt: T0 + 999 }]);
      expect(stored?.kind).toBe('stored');
      expect(again).toEqual({ kind: 'duplicate', message: storedMessage(first, stored?.kind === 'stored' ? stored.seq : -1) });
      expect((await t.store.getConversationState(g.id))?.lastSeq).toBe(2);
    });

    it('a reused clientMsgId with different content is a conflict', async () => {
      const alice = await t.user('alice');
      const g = await t.group(alice);
      const h = await t.group(alice);
      const first = t.msg(g.id, alice, 'hello');
      await t.store.appendMessages([first]);
      const out = await t.store.appendMessages([
        { ...first, id: t.nextId('m'), body: JSON.stringify({ text: 'other' }) },
        { ...first, id: t.nextId('m'), conversationId: h.id },
        { ...first, id: t.nextId('m'), replyTo: first.id },
      ]);
      expect(out).toEqual([{ kind: 'conflict' }, { kind: 'conflict' }, { kind: 'conflict' }]);
      expect((await t.store.getConversationState(g.id))?.lastSeq).toBe(2);
      expect((await t.store.getConversationState(h.id))?.lastSeq).toBe(1);
    });

    it('the same clientMsgId twice within one batch is stored once', async () => {
      const alice = await t.user('alice');
      const g = await t.group(alice);
      const m = t.msg(g.id, alice, 'hello');
      const out = await t.store.appendMessages([
        m,
        { ...m, id: t.nextId('m') },
        { ...m, id: t.nextId('m'), body: '{"text":"changed"}' },
      ]);
      expect(out[0]?.kind).toBe('stored');
      expect(out[1]).toEqual({ kind: 'duplicate', message: storedMessage(m, 2) });
      expect(out[2]).toEqual({ kind: 'conflict' });
      expect((await t.store.getConversationState(g.id))?.lastSeq).toBe(2);
    });

    it('refuses non-members, left members and unknown conversations per item', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const eve = await t.user('eve');
      const g = await t.group(alice, [bob]);
      await t.change(g.id, { kind: 'leave', userId: bob });
      const out = await t.store.appendMessages([
        t.msg(g.id, eve, 'x'),
        t.msg(g.id, alice, 'a'),
        t.msg(g.id, bob, 'x'),
        t.msg('missing', alice, 'x'),
        t.msg(g.id, alice, 'b'),
      ]);
      expect(out.map((o) => o.kind)).toEqual(['not_found', 'stored', 'not_found', 'not_found', 'stored']);
      expect(out.flatMap((o) => (o.kind === 'stored' ? [o.seq] : []))).toEqual([3, 4]);
    });

    it('checks replyTo against what the sender can see', async () => {
      const alice = await t.user('alice');
      const carol = await t.user('carol');
      const g = await t.group(alice);
      const h = await t.group(alice);
      const early = await t.send(g.id, alice, 'before carol');
      const elsewhere = await t.send(h.id, alice, 'other conversation');
      await t.change(g.id, { kind: 'add', userIds: [carol], by: alice });
      const later = await t.send(g.id, alice, 'after carol');
      const out = await t.store.appendMessages([
        t.msg(g.id, carol, 'r1', { replyTo: 'missing' }),
        t.msg(g.id, carol, 'r2', { replyTo: elsewhere.id }),
        t.msg(g.id, carol, 'r3', { replyTo: early.id }),
        t.msg(g.id, carol, 'r4', { replyTo: later.id }),
        t.msg(g.id, alice, 'r5', { replyTo: early.id }),
      ]);
      expect(out.map((o) => o.kind)).toEqual(['bad_reply', 'bad_reply', 'bad_reply', 'stored', 'stored']);
      const r4 = (await t.store.getMessages(g.id, carol, { after: 0, limit: 10 }))?.messages.find((m) => m.body && (m.body as { text?: string }).text === 'r4');
      expect(r4?.replyTo).toBe(later.id);
    });
  });

  // --- getMessages --------------------------------------------------------------------------

  describe('getMessages', () => {
    it('pages forward with after and backward with before, always ascending', async () => {
      const alice = await t.user('alice');
      const g = await t.group(alice);
      await t.sendMany(g.id, alice, 9); // seqs 1..10
      expect(await t.seqs(g.id, alice, { after: 0, limit: 3 })).toEqual({ seqs: [1, 2, 3], hasMore: true });
      expect(await t.seqs(g.id, alice, { after: 3, limit: 3 })).toEqual({ seqs: [4, 5, 6], hasMore: true });
      expect(await t.seqs(g.id, alice, { after: 7, limit: 3 })).toEqual({ seqs: [8, 9, 10], hasMore: false });
      expect(await t.seqs(g.id, alice, { after: 10, limit: 3 })).toEqual({ seqs: [], hasMore: false });
      expect(await t.seqs(g.id, alice, { before: 11, limit: 3 })).toEqual({
        seqs: [8, 9, 10],
        hasMore: true,
      });
      expect(await t.seqs(g.id, alice, { before: 8, limit: 4 })).toEqual({
        seqs: [4, 5, 6, 7],
        hasMore: true,
      });
      expect(await t.seqs(g.id, alice, { before: 4, limit: 5 })).toEqual({ seqs: [1, 2, 3], hasMore: false });
      expect(await t.seqs(g.id, alice, { before: 1, limit: 5 })).toEqual({ seqs: [], hasMore: false });
    });

    it('a member sees entries from joinedSeq only', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice);
      await t.sendMany(g.id, alice, 3); // seqs 2..4
      await t.change(g.id, { kind: 'add', userIds: [bob], by: alice }); // seq 5
      await t.sendMany(g.id, alice, 2); // seqs 6..7
      expect(await t.seqs(g.id, bob, { after: 0, limit: 10 })).toEqual({ seqs: [5, 6, 7], hasMore: false });
      expect(await t.seqs(g.id, bob, { before: 8, limit: 10 })).toEqual({ seqs: [5, 6, 7], hasMore: false });
      expect(await t.seqs(g.id, bob, { before: 7, limit: 2 })).toEqual({ seqs: [5, 6], hasMore: false });
      expect(await t.seqs(g.id, bob, { before: 5, limit: 10 })).toEqual({ seqs: [], hasMore: false });
    });

    it('a left member sees entries up to leftSeq only', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      await t.sendMany(g.id, alice, 2); // seqs 2..3
      await t.change(g.id, { kind: 'remove', userId: bob, by: alice }); // seq 4
      await t.sendMany(g.id, alice, 3); // seqs 5..7
      expect(await t.seqs(g.id, bob, { after: 0, limit: 10 })).toEqual({
        seqs: [1, 2, 3, 4],
        hasMore: false,
      });
      expect(await t.seqs(g.id, bob, { after: 2, limit: 1 })).toEqual({ seqs: [3], hasMore: true });
      expect(await t.seqs(g.id, bob, { after: 3, limit: 1 })).toEqual({ seqs: [4], hasMore: false });
    });

    it('a left member paging backward with before sees nothing after leftSeq', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      await t.send(g.id, alice); // seq 2
      await t.change(g.id, { kind: 'leave', userId: bob }); // seq 3
      await t.sendMany(g.id, alice, 3); // seqs 4..6
      expect(await t.seqs(g.id, bob, { before: 7, limit: 10 })).toEqual({ seqs: [1, 2, 3], hasMore: false });
      expect(await t.seqs(g.id, bob, { before: 100, limit: 2 })).toEqual({ seqs: [2, 3], hasMore: true });
      expect(await t.seqs(g.id, bob, { before: 6, limit: 10 })).toEqual({ seqs: [1, 2, 3], hasMore: false });
    });

    it('returns null for non-members and unknown conversations', async () => {
      const alice = await t.user('alice');
      const eve = await t.user('eve');
      const g = await t.group(alice);
      expect(await t.store.getMessages(g.id, eve, { after: 0, limit: 10 })).toBeNull();
      expect(await t.store.getMessages('missing', alice, { before: 10, limit: 10 })).toBeNull();
    });
  });
}
