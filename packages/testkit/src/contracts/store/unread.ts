/**
 * Store contract, conversation-list state: exact unread counts (system entries and one's own
 * messages never count, nothing before a join or after a removal), mentions, the preview and
 * activity key, per-user flags, and the total badge in changesSince.
 */
import { describe, expect, it } from 'vitest';
import type { StoreHarness } from './harness.js';

export function unreadContract(t: StoreHarness): void {
  const view = async (conversationId: string, userId: string) => {
    const v = await t.store.getConversationForUser(conversationId, userId);
    if (!v) throw new Error('no view');
    return v;
  };
  const total = async (userId: string) => (await t.store.changesSince(userId, 0, 100)).totalUnread;

  describe('unread counts', () => {
    it('count messages from others after the read cursor; system entries and own messages never count', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const carol = await t.user('carol');
      const g = await t.group(alice, [bob]); // seq 1 (system)
      expect((await view(g.id, bob)).unreadCount).toBe(0);
      await t.sendMany(g.id, alice, 3); // seqs 2..4
      await t.change(g.id, { kind: 'add', userIds: [carol], by: alice }); // seq 5 (system)
      expect((await view(g.id, bob)).unreadCount).toBe(3);
      expect((await view(g.id, alice)).unreadCount).toBe(0);
      // Carol joined at 5: what came before is not hers to count.
      expect((await view(g.id, carol)).unreadCount).toBe(0);
      await t.send(g.id, carol); // seq 6
      expect((await view(g.id, bob)).unreadCount).toBe(4);
      expect((await view(g.id, alice)).unreadCount).toBe(1);
      expect((await view(g.id, carol)).unreadCount).toBe(0);
      // Bob reads up to the system entry at 5: only carol's message is left.
      expect(await t.store.markRead(bob, g.id, 5)).toEqual({ kind: 'ok', seq: 5 });
      expect((await view(g.id, bob)).unreadCount).toBe(1);
      // Sending moves the sender's read cursor to their message: all before it is read.
      await t.send(g.id, bob); // seq 7
      const b = await view(g.id, bob);
      expect(b.unreadCount).toBe(0);
      expect(b.membership.readSeq).toBe(7);
      expect((await view(g.id, alice)).unreadCount).toBe(2);
    });

    it('a read cursor moved back or to where it is changes nothing and never goes negative', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      await t.sendMany(g.id, alice, 4); // 2..5
      expect(await t.store.markRead(bob, g.id, 5)).toEqual({ kind: 'ok', seq: 5 });
      expect(await t.store.markRead(bob, g.id, 3)).toEqual({ kind: 'ok', seq: 5 });
      expect((await view(g.id, bob)).unreadCount).toBe(0);
      expect(await t.store.markRead(bob, g.id, 6)).toEqual({ kind: 'invalid_position', lastSeq: 5 });
      const v = await view(g.id, bob);
      expect(v.unreadCount).toBe(0);
      expect(v.membership.readSeq).toBe(5);
    });

    it('stay exact across one batch of several senders and conversations', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      const h = await t.group(bob, [alice]);
      const outcomes = await t.store.appendMessages([
        t.msg(g.id, alice, 'a1'),
        t.msg(h.id, alice, 'a2'),
        t.msg(g.id, bob, 'b1'),
        t.msg(g.id, alice, 'a3'),
        t.msg(h.id, bob, 'b2'),
      ]);
      expect(outcomes.map((o) => o.kind)).toEqual(['stored', 'stored', 'stored', 'stored', 'stored']);
      // g: a1 (read by bob's own send b1 after it), b1, a3 → bob has 1 unread, alice 0.
      expect((await view(g.id, bob)).unreadCount).toBe(1);
      expect((await view(g.id, alice)).unreadCount).toBe(0);
      // h: a2, b2 → alice has 1 (b2), bob 0.
      expect((await view(h.id, alice)).unreadCount).toBe(1);
      expect((await view(h.id, bob)).unreadCount).toBe(0);
      expect(await total(alice)).toBe(1);
      expect(await total(bob)).toBe(1);
    });

    it('after removal and re-join count only what the member may see', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]); // 1
      await t.sendMany(g.id, alice, 2); // 2, 3
      await t.change(g.id, { kind: 'remove', userId: bob, by: alice }); // 4
      let v = await view(g.id, bob);
      expect(v.unreadCount).toBe(0);
      expect(v.mentioned).toBe(false);
      await t.sendMany(g.id, alice, 3); // 5..7, while bob is out
      expect((await view(g.id, bob)).unreadCount).toBe(0);
      // A left member's read cursor does not move: a stable refusal, nothing changed.
      expect(await t.store.markRead(bob, g.id, 4)).toEqual({ kind: 'not_member' });
      expect((await view(g.id, bob)).membership.readSeq).toBe(1);
      await t.change(g.id, { kind: 'add', userIds: [bob], by: alice }); // 8
      v = await view(g.id, bob);
      expect(v.unreadCount).toBe(0);
      expect(v.membership.readSeq).toBe(8);
      await t.sendMany(g.id, alice, 2); // 9, 10
      expect((await view(g.id, bob)).unreadCount).toBe(2);
      expect(await total(bob)).toBe(2);
    });

    it('survive a reopen of the store', async () => {
      if (!t.fx.reopen) return;
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      await t.sendMany(g.id, alice, 3);
      await t.store.markRead(bob, g.id, 2);
      await t.store.close();
      t.store = await t.fx.reopen();
      expect((await view(g.id, bob)).unreadCount).toBe(2);
      await t.send(g.id, alice);
      expect((await view(g.id, bob)).unreadCount).toBe(3);
    });
  });

  describe('mentions', () => {
    it('are stored with the message and set `mentioned` until the mentioned member reads past them', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const carol = await t.user('carol');
      const g = await t.group(alice, [bob, carol]);
      await t.send(g.id, alice, 'hi'); // 2
      await t.send(g.id, alice, 'hey bob', { mentions: [bob] }); // 3
      await t.send(g.id, alice, 'later'); // 4
      const page = await t.store.getMessages(g.id, carol, { after: 0, limit: 10 });
      expect(page!.messages.find((m) => m.seq === 3)?.mentions).toEqual([bob]);
      expect(page!.messages.find((m) => m.seq === 2)).not.toHaveProperty('mentions');
      expect((await view(g.id, bob)).mentioned).toBe(true);
      expect((await view(g.id, carol)).mentioned).toBe(false);
      await t.store.markRead(bob, g.id, 2);
      expect((await view(g.id, bob)).mentioned).toBe(true);
      await t.store.markRead(bob, g.id, 3);
      const v = await view(g.id, bob);
      expect(v.mentioned).toBe(false);
      expect(v.unreadCount).toBe(1);
    });

    it('"all" mentions every member but the sender', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const carol = await t.user('carol');
      const g = await t.group(alice, [bob, carol]);
      await t.change(g.id, { kind: 'role', userId: bob, role: 'admin', by: alice });
      await t.send(g.id, bob, 'everyone!', { mentions: ['all'] });
      expect((await view(g.id, alice)).mentioned).toBe(true);
      expect((await view(g.id, carol)).mentioned).toBe(true);
      expect((await view(g.id, bob)).mentioned).toBe(false);
      // Someone who joins later was not mentioned.
      const dave = await t.user('dave');
      await t.change(g.id, { kind: 'add', userIds: [dave], by: alice });
      expect((await view(g.id, dave)).mentioned).toBe(false);
    });

    it('"all" by a plain member of a group is refused and nothing is stored; the owner, an admin and either side of a direct conversation may', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const carol = await t.user('carol');
      const g = await t.group(alice, [bob, carol]);
      await t.change(g.id, { kind: 'role', userId: carol, role: 'admin', by: alice }); // 2
      const [refused, refusedToo] = await t.store.appendMessages([
        t.msg(g.id, bob, 'everyone!', { mentions: ['all'] }),
        t.msg(g.id, bob, 'you and everyone', { mentions: [alice, 'all'] }),
      ]);
      expect(refused).toEqual({ kind: 'mention_all_forbidden' });
      expect(refusedToo).toEqual({ kind: 'mention_all_forbidden' });
      expect((await view(g.id, alice)).lastSeq).toBe(2);
      expect((await view(g.id, alice)).mentioned).toBe(false);
      const [byOwner, byAdmin] = await t.store.appendMessages([
        t.msg(g.id, alice, 'owner to all', { mentions: ['all'] }),
        t.msg(g.id, carol, 'admin to all', { mentions: ['all'] }),
      ]);
      expect(byOwner?.kind).toBe('stored');
      expect(byAdmin?.kind).toBe('stored');
      expect((await view(g.id, bob)).mentioned).toBe(true);
      // A demoted admin is a plain member again.
      await t.change(g.id, { kind: 'role', userId: carol, role: 'member', by: alice });
      expect(await t.store.appendMessages([t.msg(g.id, carol, 'again', { mentions: ['all'] })])).toEqual([{ kind: 'mention_all_forbidden' }]);
      const { state: d } = await t.store.openDirect(alice, bob, t.direct(alice, bob));
      const [direct] = await t.store.appendMessages([t.msg(d.id, bob, 'hey', { mentions: ['all'] })]);
      expect(direct?.kind).toBe('stored');
    });

    it('of someone who is not an active member are refused, and nothing is stored', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const eve = await t.user('eve');
      const g = await t.group(alice, [bob]);
      await t.change(g.id, { kind: 'leave', userId: bob }); // 2
      const [o1, o2] = await t.store.appendMessages([
        t.msg(g.id, alice, 'x', { mentions: [eve] }),
        t.msg(g.id, alice, 'y', { mentions: [bob] }),
      ]);
      expect(o1).toEqual({ kind: 'bad_mention' });
      expect(o2).toEqual({ kind: 'bad_mention' });
      const v = await view(g.id, alice);
      expect(v.lastSeq).toBe(2);
      expect(v.lastMessage?.seq).toBe(2);
    });
  });

  describe('preview and activity', () => {
    it('the preview is the newest entry the user may see, system entries included, without a clientMsgId', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      let v = await view(g.id, bob);
      expect(v.lastMessage).toMatchObject({ seq: 1, type: 'system' });
      expect(v.lastActivityAt).toBe(v.lastMessage!.createdAt);
      const m = await t.send(g.id, alice, 'hello', { mentions: [bob] });
      v = await view(g.id, bob);
      expect(v.lastMessage).toEqual({ ...m, clientMsgId: null, mentions: [bob] });
      expect(v.lastActivityAt).toBe(m.createdAt);
      // The sender's own preview has no clientMsgId either (a list shows it, nothing dedupes by it).
      expect((await view(g.id, alice)).lastMessage?.clientMsgId).toBeNull();
      // A member who left sees the entry that removed them, and nothing later.
      await t.change(g.id, { kind: 'remove', userId: bob, by: alice });
      await t.send(g.id, alice, 'after');
      v = await view(g.id, bob);
      expect(v.lastMessage).toMatchObject({ type: 'system', body: { event: 'member.removed', userId: bob } });
    });

    it('views returned by creation and membership changes carry the preview and counts', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const carol = await t.user('carol');
      const created = await t.store.createConversation(
        t.newConversation('group', alice, [
          { userId: alice, role: 'owner' },
          { userId: bob, role: 'member' },
        ]),
      );
      for (const v of created.views) {
        expect(v.conversation.lastMessage?.id).toBe(created.entry.id);
        expect(v.conversation.unreadCount).toBe(0);
        expect(v.conversation).toMatchObject({ pinned: false, muted: false, archived: false, mentioned: false });
      }
      await t.sendMany(created.state.id, alice, 2);
      const added = await t.change(created.state.id, { kind: 'add', userIds: [carol], by: alice });
      if (added.kind !== 'ok') throw new Error(added.kind);
      const carolView = added.views.find((v) => v.userId === carol)!.conversation;
      expect(carolView.lastMessage?.id).toBe(added.entry.id);
      expect(carolView.unreadCount).toBe(0);
    });

    it('sync pages carry the preview and the counts', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      await t.sendMany(g.id, alice, 2);
      const { pages } = await t.allChanges(bob, 0, 1);
      const last = pages.flatMap((p) => p.conversations).find((c) => c.id === g.id)!;
      expect(last.unreadCount).toBe(2);
      expect(last.lastMessage?.seq).toBe(3);
      expect(pages.every((p) => p.totalUnread === 2)).toBe(true);
    });
  });

  describe('per-user flags', () => {
    it('are set for one user only, each flag on its own, and reach that user through sync', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      const aliceBefore = (await t.store.changesSince(alice, 0, 100)).version;
      const bobBefore = (await t.store.changesSince(bob, 0, 100)).version;
      const v = await t.store.setConversationFlags(bob, g.id, { pinned: true });
      expect(v).toMatchObject({ id: g.id, pinned: true, muted: false, archived: false });
      expect(await t.store.setConversationFlags(bob, g.id, { muted: true, archived: true })).toMatchObject({ pinned: true, muted: true, archived: true });
      expect(await t.store.setConversationFlags(bob, g.id, { pinned: false })).toMatchObject({ pinned: false, muted: true, archived: true });
      expect((await t.store.changesSince(bob, bobBefore, 100)).conversations.map((c) => c.id)).toEqual([g.id]);
      expect((await t.store.changesSince(alice, aliceBefore, 100)).conversations).toEqual([]);
      expect(await view(g.id, alice)).toMatchObject({ pinned: false, muted: false, archived: false });
    });

    it('need a membership: anyone else gets null and nothing changes', async () => {
      const alice = await t.user('alice');
      const eve = await t.user('eve');
      const g = await t.group(alice);
      expect(await t.store.setConversationFlags(eve, g.id, { pinned: true })).toBeNull();
      expect(await t.store.setConversationFlags(alice, 'c_nope', { pinned: true })).toBeNull();
    });

    it('muted conversations and conversations left do not count toward the total', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const g = await t.group(alice, [bob]);
      const h = await t.group(alice, [bob]);
      const k = await t.group(alice, [bob]);
      await t.sendMany(g.id, alice, 2);
      await t.sendMany(h.id, alice, 3);
      await t.sendMany(k.id, alice, 4);
      expect(await total(bob)).toBe(9);
      await t.store.setConversationFlags(bob, h.id, { muted: true });
      expect((await view(h.id, bob)).unreadCount).toBe(3);
      expect(await total(bob)).toBe(6);
      await t.store.setConversationFlags(bob, g.id, { archived: true });
      expect(await total(bob)).toBe(6);
      await t.change(k.id, { kind: 'leave', userId: bob });
      expect(await total(bob)).toBe(2);
      // The total comes with every page, also one without changes.
      const now = await t.store.changesSince(bob, 0, 100);
      const again = await t.store.changesSince(bob, now.version, 100);
      expect(again.conversations).toEqual([]);
      expect(again.totalUnread).toBe(2);
    });
  });
}
