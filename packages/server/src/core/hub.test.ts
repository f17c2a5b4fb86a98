/**
 * Hub routing against a bus whose subscriptions take a while to become active (like Redis or
 * NATS): a connection must not be told it is routed before the subscription is active.
 */
import { describe, expect, it } from 'vitest';
import type { Conversation } from '@natter/protocol';
import { MemoryBroker, MemoryBus } from '../bus/memory/memory-bus.js';
import type { Store } from '../store/store.js';
import type { Connection } from './connection.js';
import { Hub } from './hub.js';

/** A MemoryBus whose subscribe() becomes active only when the test releases it. */
class SlowBus extends MemoryBus {
  readonly held = new Map<string, () => void>();
  override async subscribe(topic: string): Promise<void> {
    await new Promise<void>((resolve) => this.held.set(topic, resolve));
    await super.subscribe(topic);
  }
  release(topic: string): void {
    this.held.get(topic)?.();
    this.held.delete(topic);
  }
}

function fakeStore(active: Record<string, string[]>): Store {
  return {
    activeConversationIds: async (userId: string) => active[userId] ?? [],
    getDevice: async () => null,
  } as unknown as Store;
}

function conn(): Connection & { frames: string[] } {
  const frames: string[] = [];
  return { frames, send: (f) => frames.push(f.toString()), close: () => {} };
}

const tick = () => new Promise((r) => setImmediate(r));

function view(id: string, state: 'active' | 'left'): Conversation {
  return {
    id,
    kind: 'group',
    title: null,
    lastSeq: 2,
    createdAt: 0,
    members: [],
    membership: { role: 'member', state, joinedSeq: 2, leftSeq: state === 'left' ? 3 : null, readSeq: 2 },
  };
}

describe('Hub', () => {
  it('does not finish attaching a connection before its conversation subscription is active (second member on the process)', async () => {
    const broker = new MemoryBroker();
    const bus = new SlowBus(broker);
    const hub = new Hub(bus, fakeStore({ alice: ['c1'], bob: ['c1'] }));
    const a = conn();
    const b = conn();
    let aDone = false;
    let bDone = false;
    void hub.attach(a, 'alice', 'd1').then(() => (aDone = true));
    await tick();
    bus.release('u:alice');
    await tick();
    // alice's c:c1 subscription is now pending; bob attaches meanwhile.
    void hub.attach(b, 'bob', 'd2').then(() => (bDone = true));
    await tick();
    bus.release('u:bob');
    await tick();
    expect(aDone).toBe(false);
    // bob must not be told he is online (and sync) while c:c1 is not yet subscribed.
    expect(bDone).toBe(false);
    bus.release('c:c1');
    await tick();
    expect(aDone && bDone).toBe(true);
    await broker.attach().publish('c:c1', 'entry');
    expect(b.frames).toEqual(['entry']);
  });

  it("sends a 'joined' conversation push only once the conversation's subscription is active, also when the list load already joined it", async () => {
    const broker = new MemoryBroker();
    const bus = new SlowBus(broker);
    const hub = new Hub(bus, fakeStore({ alice: ['c1'] }));
    const a = conn();
    void hub.attach(a, 'alice', 'd1');
    await tick();
    bus.release('u:alice');
    await tick();
    // The list load is subscribing c:c1; the 'joined' event for it arrives now.
    await broker.attach().publish('u:alice', JSON.stringify({ k: 'joined', conversation: view('c1', 'active') }));
    await tick();
    expect(a.frames).toEqual([]);
    bus.release('c:c1');
    await tick();
    expect(a.frames.map((f) => JSON.parse(f).type)).toEqual(['conversation']);
  });

  it("does not finish attaching a user's second device before the user's topic is subscribed", async () => {
    const broker = new MemoryBroker();
    const bus = new SlowBus(broker);
    const hub = new Hub(bus, fakeStore({}));
    let secondDone = false;
    void hub.attach(conn(), 'alice', 'd1');
    await tick();
    void hub.attach(conn(), 'alice', 'd2').then(() => (secondDone = true));
    await tick();
    expect(secondDone).toBe(false);
    bus.release('u:alice');
    await tick();
    expect(secondDone).toBe(true);
  });

  it("does not push a stale 'joined' view after the 'left' one when a removal follows an add before the subscription is active", async () => {
    const broker = new MemoryBroker();
    const bus = new SlowBus(broker);
    const hub = new Hub(bus, fakeStore({}));
    const a = conn();
    void hub.attach(a, 'alice', 'd1');
    await tick();
    bus.release('u:alice');
    await tick();
    const other = broker.attach();
    await other.publish('u:alice', JSON.stringify({ k: 'joined', conversation: view('c1', 'active') }));
    await other.publish('u:alice', JSON.stringify({ k: 'left', conversation: view('c1', 'left') }));
    bus.release('c:c1');
    await tick();
    const states = a.frames.map((f) => (JSON.parse(f) as { conversation: Conversation }).conversation.membership.state);
    expect(states.at(-1)).toBe('left');
  });
});

describe('Hub removal routing', () => {
  const entry = (seq: number, type: string, body: unknown) =>
    JSON.stringify({ type: 'message', message: { id: `m${seq}`, conversationId: 'c1', seq, senderId: 'alice', type, body, clientMsgId: null, replyTo: null, createdAt: 0 } });

  it('stops routing a removed member at the removal entry, before the slower "left" user event (regression: messages after removal reached them)', async () => {
    const bus = new MemoryBus(new MemoryBroker());
    const hub = new Hub(bus, fakeStore({ alice: ['c1'], bob: ['c1'] }));
    const a = conn();
    const b = conn();
    await hub.attach(a, 'alice', 'd1');
    await hub.attach(b, 'bob', 'd2');
    await hub.publishEntry('c1', entry(3, 'system', { event: 'member.removed', by: 'alice', userId: 'bob' }));
    // A message committed after the removal, published before the 'left' user event.
    await hub.publishEntry('c1', entry(4, 'text', { text: 'secret' }));
    expect(b.frames.some((f) => f.includes('"seq":3'))).toBe(true);
    expect(b.frames.some((f) => f.includes('secret'))).toBe(false);
    expect(a.frames.some((f) => f.includes('secret'))).toBe(true);
  });

  it('does not unroute on a custom body that merely looks like a removal, nor on a late removal after a re-join', async () => {
    const bus = new MemoryBus(new MemoryBroker());
    const hub = new Hub(bus, fakeStore({ alice: ['c1'], bob: ['c1'] }));
    const b = conn();
    await hub.attach(conn(), 'alice', 'd1');
    await hub.attach(b, 'bob', 'd2');
    await hub.publishEntry('c1', entry(3, 'custom', { type: 'system', event: 'member.removed', userId: 'bob' }));
    await hub.publishEntry('c1', entry(4, 'text', { text: 'still here' }));
    expect(b.frames.some((f) => f.includes('still here'))).toBe(true);
    // Bob re-joined at seq 10 (the 'joined' event arrived first); a removal from seq 5 arrives late.
    await hub.publishToUser('bob', { k: 'joined', conversation: { ...view('c1', 'active'), membership: { ...view('c1', 'active').membership, joinedSeq: 10 } } });
    await tick();
    await hub.publishEntry('c1', entry(5, 'system', { event: 'member.removed', by: 'alice', userId: 'bob' }));
    await hub.publishEntry('c1', entry(11, 'text', { text: 'after rejoin' }));
    expect(b.frames.some((f) => f.includes('after rejoin'))).toBe(true);
  });
});
