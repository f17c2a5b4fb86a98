/**
 * Live broadcast announcements go to the connections Delivery holds on this process (Broadcasts
 * keeps no list of its own): every device of every user in the segment, nobody outside it,
 * nobody who has gone.
 */
import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../bus/memory/memory-bus.js';
import { MemoryStore } from '../../store/memory/memory-store.js';
import { systemClock } from '../clock.js';
import type { Connection, OutboundFrame } from '../connection.js';
import { Delivery } from '../delivery/delivery.js';
import { Broadcasts } from './broadcasts.js';

const rules = { maxPerWindow: 100, windowMs: 60_000, minIntervalMs: 0 };

function device(): Connection & { got: string[] } {
  const got: string[] = [];
  return { got, send: (f: OutboundFrame) => got.push(f.json), close: () => {} } as unknown as Connection & { got: string[] };
}

describe('Broadcasts, live', () => {
  it('tell every device of every connected user in the segment once, and nobody gone or outside it', async () => {
    const store = new MemoryStore();
    for (const id of ['ann', 'bob', 'cy']) await store.createUser({ id, username: id, passwordHash: null, displayName: null, avatarUrl: null, createdAt: 0 });
    const bus = new MemoryBus();
    const delivery = new Delivery(bus, store, systemClock);
    const broadcasts = new Broadcasts(bus, store, systemClock, rules, delivery);
    await broadcasts.start();
    const [ann1, ann2, bob, cy] = [device(), device(), device(), device()];
    await delivery.attach(ann1, 'ann', 'a1');
    await delivery.attach(ann2, 'ann', 'a2');
    await delivery.attach(bob, 'bob', 'b1');
    const cyAt = await delivery.attach(cy, 'cy', 'c1');

    const all = await broadcasts.send({ title: null, body: { text: 'hello' }, important: false, userIds: null });
    const frame = JSON.stringify({ type: 'broadcast', seq: all.seq });
    for (const d of [ann1, ann2, bob, cy]) expect(d.got).toEqual([frame]);

    await delivery.detach(cyAt);
    const some = await broadcasts.send({ title: null, body: { text: 'ann and cy' }, important: false, userIds: ['ann', 'cy'] });
    const second = JSON.stringify({ type: 'broadcast', seq: some.seq });
    expect(ann1.got).toEqual([frame, second]);
    expect(ann2.got).toEqual([frame, second]);
    expect(bob.got).toEqual([frame]);
    expect(cy.got).toEqual([frame]);
  });
});
