/**
 * Receipts as a subscriber of domain events, on the MemoryStore: which cursor moves become
 * receipts for whom, that acks stay free of store calls (no write, and one read of a
 * conversation's kind per process), that a user's delivery receipt moves only forward, and that
 * groups push nothing.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Receipt } from '@natter/protocol';
import { MemoryStore } from '../store/memory/memory-store.js';
import type { Clock } from './clock.js';
import { DomainEvents, type DomainEvent } from './events.js';
import { Messaging } from './messaging.js';
import { Receipts } from './receipts.js';

/** Counts every store call by method name. */
class CountingStore extends MemoryStore {
  readonly calls = new Map<string, number>();
  constructor() {
    super();
    for (const name of ['ackDelivered', 'ackDeliveredMany', 'getConversationState', 'receiptCursors', 'markRead'] as const) {
      const orig = (this[name] as (...a: unknown[]) => unknown).bind(this);
      (this as unknown as Record<string, unknown>)[name] = (...a: unknown[]) => {
        this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
        return orig(...a);
      };
    }
  }
  count(name: string): number {
    return this.calls.get(name) ?? 0;
  }
}

const clock: Clock = { now: () => 1, setTimeout: () => ({ cancel() {} }) };
const tick = () => new Promise((r) => setImmediate(r));

let store: CountingStore;
let events: DomainEvents;
let messaging: Messaging;
let receipts: Receipts;
let pushed: { to: string[]; receipt: Receipt }[];

beforeEach(async () => {
  store = new CountingStore();
  events = new DomainEvents();
  messaging = new Messaging(store, events, clock, { maxTextLength: 100, maxCustomBodyBytes: 1000 });
  receipts = new Receipts(store, events, 2);
  pushed = [];
  events.subscribe((e: DomainEvent) => {
    if (e.type === 'receipt.updated') pushed.push({ to: e.to, receipt: e.receipt });
  });
  events.subscribe((e) => receipts.handle(e));
  for (const id of ['alice', 'bob', 'carol']) await store.createUser({ id, username: id, passwordHash: null, displayName: null, avatarUrl: null, createdAt: 0 });
});

const send = (from: string, conversationId: string, n: number) =>
  messaging.send(from, { type: 'send', conversationId, clientMsgId: `k${n}`, msgType: 'text', body: { text: 'hi' } });

describe('delivery receipts', () => {
  it('an ack kept in memory becomes a receipt for the other member, with no store call; it never goes back', async () => {
    const chat = (await messaging.openDirect('alice', 'bob')).id;
    for (let i = 0; i < 3; i++) await send('alice', chat, i); // seqs 2..4
    store.calls.clear();
    // `shown`: acks of entries delivered by this process (answered from memory, written later).
    await messaging.ack('bob', 'phone', chat, 2, true);
    await messaging.ack('bob', 'laptop', chat, 4, true);
    await messaging.ack('bob', 'phone', chat, 3, true); // another device, behind: no receipt
    await messaging.ack('bob', 'laptop', chat, 4, true); // the same again: nothing
    await tick();
    expect(pushed.map((p) => [p.to, p.receipt.seq])).toEqual([
      [['alice'], 2],
      [['alice'], 4],
    ]);
    expect(pushed[0]!.receipt).toEqual({ conversationId: chat, kind: 'delivered', userId: 'bob', seq: 2 });
    // Its creation told receipts the two members: no read of the conversation, no cursor write.
    expect(Object.fromEntries(store.calls)).toEqual({});
  });

  it('a conversation not seen created here is read once for its kind; groups get no receipts', async () => {
    const g = (await messaging.createGroup('alice', 'g', ['bob', 'carol'])).id;
    await send('alice', g, 1);
    const chat = (await messaging.openDirect('bob', 'carol')).id;
    await send('carol', chat, 2);
    // A process that did not see them created (a restart, another node).
    events = new DomainEvents();
    const fresh = new Receipts(store, events);
    events.subscribe((e) => {
      if (e.type === 'receipt.updated') pushed.push({ to: e.to, receipt: e.receipt });
    });
    store.calls.clear();
    const move = (userId: string, conversationId: string, seq: number) =>
      fresh.handle({ type: 'cursor.moved', cursor: 'delivered', userId, deviceId: 'd', conversationId, seq, view: null });
    await Promise.all([move('bob', g, 1), move('carol', g, 2), move('bob', chat, 1), move('bob', chat, 2)]);
    await move('bob', g, 2);
    expect(store.count('getConversationState')).toBe(2);
    expect(pushed.map((p) => [p.to, p.receipt.conversationId, p.receipt.seq])).toEqual([
      [['carol'], chat, 1],
      [['carol'], chat, 2],
    ]);
  });

  it('keeps a bounded number of conversations', async () => {
    // Kept: 2 (see beforeEach). A third pushes the oldest out; its next ack reads it again.
    const ids: string[] = [];
    for (const other of ['bob', 'carol']) ids.push((await messaging.openDirect('alice', other)).id);
    ids.push((await messaging.openDirect('bob', 'carol')).id);
    store.calls.clear();
    await messaging.ack('alice', 'd1', ids[0]!, 1, true);
    await tick();
    expect(store.count('getConversationState')).toBe(1);
  });
});

describe('read receipts', () => {
  it('direct: a read is pushed to the other member unless either turned receipts off', async () => {
    const chat = (await messaging.openDirect('alice', 'bob')).id;
    for (let i = 0; i < 3; i++) await send('alice', chat, i);
    await messaging.read('bob', chat, 2);
    await tick();
    expect(pushed.map((p) => p.receipt)).toEqual([{ conversationId: chat, kind: 'read', userId: 'bob', seq: 2 }]);
    expect(pushed[0]!.to).toEqual(['alice']);
    await store.updateUserSettings('alice', { readReceipts: false });
    await messaging.read('bob', chat, 3);
    await store.updateUserSettings('alice', { readReceipts: true });
    await store.updateUserSettings('bob', { readReceipts: false });
    await messaging.read('bob', chat, 4);
    await tick();
    expect(pushed).toHaveLength(1);
  });

  it('groups: a read loads no member cursors and pushes nothing', async () => {
    const g = (await messaging.createGroup('alice', 'g', ['bob', 'carol'])).id;
    await send('alice', g, 1);
    store.calls.clear();
    await messaging.read('bob', g, 2);
    await tick();
    expect(pushed).toEqual([]);
    expect(store.count('receiptCursors')).toBe(0);
  });
});
