/**
 * Delivery cursors kept in memory: acks for entries delivered here are answered without the
 * store and written in batches on the Clock's timer, at a device's disconnect and at shutdown;
 * the stored cursor never moves back; a failed write is retried; an ack for anything not
 * delivered here is checked by the store as before. Runs on the MemoryStore with a manual clock.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryBroker, MemoryBus } from '../bus/memory/memory-bus.js';
import { MemoryStore } from '../store/memory/memory-store.js';
import type { DeliveryCursor, Store } from '../store/store.js';
import type { Clock } from './clock.js';
import type { Connection } from './connection.js';
import { CURSOR_FLUSH_MS, CURSOR_WRITE_SLICE, DeliveryCursors } from './cursors.js';
import { Delivery } from './delivery/delivery.js';
import { DomainEvents } from './events.js';
import { Messaging } from './messaging.js';

class ManualClock implements Clock {
  private at = 0;
  private timers: { due: number; fn: () => void }[] = [];
  now(): number {
    return this.at;
  }
  setTimeout(fn: () => void, ms: number): { cancel(): void } {
    const t = { due: this.at + ms, fn };
    this.timers.push(t);
    return { cancel: () => (this.timers = this.timers.filter((x) => x !== t)) };
  }
  get pendingTimers(): number {
    return this.timers.length;
  }
  async advance(ms: number): Promise<void> {
    this.at += ms;
    const due = this.timers.filter((t) => t.due <= this.at);
    this.timers = this.timers.filter((t) => t.due > this.at);
    for (const t of due) t.fn();
    await new Promise((r) => setImmediate(r));
  }
}

/** A MemoryStore that counts cursor writes and can be made to fail them. */
class CountingStore extends MemoryStore {
  batches: DeliveryCursor[][] = [];
  single = 0;
  failing = false;
  override async ackDeliveredMany(cursors: readonly DeliveryCursor[]): Promise<void> {
    if (this.failing) throw new Error('store down');
    this.batches.push([...cursors]);
    return super.ackDeliveredMany(cursors);
  }
  override ackDelivered: Store['ackDelivered'] = (...a) => {
    this.single++;
    return super.ackDelivered(...a);
  };
}

let store: CountingStore;
let clock: ManualClock;
let messaging: Messaging;
let group: string;

/** The stored cursor (an ack of seq 1 answers it as it stands). */
const stored = async (deviceId: string, conversationId = group) => {
  const r = await MemoryStore.prototype.ackDelivered.call(store, deviceId, 'bob', conversationId, 1);
  return r.kind === 'ok' ? r.seq : null;
};

beforeEach(async () => {
  store = new CountingStore();
  clock = new ManualClock();
  messaging = new Messaging(store, new DomainEvents(), clock, { maxTextLength: 100, maxCustomBodyBytes: 1000 });
  for (const id of ['alice', 'bob']) await store.createUser({ id, username: id, passwordHash: null, displayName: null, avatarUrl: null, createdAt: 0 });
  group = (await messaging.createGroup('alice', 'g', ['bob'])).id;
  for (let i = 0; i < 5; i++) await messaging.send('alice', { type: 'send', conversationId: group, clientMsgId: `k${i}`, msgType: 'text', body: { text: 'hi' } });
});

