/** Store contract: user settings and the cursors behind receipts. Run through runStoreContract in ../store.ts. */
import { describe, expect, it } from 'vitest';
import type { StoreHarness } from './harness.js';

export function receiptsContract(t: StoreHarness): void {
  describe('user settings', () => {
    it('are the defaults until changed, change only what a patch names, and are per user', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      expect(await t.store.getUserSettings(alice)).toEqual({ readReceipts: true });
      expect(await t.store.updateUserSettings(alice, { readReceipts: false })).toEqual({ readReceipts: false });
      expect(await t.store.getUserSettings(alice)).toEqual({ readReceipts: false });
      // An empty patch changes nothing and answers every setting.
      expect(await t.store.updateUserSettings(alice, {})).toEqual({ readReceipts: false });
      expect(await t.store.getUserSettings(bob)).toEqual({ readReceipts: true });
      expect(await t.store.updateUserSettings(alice, { readReceipts: true })).toEqual({ readReceipts: true });
      expect(await t.store.getUserSettings(alice)).toEqual({ readReceipts: true });
    });

    it('updateUserSettings of no such user answers null and stores nothing', async () => {
      expect(await t.store.updateUserSettings('u_nobody', { readReceipts: false })).toBeNull();
      expect(await t.store.getUserSettings('u_nobody')).toEqual({ readReceipts: true });
    });

    it('survive a reopen', async (ctx) => {
      if (!t.fx.reopen) return ctx.skip();
      const alice = await t.user('alice');
      await t.store.updateUserSettings(alice, { readReceipts: false });
      await t.store.close();
      t.store = await t.fx.reopen();
      expect(await t.store.getUserSettings(alice)).toEqual({ readReceipts: false });
    });
  });

  describe('receiptCursors', () => {
    it('direct: both members with read cursors, the highest delivery cursor of their devices, and their setting', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const phone = await t.device(bob);
      const laptop = await t.device(bob);
      const { state } = await t.store.openDirect(alice, bob, t.direct(alice, bob));
      await t.sendMany(state.id, alice, 5); // lastSeq 6
      await t.store.ackDelivered(phone.id, bob, state.id, 3);
      await t.store.ackDeliveredMany([{ deviceId: laptop.id, conversationId: state.id, seq: 5 }]);
      await t.store.markRead(bob, state.id, 4);
      await t.store.updateUserSettings(bob, { readReceipts: false });
      const rc = await t.store.receiptCursors(state.id, alice, {});
      expect(rc).toMatchObject({ kind: 'direct', joinedSeq: 1, lastSeq: 6, entries: [] });
      const members = rc!.members;
      expect(members.map((m) => m.userId)).toEqual([alice, bob]);
      expect(members[1]).toEqual({ userId: bob, joinedSeq: 1, readSeq: 4, deliveredSeq: 5, readReceipts: false });
      expect(members[0]).toMatchObject({ userId: alice, deliveredSeq: 0, readReceipts: true });
    });

    it('group: active members only, in user id order, no delivery cursors; entries asked for within the window', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const carol = await t.user('carol');
      const dave = await t.user('dave');
      const phone = await t.device(bob);
      const g = await t.group(carol, [alice, bob, dave]);
      const sent = await t.sendMany(g.id, alice, 3); // seqs 2..4
      await t.store.ackDelivered(phone.id, bob, g.id, 4);
      await t.store.markRead(bob, g.id, 3);
      await t.change(g.id, { kind: 'leave', userId: dave }); // seq 5
      const rc = await t.store.receiptCursors(g.id, carol, { seqs: [3, 4, 99, 3], messageId: sent[0]!.id });
      expect(rc).toMatchObject({ kind: 'group', joinedSeq: 1, lastSeq: 5 });
      expect(rc!.members.map((m) => m.userId)).toEqual([alice, bob, carol]);
      expect(rc!.members.find((m) => m.userId === bob)).toEqual({ userId: bob, joinedSeq: 1, readSeq: 3, deliveredSeq: 0, readReceipts: true });
      // seq 99 is past the log: absent. seq 3 asked twice: once.
      expect(rc!.entries).toEqual([
        { id: sent[0]!.id, seq: 2, senderId: alice },
        { id: sent[1]!.id, seq: 3, senderId: alice },
        { id: sent[2]!.id, seq: 4, senderId: alice },
      ]);
    });

    it('is null for a user who never joined, who left, and for no such conversation', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const eve = await t.user('eve');
      const g = await t.group(alice, [bob]);
      await t.sendMany(g.id, alice, 2);
      expect(await t.store.receiptCursors(g.id, eve, {})).toBeNull();
      expect(await t.store.receiptCursors('c_nothing', alice, {})).toBeNull();
      await t.change(g.id, { kind: 'leave', userId: bob });
      expect(await t.store.receiptCursors(g.id, bob, { seqs: [2] })).toBeNull();
    });

    it('entries: an id of another conversation, or before the caller joined, is absent', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, []);
      const h = await t.group(alice, [bob]);
      const early = await t.send(g.id, alice, 'before bob'); // seq 2
      await t.change(g.id, { kind: 'add', userIds: [bob], by: alice }); // seq 3
      const late = await t.send(g.id, alice, 'after bob'); // seq 4
      const elsewhere = await t.send(h.id, alice, 'elsewhere');
      expect((await t.store.receiptCursors(g.id, bob, { messageId: early.id }))!.entries).toEqual([]);
      expect((await t.store.receiptCursors(g.id, bob, { messageId: elsewhere.id }))!.entries).toEqual([]);
      expect((await t.store.receiptCursors(g.id, bob, { messageId: 'm_guessed' }))!.entries).toEqual([]);
      expect((await t.store.receiptCursors(g.id, bob, { seqs: [2, 4] }))!.entries).toEqual([{ id: late.id, seq: 4, senderId: alice }]);
      const rc = await t.store.receiptCursors(g.id, bob, { messageId: late.id });
      expect(rc).toMatchObject({ joinedSeq: 3, lastSeq: 4, entries: [{ id: late.id, seq: 4, senderId: alice }] });
    });
  });
}
