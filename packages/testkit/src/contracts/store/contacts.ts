/**
 * Store contract: finding people and contacts (the ContactsStore part of @natter/server's Store):
 * prefix search, friend requests, friendships, blocks, and the direct conversation a block closes.
 * Run through runStoreContract in ../store.ts.
 */
import { describe, expect, it } from 'vitest';
import { T0, type StoreHarness } from './harness.js';

export function contactsContract(t: StoreHarness): void {
  const named = async (username: string, displayName: string | null = null): Promise<string> => {
    const u = await t.store.createUser({ id: `u_${username}`, username, passwordHash: null, displayName, avatarUrl: null, createdAt: T0 });
    if (!u) throw new Error(`username ${username} taken`);
    return u.id;
  };
  const search = async (viewer: string, prefix: string, friendsOnly = false, limit = 20) =>
    (await t.store.searchUsers({ prefix, viewer, friendsOnly, limit })).map((u) => u.username);

  describe('contacts: usernames and search', () => {
    it('keys usernames by NFKC and case: lookups and uniqueness fold full-width and case', async () => {
      await named('Alice');
      expect((await t.store.getUserByUsername('ａｌｉｃｅ'))?.id).toBe('u_Alice');
      expect((await t.store.getUserByUsername('ALICE'))?.id).toBe('u_Alice');
      expect(await t.store.createUser({ id: 'u2', username: 'ＡＬＩＣＥ', passwordHash: null, displayName: null, avatarUrl: null, createdAt: T0 })).toBeNull();
    });

    it('finds by username or display-name prefix, case-insensitively, never the viewer, ordered and bounded', async () => {
      const me = await named('zed');
      await named('Alice');
      await named('alfred');
      await named('bob', 'Alina Smith');
      await named('carol', 'Älva');
      await named('王小明');
      expect(await search(me, 'al')).toEqual(['alfred', 'Alice', 'bob']);
      expect(await search(me, 'ali')).toEqual(['Alice', 'bob']);
      expect(await search(me, 'äl')).toEqual(['carol']);
      expect(await search(me, '王小')).toEqual(['王小明']);
      expect(await search(me, 'al', false, 2)).toEqual(['alfred', 'Alice']);
      expect(await search(me, 'zed')).toEqual([]);
      expect(await search(me, 'x')).toEqual([]);
    });

    it('treats LIKE wildcards in a prefix as the characters themselves', async () => {
      const me = await named('viewer');
      await named('a_b_c');
      await named('axbxc');
      await named('a%b');
      expect(await search(me, 'a_b')).toEqual(['a_b_c']);
      expect(await search(me, 'a%')).toEqual(['a%b']);
    });

    it('a display name changed later is searchable by its new prefix only', async () => {
      const me = await named('viewer');
      const bob = await named('bob', 'Robert');
      expect(await search(me, 'rob')).toEqual(['bob']);
      await t.store.updateProfile(bob, { displayName: 'Mister B' });
      expect(await search(me, 'rob')).toEqual([]);
      expect(await search(me, 'mister')).toEqual(['bob']);
      await t.store.updateProfile(bob, { displayName: null });
      expect(await search(me, 'mister')).toEqual([]);
    });

    it('friendsOnly lists friends only; a block either way hides both from each other', async () => {
      const me = await named('viewer');
      const f = await named('alpha');
      await named('alpine');
      const b = await named('alps');
      await t.store.sendFriendRequest(me, f, T0);
      await t.store.acceptFriendRequest(f, me, T0 + 1);
      expect(await search(me, 'alp', true)).toEqual(['alpha']);
      await t.store.blockUser(b, me, T0);
      expect(await search(me, 'alp')).toEqual(['alpha', 'alpine']);
      expect(await search(b, 'vie')).toEqual([]);
    });
  });

  describe('contacts: friend requests and friendships', () => {
    it('request, list both sides, accept: friends on both sides since the acceptance', async () => {
      const a = await named('alice');
      const b = await named('bob');
      expect(await t.store.sendFriendRequest(a, b, T0)).toEqual({ kind: 'requested', createdAt: T0 });
      expect(await t.store.sendFriendRequest(a, b, T0 + 5)).toEqual({ kind: 'already_requested' });
      const ra = await t.store.listFriendRequests(a, 10);
      const rb = await t.store.listFriendRequests(b, 10);
      expect(ra.outgoing.map((r) => [r.user.id, r.at])).toEqual([[b, T0]]);
      expect(ra.incoming).toEqual([]);
      expect(rb.incoming.map((r) => [r.user.username, r.at])).toEqual([['alice', T0]]);
      expect(await t.store.acceptFriendRequest(a, b, T0 + 1)).toBeNull(); // only the recipient accepts
      expect(await t.store.acceptFriendRequest(b, a, T0 + 2)).toBe(T0 + 2);
      expect((await t.store.listFriends(a, 10)).map((f) => [f.user.id, f.at])).toEqual([[b, T0 + 2]]);
      expect((await t.store.listFriends(b, 10)).map((f) => [f.user.id, f.at])).toEqual([[a, T0 + 2]]);
      expect(await t.store.listFriendRequests(b, 10)).toEqual({ incoming: [], outgoing: [] });
      expect(await t.store.sendFriendRequest(b, a, T0 + 3)).toEqual({ kind: 'already_friends' });
      expect((await t.store.relations(a, [b]))[0]).toEqual({ userId: b, friends: true, blocking: false, blockedBy: false });
    });

    it('a request to someone who asked you already accepts theirs', async () => {
      const a = await named('alice');
      const b = await named('bob');
      await t.store.sendFriendRequest(a, b, T0);
      expect(await t.store.sendFriendRequest(b, a, T0 + 1)).toEqual({ kind: 'accepted', since: T0 + 1 });
      expect((await t.store.listFriends(a, 10)).map((f) => f.user.id)).toEqual([b]);
      expect(await t.store.listFriendRequests(a, 10)).toEqual({ incoming: [], outgoing: [] });
    });

    it('decline and cancel remove the pending request once; remove ends the friendship both ways', async () => {
      const a = await named('alice');
      const b = await named('bob');
      const c = await named('carol');
      await t.store.sendFriendRequest(a, b, T0);
      await t.store.sendFriendRequest(a, c, T0);
      expect(await t.store.deleteFriendRequest(a, b)).toBe(true); // cancel (or b declines)
      expect(await t.store.deleteFriendRequest(a, b)).toBe(false);
      expect(await t.store.deleteFriendRequest(c, a)).toBe(false); // the other direction is not a request
      expect((await t.store.listFriendRequests(a, 10)).outgoing.map((r) => r.user.id)).toEqual([c]);
      await t.store.acceptFriendRequest(c, a, T0 + 1);
      expect(await t.store.removeFriend(c, a)).toBe(true);
      expect(await t.store.removeFriend(a, c)).toBe(false);
      expect(await t.store.listFriends(a, 10)).toEqual([]);
      expect(await t.store.listFriends(c, 10)).toEqual([]);
    });

    it('mutual requests sent at once end as one friendship and no pending request', async () => {
      const pairs: [string, string][] = [];
      for (let i = 0; i < 8; i++) pairs.push([await named(`left${i}`), await named(`right${i}`)]);
      const outcomes = await Promise.all(pairs.flatMap(([a, b]) => [t.store.sendFriendRequest(a, b, T0), t.store.sendFriendRequest(b, a, T0)]));
      for (let i = 0; i < pairs.length; i++) {
        const [a, b] = pairs[i]!;
        expect([outcomes[2 * i]!.kind, outcomes[2 * i + 1]!.kind].sort()).toEqual(['accepted', 'requested']);
        expect((await t.store.listFriends(a, 10)).map((f) => f.user.id)).toEqual([b]);
        expect(await t.store.listFriendRequests(a, 10)).toEqual({ incoming: [], outgoing: [] });
      }
    });

    it('refuses requests to yourself and to users that do not exist', async () => {
      const a = await named('alice');
      expect(await t.store.sendFriendRequest(a, a, T0)).toEqual({ kind: 'refused' });
      expect(await t.store.sendFriendRequest(a, 'u_nobody', T0)).toEqual({ kind: 'refused' });
    });

    it('lists are bounded and oldest first', async () => {
      const a = await named('alice');
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const u = await named(`friend${i}`);
        ids.push(u);
        await t.store.sendFriendRequest(u, a, T0 + 10 - i);
      }
      expect((await t.store.listFriendRequests(a, 3)).incoming.map((r) => r.user.id)).toEqual([ids[4], ids[3], ids[2]]);
    });
  });

  describe('contacts: blocks', () => {
    it('a block ends friendship and requests both ways and refuses new requests both ways, until lifted', async () => {
      const a = await named('alice');
      const b = await named('bob');
      const c = await named('carol');
      await t.store.sendFriendRequest(a, b, T0);
      await t.store.acceptFriendRequest(b, a, T0 + 1);
      await t.store.sendFriendRequest(c, a, T0);
      await t.store.sendFriendRequest(a, c, T0 + 1); // accepted: friends
      await t.store.removeFriend(a, c);
      await t.store.sendFriendRequest(c, a, T0 + 2);
      expect(await t.store.blockUser(a, b, T0 + 3)).toEqual({ created: true, endedFriendship: true, endedIncoming: false, endedOutgoing: false });
      expect(await t.store.blockUser(a, c, T0 + 4)).toEqual({ created: true, endedFriendship: false, endedIncoming: true, endedOutgoing: false });
      expect(await t.store.blockUser(a, c, T0 + 5)).toEqual({ created: false, endedFriendship: false, endedIncoming: false, endedOutgoing: false });
      expect(await t.store.listFriends(a, 10)).toEqual([]);
      expect(await t.store.listFriends(b, 10)).toEqual([]);
      expect(await t.store.listFriendRequests(a, 10)).toEqual({ incoming: [], outgoing: [] });
      expect(await t.store.sendFriendRequest(b, a, T0 + 6)).toEqual({ kind: 'refused' });
      expect(await t.store.sendFriendRequest(a, b, T0 + 6)).toEqual({ kind: 'refused' });
      expect((await t.store.listBlocks(a, 10)).map((x) => [x.user.id, x.at])).toEqual([
        [b, T0 + 3],
        [c, T0 + 4],
      ]);
      expect(await t.store.listBlocks(b, 10)).toEqual([]);
      expect(await t.store.relations(b, [a, c, 'u_nobody'])).toEqual([
        { userId: a, friends: false, blocking: false, blockedBy: true },
        { userId: c, friends: false, blocking: false, blockedBy: false },
        { userId: 'u_nobody', friends: false, blocking: false, blockedBy: false },
      ]);
      expect(await t.store.unblockUser(a, b)).toBe(true);
      expect(await t.store.unblockUser(a, b)).toBe(false);
      expect(await t.store.sendFriendRequest(b, a, T0 + 7)).toEqual({ kind: 'requested', createdAt: T0 + 7 });
      expect(await t.store.blockUser(a, 'u_nobody', T0)).toBeNull();
      expect(await t.store.blockUser(a, a, T0)).toBeNull();
    });

    it('a block closes the pair’s direct conversation to sends both ways until no block is left', async () => {
      const a = await named('alice');
      const b = await named('bob');
      const c = await named('carol');
      const { state } = await t.store.openDirect(a, b, t.direct(a, b));
      const other = (await t.store.openDirect(a, c, t.direct(a, c))).state;
      await t.send(state.id, b, 'before');
      await t.store.blockUser(a, b, T0);
      const refusedB = t.msg(state.id, b, 'after');
      const refusedA = t.msg(state.id, a, 'after');
      expect(await t.store.appendMessages([refusedB, refusedA])).toEqual([{ kind: 'not_found' }, { kind: 'not_found' }]);
      // A retry of a send stored before the block is still answered with the original.
      const before = (await t.store.getMessages(state.id, b, { after: 0, limit: 10 }))!.messages.at(-1)!;
      const [retry] = await t.store.appendMessages([{ ...t.msg(state.id, b, 'before'), clientMsgId: before.clientMsgId! }]);
      expect(retry?.kind).toBe('duplicate');
      // Other conversations are untouched; nothing was stored.
      await t.send(other.id, a, 'fine');
      expect((await t.store.getConversationState(state.id))?.lastSeq).toBe(2);
      await t.store.blockUser(b, a, T0 + 1);
      await t.store.unblockUser(a, b);
      expect(await t.store.appendMessages([t.msg(state.id, a, 'still')])).toEqual([{ kind: 'not_found' }]);
      await t.store.unblockUser(b, a);
      await t.send(state.id, a, 'again');
      await t.send(state.id, b, 'again');
      expect((await t.store.getConversationState(state.id))?.lastSeq).toBe(4);
    });
  });
}