describe('acks for entries delivered here', () => {
  it('are answered from memory and written together once the timer fires, the latest value per device and conversation', async () => {
    expect(await messaging.ack('bob', 'phone', group, 2, true)).toEqual({ seq: 2 });
    expect(await messaging.ack('bob', 'phone', group, 4, true)).toEqual({ seq: 4 });
    expect(await messaging.ack('bob', 'laptop', group, 3, true)).toEqual({ seq: 3 });
    // Older than what this device acked: the answer is its cursor, which stays.
    expect(await messaging.ack('bob', 'phone', group, 1, true)).toEqual({ seq: 4 });
    expect(store.batches).toEqual([]);
    expect(store.single).toBe(0);
    await clock.advance(CURSOR_FLUSH_MS);
    expect(store.batches).toEqual([
      [
        { deviceId: 'phone', conversationId: group, seq: 4 },
        { deviceId: 'laptop', conversationId: group, seq: 3 },
      ],
    ]);
    expect(await stored('phone')).toBe(4);
    expect(await stored('laptop')).toBe(3);
    // Nothing moved since: no timer, no write.
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(CURSOR_FLUSH_MS);
    expect(store.batches).toHaveLength(1);
  });

  it("are written at once when the device disconnects, and at shutdown, after which no timer runs", async () => {
    await messaging.ack('bob', 'phone', group, 3, true);
    await messaging.ack('bob', 'laptop', group, 2, true);
    await messaging.cursors.deviceGone('phone');
    expect(await stored('phone')).toBe(3);
    await messaging.ack('bob', 'laptop', group, 5, true);
    await messaging.cursors.close();
    expect(await stored('laptop')).toBe(5);
    expect(clock.pendingTimers).toBe(0);
  });

  it('never move a stored cursor back, whatever a write carries', async () => {
    expect(await messaging.ack('bob', 'phone', group, 5)).toEqual({ seq: 5 });
    // A process that had not seen that ack keeps a lower value in memory and writes it.
    const other = new DeliveryCursors(store, clock);
    expect(other.ack('phone', group, 2)).toBe(2);
    await other.flush();
    expect(await stored('phone')).toBe(5);
  });

  it('stay pending when the store fails, and are written by a later tick with the newest value', async () => {
    const errors: unknown[] = [];
    messaging.cursors.hooks = { onError: (e) => errors.push(e) };
    await messaging.ack('bob', 'phone', group, 2, true);
    store.failing = true;
    await clock.advance(CURSOR_FLUSH_MS);
    expect(errors).toHaveLength(1);
    expect(messaging.cursors.pendingCount).toBe(1);
    await messaging.ack('bob', 'phone', group, 4, true);
    store.failing = false;
    await clock.advance(CURSOR_FLUSH_MS);
    expect(store.batches).toEqual([[{ deviceId: 'phone', conversationId: group, seq: 4 }]]);
    expect(await stored('phone')).toBe(4);
  });
});

describe('a large write', () => {
  it('goes in slices, so sends queued behind it on the store thread wait for one slice at most', async () => {
    for (let i = 0; i < CURSOR_WRITE_SLICE * 2 + 10; i++) messaging.cursors.ack(`d${i}`, group, 3);
    await messaging.cursors.flush();
    expect(store.batches.map((b) => b.length)).toEqual([CURSOR_WRITE_SLICE, CURSOR_WRITE_SLICE, 10]);
    expect(await stored(`d${CURSOR_WRITE_SLICE * 2 + 9}`)).toBe(3);
  });
});

describe('acks for anything else', () => {
  it('are checked and written by the store at once, as before', async () => {
    await expect(messaging.ack('bob', 'phone', group, 9)).rejects.toMatchObject({ code: 'invalid_position' });
    await expect(messaging.ack('bob', 'phone', 'c_none', 1)).rejects.toMatchObject({ code: 'not_found' });
    expect(await messaging.ack('bob', 'phone', group, 3)).toEqual({ seq: 3 });
    expect(store.single).toBe(3);
    expect(await stored('phone')).toBe(3);
    // What the store answered is known here: an older ack kept in memory answers it.
    expect(await messaging.ack('bob', 'phone', group, 2, true)).toEqual({ seq: 3 });
  });
});

describe('Delivery.shown', () => {
  const conn = (): Connection => ({ send: () => {}, close: () => {} });

  it('is true only for a conversation routed to the connection, up to the last entry delivered here', async () => {
    const delivery = new Delivery(new MemoryBus(new MemoryBroker()), store, clock);
    const events = new DomainEvents();
    events.subscribe((e) => delivery.publish(e));
    const live = new Messaging(store, events, clock, { maxTextLength: 100, maxCustomBodyBytes: 1000 });
    const a = await delivery.attach(conn(), 'bob', 'phone');
    // Entries 1..6 were committed before bob connected: none was delivered here.
    expect(delivery.shown(a, group, 1)).toBe(false);
    await live.send('alice', { type: 'send', conversationId: group, clientMsgId: 'live', msgType: 'text', body: { text: 'hi' } });
    await new Promise((r) => setImmediate(r));
    expect(delivery.shown(a, group, 7)).toBe(true);
    expect(delivery.shown(a, group, 3)).toBe(true);
    expect(delivery.shown(a, group, 8)).toBe(false);
    const other = (await live.createGroup('alice', 'h', [])).id;
    expect(delivery.shown(a, other, 1)).toBe(false);
    await live.changeMembership(group, { kind: 'remove', userId: 'bob', by: 'alice' });
    await new Promise((r) => setImmediate(r));
    // Removed: no longer routed, so its acks go to the store (which allows up to leftSeq).
    expect(delivery.shown(a, group, 7)).toBe(false);
  });
});
