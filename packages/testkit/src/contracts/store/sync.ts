/** Store contract: cursors, changesSince and durability. Run through runStoreContract in ../store.ts. */
import { describe, expect, it } from 'vitest';
import { HOUR, storedMessage, T0, type StoreHarness } from './harness.js';

export function syncContract(t: StoreHarness): void {
  // --- cursors ------------------------------------------------------------------------------

  describe('cursors', () => {
    it('ackDelivered moves a device cursor forward only, per device', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const phone = await t.device(bob);
      const laptop = await t.device(bob);
      const g = await t.group(alice, [bob]);
      await t.sendMany(g.id, alice, 4); // lastSeq 5
      expect(await t.store.ackDelivered(phone.id, bob, g.id, 3)).toEqual({ kind: 'ok', seq: 3 });
      expect(await t.store.ackDelivered(phone.id, bob, g.id, 2)).toEqual({ kind: 'ok', seq: 3 });
      expect(await t.store.ackDelivered(laptop.id, bob, g.id, 1)).toEqual({ kind: 'ok', seq: 1 });
      expect(await t.store.ackDelivered(phone.id, bob, g.id, 5)).toEqual({ kind: 'ok', seq: 5 });
      expect(await t.store.ackDelivered(phone.id, bob, g.id, 6)).toEqual({
        kind: 'invalid_position',
        lastSeq: 5,
      });
      expect(await t.store.ackDelivered(phone.id, bob, g.id, 4)).toEqual({ kind: 'ok', seq: 5 });
    });

    it('ackDeliveredMany moves each cursor forward only, in one call, the highest seq of a key given twice winning', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const phone = await t.device(bob);
      const laptop = await t.device(bob);
      const g = await t.group(alice, [bob]);
      const h = await t.group(alice, [bob]);
      await t.sendMany(g.id, alice, 6); // lastSeq 7
      await t.sendMany(h.id, alice, 6);
      expect(await t.store.ackDelivered(phone.id, bob, g.id, 5)).toEqual({ kind: 'ok', seq: 5 });
      await t.store.ackDeliveredMany([
        { deviceId: phone.id, conversationId: g.id, seq: 3 }, // behind the stored 5: stays 5
        { deviceId: laptop.id, conversationId: g.id, seq: 6 },
        { deviceId: laptop.id, conversationId: g.id, seq: 4 }, // the same key lower: 6 stands
        { deviceId: phone.id, conversationId: h.id, seq: 2 },
      ]);
      await t.store.ackDeliveredMany([]);
      // An ack of seq 1 answers the cursor as it stands (it never moves back).
      expect(await t.store.ackDelivered(phone.id, bob, g.id, 1)).toEqual({ kind: 'ok', seq: 5 });
      expect(await t.store.ackDelivered(laptop.id, bob, g.id, 1)).toEqual({ kind: 'ok', seq: 6 });
      expect(await t.store.ackDelivered(phone.id, bob, h.id, 1)).toEqual({ kind: 'ok', seq: 2 });
      expect(await t.store.ackDelivered(laptop.id, bob, h.id, 1)).toEqual({ kind: 'ok', seq: 1 });
      await t.store.ackDeliveredMany([{ deviceId: phone.id, conversationId: g.id, seq: 7 }]);
      expect(await t.store.ackDelivered(phone.id, bob, g.id, 1)).toEqual({ kind: 'ok', seq: 7 });
    });

    it('markRead moves the read cursor forward only and shows it in the view', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      await t.sendMany(g.id, alice, 4); // lastSeq 5
      expect(await t.store.markRead(bob, g.id, 4)).toEqual({ kind: 'ok', seq: 4 });
      expect(await t.store.markRead(bob, g.id, 2)).toEqual({ kind: 'ok', seq: 4 });
      expect((await t.store.getConversationForUser(g.id, bob))?.membership.readSeq).toBe(4);
      expect(await t.store.markRead(bob, g.id, 6)).toEqual({ kind: 'invalid_position', lastSeq: 5 });
      expect((await t.store.getConversationForUser(g.id, bob))?.membership.readSeq).toBe(4);
    });

    it('a left member cannot move delivery cursors beyond leftSeq, nor their read cursor at all', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const phone = await t.device(bob);
      const g = await t.group(alice, [bob]);
      await t.change(g.id, { kind: 'leave', userId: bob }); // seq 2
      await t.sendMany(g.id, alice, 3);
      expect(await t.store.markRead(bob, g.id, 3)).toEqual({ kind: 'not_member' });
      expect(await t.store.ackDelivered(phone.id, bob, g.id, 3)).toEqual({
        kind: 'invalid_position',
        lastSeq: 2,
      });
      expect(await t.store.markRead(bob, g.id, 2)).toEqual({ kind: 'not_member' });
      expect((await t.store.getConversationForUser(g.id, bob))?.membership.readSeq).toBe(1);
      expect(await t.store.ackDelivered(phone.id, bob, g.id, 2)).toEqual({ kind: 'ok', seq: 2 });
    });

    it('non-members and unknown conversations get not_found', async () => {
      const alice = await t.user('alice');
      const eve = await t.user('eve');
      const d = await t.device(eve);
      const g = await t.group(alice);
      expect(await t.store.markRead(eve, g.id, 1)).toEqual({ kind: 'not_found' });
      expect(await t.store.ackDelivered(d.id, eve, g.id, 1)).toEqual({ kind: 'not_found' });
      expect(await t.store.markRead(alice, 'missing', 1)).toEqual({ kind: 'not_found' });
    });
  });

  // --- changesSince -------------------------------------------------------------------------

  describe('changesSince', () => {
    it('a new conversation appears, and a message bumps it', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const start = await t.store.changesSince(bob, 0, 10);
      expect(start).toMatchObject({ conversations: [], hasMore: false });
      const g = await t.group(alice, [bob]);
      const one = await t.store.changesSince(bob, start.version, 10);
      expect(one.conversations.map((c) => [c.id, c.lastSeq])).toEqual([[g.id, 1]]);
      expect(one.conversations[0]).toEqual(await t.store.getConversationForUser(g.id, bob));
      expect(one.version).toBeGreaterThan(start.version);
      expect((await t.store.changesSince(bob, one.version, 10)).conversations).toEqual([]);
      await t.send(g.id, alice);
      const two = await t.store.changesSince(bob, one.version, 10);
      expect(two.conversations.map((c) => [c.id, c.lastSeq])).toEqual([[g.id, 2]]);
      expect(two.version).toBeGreaterThan(one.version);
    });

    it('returns each changed conversation once across pages, oldest change first', async () => {
      const alice = await t.user('alice');
      const convs: string[] = [];
      for (let i = 0; i < 5; i++) convs.push((await t.group(alice)).id);
      const [c1, c2, c3, c4, c5] = convs as [string, string, string, string, string];
      await t.send(c2, alice);
      await t.send(c1, alice);
      await t.send(c1, alice);
      const { pages, ids, version } = await t.allChanges(alice, 0, 2);
      expect(ids).toEqual([c3, c4, c5, c2, c1]);
      expect(pages.map((p) => [p.conversations.length, p.hasMore])).toEqual([
        [2, true],
        [2, true],
        [1, false],
      ]);
      expect(pages.at(-1)!.conversations[0]?.lastSeq).toBe(3);
      const after = await t.store.changesSince(alice, version, 2);
      expect(after).toMatchObject({ conversations: [], hasMore: false });
      expect(after.version).toBeGreaterThanOrEqual(version);
    });

    it('a page that ends exactly at the last change says hasMore false', async () => {
      const alice = await t.user('alice');
      for (let i = 0; i < 4; i++) await t.group(alice);
      const { pages, ids } = await t.allChanges(alice, 0, 2);
      expect(new Set(ids).size).toBe(4);
      expect(pages.map((p) => p.hasMore)).toEqual([true, false]);
    });

    it('shows changes that happen between pages on a later page', async () => {
      const alice = await t.user('alice');
      const [c1, c2, c3] = [(await t.group(alice)).id, (await t.group(alice)).id, (await t.group(alice)).id];
      const first = await t.store.changesSince(alice, 0, 2);
      expect(first.conversations.map((c) => c.id)).toEqual([c1, c2]);
      await t.send(c1, alice);
      const rest = await t.allChanges(alice, first.version, 2);
      expect(rest.ids).toEqual([c3, c1]);
    });

    it('a read cursor move is a change of the reader’s view', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      await t.send(g.id, alice);
      const { version } = await t.allChanges(bob, 0, 10);
      await t.store.markRead(bob, g.id, 2);
      const page = await t.store.changesSince(bob, version, 10);
      expect(page.conversations.map((c) => [c.id, c.membership.readSeq])).toEqual([[g.id, 2]]);
    });

    it('a read cursor move is a change of the reader’s view only, not of the other members’', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      await t.send(g.id, alice);
      const { version } = await t.allChanges(alice, 0, 10);
      await t.store.markRead(bob, g.id, 2);
      expect((await t.store.changesSince(alice, version, 10)).conversations).toEqual([]);
    });

    it('leaves out conversations the user is not in', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      const { version } = await t.allChanges(bob, 0, 10);
      const h = await t.group(alice);
      await t.send(h.id, alice);
      expect((await t.store.changesSince(bob, version, 10)).conversations).toEqual([]);
      await t.send(g.id, alice);
      expect((await t.store.changesSince(bob, version, 10)).conversations.map((c) => c.id)).toEqual([g.id]);
    });

    it('a left member sees the leave but not later activity', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      const { version: before } = await t.allChanges(bob, 0, 10);
      await t.change(g.id, { kind: 'remove', userId: bob, by: alice }); // seq 2
      const leave = await t.store.changesSince(bob, before, 10);
      expect(leave.conversations).toHaveLength(1);
      expect(leave.conversations[0]).toMatchObject({
        id: g.id,
        lastSeq: 2,
        membership: { state: 'left', leftSeq: 2 },
      });
      await t.sendMany(g.id, alice, 3);
      await t.change(g.id, { kind: 'add', userIds: [await t.user('carol')], by: alice });
      expect((await t.store.changesSince(bob, leave.version, 10)).conversations).toEqual([]);
      // From scratch the left conversation is still listed, as left.
      const all = await t.store.changesSince(bob, 0, 10);
      expect(all.conversations.map((c) => [c.id, c.membership.state, c.lastSeq])).toEqual([
        [g.id, 'left', 2],
      ]);
    });

    it('lists a direct conversation opened by the other user', async () => {
      const a = await t.user('alice');
      const b = await t.user('bob');
      const { version } = await t.allChanges(b, 0, 10);
      const d = (await t.store.openDirect(a, b, t.direct(a, b))).state;
      expect((await t.store.changesSince(b, version, 10)).conversations.map((c) => [c.id, c.kind])).toEqual([
        [d.id, 'direct'],
      ]);
    });
  });

  // --- durability ---------------------------------------------------------------------------

  describe('durability', () => {
    it('a reopened store sees committed data and carries on', async (ctx) => {
      if (!t.fx.reopen) return ctx.skip();
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const phone = await t.device(bob, T0, 'h1');
      await t.store.rotateRefresh(phone.id, 'h1', { hash: 'h2', expiresAt: T0 + HOUR }, T0 + 1);
      const g = await t.group(alice, [bob]);
      const sent = t.msg(g.id, alice, 'persist me');
      const [stored] = await t.store.appendMessages([sent]);
      await t.store.markRead(bob, g.id, 2);
      await t.store.ackDelivered(phone.id, bob, g.id, 2);
      const { version } = await t.allChanges(bob, 0, 10);

      await t.store.close();
      t.store = await t.fx.reopen();

      expect((await t.store.getUserByUsername('ALICE'))?.id).toBe(alice);
      expect((await t.store.getDevice(phone.id))?.refreshHash).toBe('h2');
      expect((await t.store.getConversationState(g.id))?.lastSeq).toBe(2);
      expect((await t.store.getMessages(g.id, bob, { after: 1, limit: 10 }))?.messages).toEqual([
        storedMessage(sent, stored?.kind === 'stored' ? stored.seq : -1),
      ]);
      expect((await t.store.getConversationForUser(g.id, bob))?.membership.readSeq).toBe(2);
      expect(await t.store.ackDelivered(phone.id, bob, g.id, 1)).toEqual({ kind: 'ok', seq: 2 });
      expect(await t.store.appendMessages([{ ...sent, id: t.nextId('m') }])).toEqual([
        { kind: 'duplicate', message: storedMessage(sent, 2) },
      ]);
      expect((await t.store.changesSince(bob, version, 10)).conversations).toEqual([]);

      // Seqs and versions continue where they were.
      expect((await t.send(g.id, alice)).seq).toBe(3);
      const next = await t.store.changesSince(bob, version, 10);
      expect(next.conversations.map((c) => [c.id, c.lastSeq])).toEqual([[g.id, 3]]);
      expect(next.version).toBeGreaterThan(version);
    });
  });
}
