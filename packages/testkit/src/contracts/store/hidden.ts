/**
 * Store contract: delete for me (hideMessage, unhideMessage), as the shared rules in @natter/server's
 * store/rules/hidden.ts decide it: a per-user record, idempotent, visible only to the user who
 * hid the message — as tombstones in history and previews, in changesSince's `hidden`, and absent
 * from their search. Run through runStoreContract in ../store.ts.
 */
import { describe, expect, it } from 'vitest';
import { T0, type StoreHarness } from './harness.js';

export function hiddenContract(t: StoreHarness): void {
  const hide = (userId: string, conversationId: string, messageId: string, now = T0 + 5000) => t.store.hideMessage(userId, conversationId, messageId, now);
  /**
   * changesSince from `since` until it shows `want` changes. PostgreSQL hands a change out once
   * every older transaction of the cluster has finished (store/postgres/db.ts: delayed, never
   * lost), and other suites share the cluster; the other stores show it at once.
   */
  const settled = async (userId: string, since: number, limit: number, want: number) => {
    for (let i = 0; ; i++) {
      const r = await t.allChanges(userId, since, limit);
      if (r.pages.reduce((n, p) => n + p.hidden.length, 0) >= want || i === 200) return r;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const read = async (conversationId: string, userId: string, seq: number) => (await t.store.getMessages(conversationId, userId, { after: seq - 1, limit: 1 }))?.messages[0];

  describe('delete for me', () => {
    it('hides a message for the caller only: a tombstone at the same seq for them, unchanged for everyone else; idempotent', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      const mine = await t.send(g.id, alice, 'my own words', { mentions: [bob] });
      const theirs = await t.send(g.id, bob, 'their words');
      for (const m of [mine, theirs]) {
        const out = await hide(alice, g.id, m.id);
        expect(out).toMatchObject({ kind: 'ok', changed: true, hidden: { conversationId: g.id, messageId: m.id, seq: m.seq, hiddenAt: T0 + 5000 } });
        if (out.kind !== 'ok') return;
        expect(out.message).toMatchObject({ id: m.id, seq: m.seq, senderId: m.senderId, type: 'text', body: {}, hiddenAt: T0 + 5000 });
        expect(out.message.mentions).toBeUndefined();
        // Again, later: nothing changes, the first time stays.
        expect(await hide(alice, g.id, m.id, T0 + 9000)).toMatchObject({ kind: 'ok', changed: false, hidden: { hiddenAt: T0 + 5000 } });
      }
      const page = (await t.store.getMessages(g.id, alice, { after: 0, limit: 10 }))!;
      // No gap: every seq is still there.
      expect(page.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
      expect(page.messages.slice(1)).toMatchObject([
        { id: mine.id, body: {}, hiddenAt: T0 + 5000 },
        { id: theirs.id, body: {}, hiddenAt: T0 + 5000 },
      ]);
      expect(JSON.stringify(page)).not.toContain('words');
      // Bob sees both as they were; nothing was appended to the log.
      expect(await read(g.id, bob, mine.seq)).toMatchObject({ body: { text: 'my own words' }, mentions: [bob] });
      expect((await read(g.id, bob, theirs.seq))?.hiddenAt).toBeUndefined();
      expect((await t.store.getConversationState(g.id))?.lastSeq).toBe(theirs.seq);
    });

    it('unknown ids, another conversation, outside the visible window, system entries and outsiders get not_found', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const carl = await t.user('carl');
      const eve = await t.user('eve');
      const g = await t.group(alice, [bob]);
      const other = await t.group(carl, [eve]);
      const m = await t.send(g.id, bob, 'in g');
      const o = await t.send(other.id, carl, 'in other');
      expect(await hide(alice, g.id, 'm_nope')).toEqual({ kind: 'not_found' });
      expect(await hide(alice, 'c_nope', m.id)).toEqual({ kind: 'not_found' });
      expect(await hide(alice, g.id, o.id)).toEqual({ kind: 'not_found' });
      expect(await hide(alice, other.id, o.id)).toEqual({ kind: 'not_found' });
      expect(await hide(eve, g.id, m.id)).toEqual({ kind: 'not_found' });
      // The conversation's created entry is the log's, not a message one hides.
      const created = await read(g.id, alice, 1);
      expect(await hide(alice, g.id, created!.id)).toEqual({ kind: 'not_found' });
      // Carl joins after m: m is outside his window.
      await t.change(g.id, { kind: 'add', userIds: [carl], by: alice });
      expect(await hide(carl, g.id, m.id)).toEqual({ kind: 'not_found' });
      // Bob is removed: what he still sees he may hide; what came after, not.
      const before = await t.send(g.id, alice, 'before bob left');
      await t.change(g.id, { kind: 'remove', userId: bob, by: alice });
      const after = await t.send(g.id, alice, 'after bob left');
      expect((await hide(bob, g.id, before.id)).kind).toBe('ok');
      expect(await hide(bob, g.id, after.id)).toEqual({ kind: 'not_found' });
      expect((await read(g.id, alice, before.seq))?.hiddenAt).toBeUndefined();
    });

    it("the user's changesSince carries the hide once, with its conversation; other users' does not", async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      const h = await t.group(alice, [bob]);
      const m = await t.send(g.id, bob, 'hide me');
      await t.send(h.id, bob, 'keep me');
      const a0 = (await t.allChanges(alice, 0, 10)).version;
      const b0 = (await t.allChanges(bob, 0, 10)).version;
      await hide(alice, g.id, m.id);
      const { pages } = await settled(alice, a0, 10, 1);
      expect(pages).toHaveLength(1);
      const a1 = pages[0]!;
      expect(a1.conversations.map((c) => c.id)).toEqual([g.id]);
      expect(a1.hidden).toEqual([{ conversationId: g.id, messageId: m.id, seq: m.seq, hiddenAt: T0 + 5000 }]);
      // The preview (m is g's newest entry) is the tombstone.
      expect(a1.conversations[0]!.lastMessage).toMatchObject({ id: m.id, body: {}, hiddenAt: T0 + 5000 });
      expect((await t.store.getConversationForUser(g.id, alice))?.lastMessage).toMatchObject({ id: m.id, body: {}, hiddenAt: T0 + 5000 });
      expect((await t.store.getConversationForUser(g.id, bob))?.lastMessage).toMatchObject({ id: m.id, body: { text: 'hide me' } });
      // Once taken, not again; a repeat hide brings nothing new.
      await hide(alice, g.id, m.id);
      expect(await t.store.changesSince(alice, a1.version, 10)).toMatchObject({ conversations: [], hidden: [] });
      expect(await t.store.changesSince(bob, b0, 10)).toMatchObject({ conversations: [], hidden: [] });
    });

    it('hides arrive exactly once across paged changesSince, whatever the page size', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const convs = [await t.group(alice, [bob]), await t.group(alice, [bob]), await t.group(alice, [bob])];
      const msgs = [];
      for (const c of convs) msgs.push(await t.send(c.id, bob, 'x'), await t.send(c.id, bob, 'y'));
      const start = (await t.allChanges(alice, 0, 10)).version;
      for (const m of msgs) await hide(alice, m.conversationId, m.id);
      for (const limit of [1, 2, 10]) {
        const { pages } = await settled(alice, start, limit, msgs.length);
        const ids = pages.flatMap((p) => p.hidden.map((x) => x.messageId));
        expect(ids.sort()).toEqual(msgs.map((m) => m.id).sort());
      }
    });

    it('an edit entry of a hidden message loses its text for the user who hid it', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      const m = await t.send(g.id, bob, 'first');
      const edit = await t.store.applyMessageAction(g.id, { kind: 'edit', by: bob, messageId: m.id, text: 'secret second' }, t.nextId('m'), T0 + 2000);
      expect(edit.kind).toBe('ok');
      if (edit.kind !== 'ok') return;
      await hide(alice, g.id, m.id);
      const page = (await t.store.getMessages(g.id, alice, { after: 0, limit: 10 }))!;
      expect(JSON.stringify(page)).not.toContain('secret');
      expect(page.messages.at(-1)).toMatchObject({ id: edit.entry.id, body: { event: 'message.edited', messageId: m.id, text: '' } });
      expect((await read(g.id, bob, edit.entry.seq))?.body).toMatchObject({ text: 'secret second' });
    });

    it('unhide restores the message for the user, reaches their changesSince as unhidden, and a second hide works again', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      const m = await t.send(g.id, bob, 'back again');
      const other = await t.group(bob);
      const elsewhere = await t.send(other.id, bob, 'not hers');
      // Not hidden: nothing to undo; outsiders and other conversations: not_found.
      expect(await t.store.unhideMessage(alice, g.id, m.id, T0 + 6000)).toMatchObject({ kind: 'ok', changed: false });
      expect(await t.store.unhideMessage(alice, g.id, elsewhere.id, T0 + 6000)).toEqual({ kind: 'not_found' });
      expect(await t.store.unhideMessage(alice, other.id, elsewhere.id, T0 + 6000)).toEqual({ kind: 'not_found' });
      await hide(alice, g.id, m.id);
      const start = (await settled(alice, 0, 10, 1)).version;
      const out = await t.store.unhideMessage(alice, g.id, m.id, T0 + 7000);
      expect(out).toMatchObject({ kind: 'ok', changed: true, unhidden: { conversationId: g.id, messageId: m.id, seq: m.seq }, message: { id: m.id, body: { text: 'back again' } } });
      if (out.kind !== 'ok') return;
      expect(out.message.hiddenAt).toBeUndefined();
      expect(await read(g.id, alice, m.seq)).toMatchObject({ body: { text: 'back again' } });
      expect((await t.store.getConversationForUser(g.id, alice))?.lastMessage).toMatchObject({ body: { text: 'back again' } });
      expect((await t.store.searchMessages(alice, { terms: ['back'], limit: 10 })).messages.map((x) => x.id)).toEqual([m.id]);
      let pages = (await t.allChanges(alice, start, 10)).pages;
      for (let i = 0; i < 200 && pages.every((p) => p.unhidden.length === 0); i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        pages = (await t.allChanges(alice, start, 10)).pages;
      }
      expect(pages.flatMap((p) => p.unhidden)).toEqual([{ conversationId: g.id, messageId: m.id, seq: m.seq }]);
      expect(pages.flatMap((p) => p.hidden)).toEqual([]);
      expect(pages.flatMap((p) => p.conversations.map((c) => c.id))).toEqual([g.id]);
      expect((await t.store.unhideMessage(alice, g.id, m.id, T0 + 8000)).kind === 'ok').toBe(true);
      expect(await hide(alice, g.id, m.id, T0 + 9000)).toMatchObject({ kind: 'ok', changed: true, hidden: { hiddenAt: T0 + 9000 } });
      expect(await read(g.id, alice, m.seq)).toMatchObject({ body: {}, hiddenAt: T0 + 9000 });
    });

    it('search leaves out what the caller hid, and only for them', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      const m = await t.send(g.id, bob, 'quarterly report draft');
      const keep = await t.send(g.id, bob, 'quarterly report final');
      await hide(alice, g.id, m.id);
      const ids = async (userId: string) => (await t.store.searchMessages(userId, { terms: ['report'], limit: 10 })).messages.map((x) => x.id);
      expect(await ids(alice)).toEqual([keep.id]);
      expect((await ids(bob)).sort()).toEqual([m.id, keep.id].sort());
    });
  });
}
