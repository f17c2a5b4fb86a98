/**
 * When a retried send emits `message.retried` (which delivery turns into `resync` for every
 * member): within the window after the original, once per message, and only for an active
 * member. Every retry is still answered with its original. On the in-memory store.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../store/memory/memory-store.js';
import type { Clock } from './clock.js';
import { DomainEvents, type DomainEvent } from './events.js';
import { Messaging } from './messaging.js';

const clock: Clock & { t: number } = {
  t: 1_800_000_000_000,
  now: () => clock.t,
  setTimeout: () => ({ cancel: () => {} }),
};

let messaging: Messaging;
let seen: DomainEvent[];

beforeEach(async () => {
  const store = new MemoryStore();
  const events = new DomainEvents();
  seen = [];
  events.subscribe((e) => void seen.push(e));
  messaging = new Messaging(store, events, clock, {
    maxTextLength: 100,
    maxCustomBodyBytes: 1000,
    retryResyncWindowMs: 30_000,
  });
  for (const id of ['alice', 'bob', 'carol']) {
    await store.createUser({
      id,
      username: id,
      passwordHash: null,
      displayName: null,
      avatarUrl: null,
      createdAt: 0,
    });
  }
});

const send = (userId: string, conversationId: string, clientMsgId: string) =>
  messaging.send(userId, {
    type: 'send',
    conversationId,
    clientMsgId,
    msgType: 'text',
    body: { text: 'hi' },
  });
const retried = () => seen.filter((e) => e.type === 'message.retried');

describe('message.retried', () => {
  it('is emitted once per message, for a retry within the window', async () => {
    const group = await messaging.createGroup('alice', 'g', ['bob']);
    const r = await send('alice', group.id, 'k1');
    clock.t += 29_000;
    expect(await send('alice', group.id, 'k1')).toEqual(r);
    expect(await send('alice', group.id, 'k1')).toEqual(r);
    expect(retried()).toEqual([
      { type: 'message.retried', conversationId: group.id, messageId: r.id, seq: r.seq },
    ]);
  });

  it('is not emitted for a retry long after the send', async () => {
    const group = await messaging.createGroup('alice', 'g', ['bob']);
    const r = await send('alice', group.id, 'k1');
    clock.t += 30_000;
    expect(await send('alice', group.id, 'k1')).toEqual(r);
    expect(retried()).toEqual([]);
  });

  it('is not emitted for retries by a member removed since: they get their original, the others no resync', async () => {
    const group = await messaging.createGroup('alice', 'g', ['bob', 'carol']);
    const r = await send('carol', group.id, 'k1');
    await messaging.changeMembership(group.id, { kind: 'remove', userId: 'carol', by: 'alice' });
    seen = [];
    for (let i = 0; i < 20; i++) expect(await send('carol', group.id, 'k1')).toEqual(r);
    expect(seen).toEqual([]);
  });
});
