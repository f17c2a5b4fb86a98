/**
 * The events the messaging service emits after each commit: what every subscriber (delivery
 * first; receipts, webhooks and push later) learns, with structured fields. Runs on the
 * in-memory store: no SQLite, no server, no sockets.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../store/memory/memory-store.js';
import type { Clock } from './clock.js';
import { DomainEvents, type DomainEvent } from './events.js';
import { Messaging } from './messaging.js';

const clock: Clock = { now: () => 1_800_000_000_000, setTimeout: () => ({ cancel: () => {} }) };

let store: MemoryStore;
let messaging: Messaging;
let seen: DomainEvent[];

beforeEach(async () => {
  store = new MemoryStore();
  const events = new DomainEvents();
  seen = [];
  events.subscribe((e) => void seen.push(e));
  messaging = new Messaging(store, events, clock, { maxTextLength: 100, maxCustomBodyBytes: 1000 });
  for (const id of ['alice', 'bob', 'carol']) {
    await store.createUser({ id, username: id, passwordHash: null, displayName: null, avatarUrl: null, createdAt: 0 });
  }
});

const send = (userId: string, conversationId: string, clientMsgId: string, text = 'hi') =>
  messaging.send(userId, { type: 'send', conversationId, clientMsgId, msgType: 'text', body: { text } });

describe('events after each commit', () => {
  it('a send emits message.stored with its seq and the sender’s clientMsgId; a retry emits message.retried, not a second store', async () => {
    const chat = await messaging.openDirect('alice', 'bob');
    seen = [];
    const r = await send('alice', chat.id, 'k1');
    expect(seen).toEqual([{ type: 'message.stored', seq: r.seq, message: expect.objectContaining({ id: r.id, senderId: 'alice', clientMsgId: 'k1', body: '{"text":"hi"}' }) }]);
    seen = [];
    expect(await send('alice', chat.id, 'k1')).toEqual(r);
    expect(seen).toEqual([{ type: 'message.retried', conversationId: chat.id, messageId: r.id, seq: r.seq }]);
  });

  it('emits nothing for a send that is refused', async () => {
    const group = await messaging.createGroup('alice', 'g', ['bob']);
    seen = [];
    await expect(send('carol', group.id, 'k1')).rejects.toMatchObject({ code: 'not_found' });
    await expect(send('alice', group.id, 'k2', 'x'.repeat(101))).rejects.toMatchObject({ code: 'too_large' });
    expect(seen).toEqual([]);
  });

  it('creating a group emits membership.changed with the entry and every member’s view, read in the creating transaction', async () => {
    const group = await messaging.createGroup('alice', 'team', ['bob']);
    expect(seen).toHaveLength(1);
    const e = seen[0]!;
    expect(e.type === 'membership.changed' && e.change).toBe('created');
    if (e.type !== 'membership.changed') return;
    expect(e.entry).toMatchObject({ seq: 1, type: 'system', body: { event: 'conversation.created', by: 'alice' } });
    expect(e.joined.map((v) => [v.userId, v.conversation.membership.role])).toEqual([
      ['alice', 'owner'],
      ['bob', 'member'],
    ]);
    expect(e.joined[0]!.conversation).toEqual(group);
    expect(e.joined[1]!.conversation).toEqual(await store.getConversationForUser(group.id, 'bob'));
  });

  it('opening an existing direct conversation emits nothing', async () => {
    await messaging.openDirect('alice', 'bob');
    seen = [];
    await messaging.openDirect('bob', 'alice');
    expect(seen).toEqual([]);
  });

  it('a removal names who left, with their final view; an owner leaving names the heir as updated', async () => {
    const group = await messaging.createGroup('alice', 'team', ['bob', 'carol']);
    seen = [];
    await messaging.changeMembership(group.id, { kind: 'remove', userId: 'carol', by: 'alice' });
    const removal = seen[0]!;
    expect(removal).toMatchObject({ type: 'membership.changed', change: 'removed', joined: [], updated: [], entry: { seq: 2 } });
    expect(removal.type === 'membership.changed' && removal.left.map((v) => [v.userId, v.conversation.membership])).toEqual([
      ['carol', expect.objectContaining({ state: 'left', leftSeq: 2 })],
    ]);
    seen = [];
    await messaging.changeMembership(group.id, { kind: 'leave', userId: 'alice' });
    const leave = seen[0]!;
    expect(leave).toMatchObject({ type: 'membership.changed', change: 'left', entry: { seq: 3 } });
    if (leave.type !== 'membership.changed') return;
    expect(leave.left.map((v) => v.userId)).toEqual(['alice']);
    expect(leave.updated.map((v) => [v.userId, v.conversation.membership.role])).toEqual([['bob', 'owner']]);
  });

  it('a refused membership change emits nothing', async () => {
    const group = await messaging.createGroup('alice', 'team', ['bob']);
    seen = [];
    await expect(messaging.changeMembership(group.id, { kind: 'remove', userId: 'alice', by: 'bob' })).rejects.toMatchObject({ code: 'forbidden' });
    expect(seen).toEqual([]);
  });

  it('a read cursor that moves emits cursor.moved with the reader’s new view; one that stays emits nothing', async () => {
    const chat = await messaging.openDirect('alice', 'bob');
    const r = await send('alice', chat.id, 'k1');
    seen = [];
    await messaging.read('bob', chat.id, r.seq);
    expect(seen).toEqual([
      {
        type: 'cursor.moved',
        cursor: 'read',
        userId: 'bob',
        deviceId: null,
        conversationId: chat.id,
        seq: r.seq,
        view: expect.objectContaining({ id: chat.id, membership: expect.objectContaining({ readSeq: r.seq }) }),
      },
    ]);
    seen = [];
    await messaging.read('bob', chat.id, 1);
    expect(seen).toEqual([]);
  });
});
