/**
 * MemoryStore: the Store contract (the same suite SQLite and PostgreSQL pass), plus what only an
 * in-memory store can get wrong — handing out its own rows, and half-applying a write that its
 * schema-less tables would otherwise let through.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryConstraintError, MemoryStore, MemoryStoreClosedError, MemoryTables } from '@natter/server';
import { runStoreContract } from './store.js';
import { StoreHarness } from './store/harness.js';

// `reopen` opens another MemoryStore on the same tables: the durability section then checks
// that a store taking over the data carries on (seqs, versions, retries), not that anything
// reaches a disk — nothing does.
runStoreContract('memory', async () => {
  const tables = new MemoryTables();
  const stores = [new MemoryStore({ tables })];
  return {
    store: stores[0]!,
    reopen: async () => (stores.push(new MemoryStore({ tables })), stores.at(-1)!),
    cleanup: async () => {
      for (const s of stores) await s.close();
    },
  };
});

describe('MemoryStore', () => {
  const t = new StoreHarness();
  beforeEach(() => t.setUp(async () => ({ store: new MemoryStore(), cleanup: () => t.store.close() })));
  afterEach(() => t.fx.cleanup());

  it('hands out copies: changing a result never changes the store', async () => {
    const alice = await t.user('alice');
    const bob = await t.user('bob');
    const user = (await t.store.getUser(alice))!;
    user.username = 'mallory';
    const device = await t.device(bob);
    device.revokedAt = 1;
    const created = await t.store.createConversation(t.newConversation('group', alice, [{ userId: alice, role: 'owner' }, { userId: bob, role: 'member' }]));
    const g = created.state.id;
    const before = { state: await t.store.getConversationState(g), view: await t.store.getConversationForUser(g, bob) };
    created.state.members.pop();
    created.views[1]!.conversation.membership.role = 'owner';
    created.views[1]!.conversation.members.push('eve');
    (created.entry.body as { members: string[] }).members.push('eve');
    const sent = await t.send(g, bob, 'original');
    const page = (await t.store.getMessages(g, bob, { after: 0, limit: 10 }))!;
    (page.messages[1]!.body as { text: string }).text = 'changed';
    page.messages[0]!.seq = 99;
    const change = await t.change(g, { kind: 'role', userId: bob, role: 'admin', by: alice });
    if (change.kind !== 'ok') throw new Error(change.kind);
    change.views[0]!.conversation.membership.readSeq = 99;
    change.conversation.members.length = 0;
    const sync = await t.store.changesSince(bob, 0, 10);
    sync.conversations[0]!.members.length = 0;

    expect((await t.store.getUser(alice))?.username).toBe('alice');
    expect((await t.store.getDevice(device.id))?.revokedAt).toBeNull();
    expect(await t.store.getConversationState(g)).toEqual({ ...before.state, lastSeq: 3, members: [{ userId: alice, role: 'owner' }, { userId: bob, role: 'admin' }] });
    const view = (await t.store.getConversationForUser(g, bob))!;
    expect(view.members).toEqual(before.view!.members);
    expect(view.membership).toEqual({ ...before.view!.membership, role: 'admin', readSeq: 2 });
    const again = (await t.store.getMessages(g, bob, { after: 0, limit: 10 }))!.messages;
    expect(again[0]).toMatchObject({ seq: 1, body: { members: [alice, bob] } });
    expect(again[1]).toEqual(sent);
  });

  it('a batch naming a message id already stored is refused whole, changing nothing', async () => {
    const alice = await t.user('alice');
    const g = (await t.store.createConversation(t.newConversation('group', alice, [{ userId: alice, role: 'owner' }]))).state.id;
    const first = await t.send(g, alice, 'first');
    const fine = t.msg(g, alice, 'fine');
    await expect(t.store.appendMessages([fine, t.msg(g, alice, 'clash', { id: first.id })])).rejects.toThrow(MemoryConstraintError);
    expect((await t.store.getConversationState(g))?.lastSeq).toBe(2);
    // Nothing of the batch was kept: its first send is new when it comes again, at the next seq.
    expect(await t.store.appendMessages([fine])).toEqual([{ kind: 'stored', seq: 3 }]);
  });

  it('creating a conversation or adding members who are no users changes nothing', async () => {
    const alice = await t.user('alice');
    const conv = t.newConversation('group', alice, [{ userId: alice, role: 'owner' }, { userId: 'u_ghost', role: 'member' }]);
    await expect(t.store.createConversation(conv)).rejects.toThrow(MemoryConstraintError);
    expect(await t.store.getConversationState(conv.id)).toBeNull();
    expect(await t.store.activeConversationIds(alice)).toEqual([]);
    const g = (await t.store.createConversation(t.newConversation('group', alice, [{ userId: alice, role: 'owner' }]))).state.id;
    const { version } = await t.store.changesSince(alice, 0, 10);
    await expect(t.change(g, { kind: 'add', userIds: ['u_ghost'], by: alice })).rejects.toThrow(MemoryConstraintError);
    expect(await t.store.getConversationState(g)).toMatchObject({ lastSeq: 1, members: [{ userId: alice, role: 'owner' }] });
    expect((await t.store.changesSince(alice, version, 10)).conversations).toEqual([]);
  });

  it('refuses every call once closed; another store on its tables carries on', async () => {
    const alice = await t.user('alice');
    const tables = (t.store as MemoryStore).tables;
    await t.store.close();
    await expect(t.store.getUser(alice)).rejects.toThrow(MemoryStoreClosedError);
    await expect(t.store.createUser({ id: 'u2', username: 'bob', passwordHash: null, displayName: null, avatarUrl: null, createdAt: 1 })).rejects.toThrow(
      MemoryStoreClosedError,
    );
    const reopened = new MemoryStore({ tables });
    expect((await reopened.getUser(alice))?.username).toBe('alice');
    expect(await reopened.getUser('u2')).toBeNull();
  });
});
