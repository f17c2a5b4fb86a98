/**
 * Delivery on the receiving side, against buses that subscribe slowly (like Redis or NATS), fail,
 * or bring entries out of order from several publishers: a connection is never told it is routed
 * before its subscription is active, a removed member gets nothing committed after the removal,
 * and lost events are recovered from the store.
 */
import { describe, expect, it } from 'vitest';
import { CLOSE_CODES, type Conversation } from '@natter/protocol';
import { MemoryBroker, MemoryBus } from '../../bus/memory/memory-bus.js';
import type { Bus } from '../../bus/bus.js';
import type { NewMessage, Store } from '../../store/store.js';
import { systemClock, type Clock } from '../clock.js';
import type { Connection } from '../connection.js';
import { encodeEntry, encodeUserEnvelope, entryFrame, type UserEnvelope } from './codec.js';
import { Delivery } from './delivery.js';
import { REORDER_WAIT_MS } from './ordering.js';

/** A clock whose timers fire only when the test moves it. */
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
  advance(ms: number): void {
    this.at += ms;
    const due = this.timers.filter((t) => t.due <= this.at);
    this.timers = this.timers.filter((t) => t.due > this.at);
    for (const t of due) t.fn();
  }
}

const hubOn = (bus: Bus, store: Store, clock: Clock = systemClock) => new Delivery(bus, store, clock);

/** A sent message as the committing process's event carries it. */
const sent = (conversationId: string, seq: number, body: unknown = { text: `m${seq}` }, type: 'text' | 'custom' = 'text'): { type: 'message.stored'; message: NewMessage; seq: number } => ({
  type: 'message.stored',
  seq,
  message: { id: `m${seq}`, conversationId, senderId: 'alice', type, body: JSON.stringify(body), clientMsgId: `k${seq}`, replyTo: null, createdAt: 0 },
});

/** The bus payload of a log entry published by another process. */
const entryPayload = (seq: number, body: unknown, type: 'text' | 'system' = 'text', removedUserId: string | null = null) =>
  encodeEntry({
    seq,
    frame: entryFrame({ id: `m${seq}`, conversationId: 'c1', seq, senderId: 'alice', type, body, clientMsgId: null, replyTo: null, createdAt: 0 }),
    removedUserId,
  });
const userPayload = (e: UserEnvelope) => encodeUserEnvelope(e);

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
    getConversationState: async (id: string) => ({ id, members: Object.entries(active).filter(([, cs]) => cs.includes(id)).map(([userId]) => ({ userId, role: 'member' })) }),
  } as unknown as Store;
}

function conn(): Connection & { frames: string[] } {
  const frames: string[] = [];
  return { frames, send: (f) => frames.push(f.json), close: () => {} };
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
    lastMessage: null,
    lastActivityAt: 0,
    unreadCount: 0,
    mentioned: false,
    pinned: false,
    muted: false,
    archived: false,
  };
}

describe('Delivery', () => {
  it('does not finish attaching a connection before its conversation subscription is active (second member on the process)', async () => {
    const broker = new MemoryBroker();
    const bus = new SlowBus(broker);
    const hub = hubOn(bus, fakeStore({ alice: ['c1'], bob: ['c1'] }));
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
    await broker.attach().publish('c:c1', entryPayload(5, { text: 'entry' }));
    await tick();
    expect(b.frames.map((f) => JSON.parse(f).message?.seq)).toEqual([5]);
  });

  it("sends a 'joined' conversation push only once the conversation's subscription is active, also when the list load already joined it", async () => {
    const broker = new MemoryBroker();
    const bus = new SlowBus(broker);
    const hub = hubOn(bus, fakeStore({ alice: ['c1'] }));
    const a = conn();
    void hub.attach(a, 'alice', 'd1');
    await tick();
    bus.release('u:alice');
    await tick();
    // The list load is subscribing c:c1; the 'joined' event for it arrives now.
    await broker.attach().publish('u:alice', userPayload({ k: 'joined', conversation: view('c1', 'active') }));
    await tick();
    expect(a.frames).toEqual([]);
    bus.release('c:c1');
    await tick();
    expect(a.frames.map((f) => JSON.parse(f).type)).toEqual(['conversation']);
  });

  it("does not finish attaching a user's second device before the user's topic is subscribed", async () => {
    const broker = new MemoryBroker();
    const bus = new SlowBus(broker);
    const hub = hubOn(bus, fakeStore({}));
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
    const hub = hubOn(bus, fakeStore({}));
    const a = conn();
    void hub.attach(a, 'alice', 'd1');
    await tick();
    bus.release('u:alice');
    await tick();
    const other = broker.attach();
    await other.publish('u:alice', userPayload({ k: 'joined', conversation: view('c1', 'active') }));
    await other.publish('u:alice', userPayload({ k: 'left', conversation: view('c1', 'left') }));
    bus.release('c:c1');
    await tick();
    const states = a.frames.map((f) => (JSON.parse(f) as { conversation: Conversation }).conversation.membership.state);
    expect(states.at(-1)).toBe('left');
  });
});

describe('Delivery removal routing', () => {
  /** Bob's removal at `seq` as the committing process publishes it (entry first, then 'left'). */
  const removal = (seq: number) => ({
    type: 'membership.changed' as const,
    conversationId: 'c1',
    change: 'removed' as const,
    entry: { id: `m${seq}`, conversationId: 'c1', seq, senderId: 'alice', type: 'system' as const, body: { event: 'member.removed', by: 'alice', userId: 'bob' }, clientMsgId: null, replyTo: null, createdAt: 0 },
    joined: [],
    left: [{ userId: 'bob', conversation: view('c1', 'left') }],
    updated: [],
  });

  it('stops routing a removed member at the removal entry, before the slower "left" user event (regression: messages after removal reached them)', async () => {
    const broker = new MemoryBroker();
    const hub = hubOn(new MemoryBus(broker), fakeStore({ alice: ['c1'], bob: ['c1'] }));
    const a = conn();
    const b = conn();
    await hub.attach(a, 'alice', 'd1');
    await hub.attach(b, 'bob', 'd2');
    // Another process's removal entry, and a message committed after it, both before the 'left' user event.
    const other = broker.attach();
    await other.publish('c:c1', entryPayload(2, { text: 'before' }));
    await settle();
    await other.publish('c:c1', entryPayload(3, { event: 'member.removed', by: 'alice', userId: 'bob' }, 'system', 'bob'));
    await other.publish('c:c1', entryPayload(4, { text: 'secret' }));
    expect(b.frames.some((f) => f.includes('"seq":3'))).toBe(true);
    expect(b.frames.some((f) => f.includes('secret'))).toBe(false);
    expect(a.frames.some((f) => f.includes('secret'))).toBe(true);
  });

  it('does not unroute on a custom body that merely looks like a removal, nor on a late removal after a re-join', async () => {
    const clock = new ManualClock();
    const hub = hubOn(new MemoryBus(new MemoryBroker()), fakeStore({ alice: ['c1'], bob: ['c1'] }), clock);
    const b = conn();
    await hub.attach(conn(), 'alice', 'd1');
    await hub.attach(b, 'bob', 'd2');
    await hub.publish(sent('c1', 2));
    await settle();
    await hub.publish(sent('c1', 3, { type: 'system', event: 'member.removed', userId: 'bob' }, 'custom'));
    await hub.publish(sent('c1', 4, { text: 'still here' }));
    await settle();
    expect(b.frames.some((f) => f.includes('still here'))).toBe(true);
    // Bob re-joined at seq 10 (the 'joined' event arrived first); a removal from seq 5 arrives late.
    await hub.publish({ ...removal(10), change: 'added', left: [], joined: [{ userId: 'bob', conversation: { ...view('c1', 'active'), membership: { ...view('c1', 'active').membership, joinedSeq: 10 } } }] });
    clock.advance(REORDER_WAIT_MS); // entries 5-9 do not come in time: 10 is delivered after a check
    await settle();
    await hub.publish({ ...removal(5), left: [] });
    await hub.publish(sent('c1', 11, { text: 'after rejoin' }));
    await settle();
    expect(b.frames.some((f) => f.includes('after rejoin'))).toBe(true);
  });

  it('gives the sender\'s devices their clientMsgId and other members none', async () => {
    const hub = hubOn(new MemoryBus(new MemoryBroker()), fakeStore({ alice: ['c1'], bob: ['c1'] }));
    const a = conn();
    const b = conn();
    await hub.attach(a, 'alice', 'd1');
    await hub.attach(b, 'bob', 'd2');
    await hub.publish(sent('c1', 2));
    await settle();
    expect(JSON.parse(a.frames[0]!).message.clientMsgId).toBe('k2');
    expect(JSON.parse(b.frames[0]!).message).not.toHaveProperty('clientMsgId');
  });
});

/** A MemoryBus that can fail its publishes, and say it reconnected (as Redis and NATS buses do). */
class FlakyBus extends MemoryBus {
  down = false;
  private reconnected: () => void = () => {};
  override async publish(topic: string, payload: string): Promise<void> {
    if (this.down) throw new Error('bus unavailable');
    await super.publish(topic, payload);
  }
  onReconnect(handler: () => void): void {
    this.reconnected = handler;
  }
  reconnect(): void {
    this.down = false;
    this.reconnected();
  }
}

/** A store whose memberships and revocations the test changes, as other processes would. */
function liveStore() {
  const active = new Map<string, string[]>();
  const revoked = new Set<string>();
  const store = {
    activeConversationIds: async (userId: string) => active.get(userId) ?? [],
    getDevice: async (id: string) => ({ id, revokedAt: revoked.has(id) ? 1 : null }),
    getConversationState: async (id: string) => ({ id, members: [...active].filter(([, cs]) => cs.includes(id)).map(([userId]) => ({ userId, role: 'member' })) }),
  } as unknown as Store;
  return { store, active, revoked };
}

function closable(): Connection & { frames: string[]; closed: number | null } {
  const c = { frames: [] as string[], closed: null as number | null, send: (f: { json: string }) => c.frames.push(f.json), close: (code: number) => (c.closed = code) };
  return c;
}

const types = (c: { frames: string[] }) => c.frames.map((f) => (JSON.parse(f) as { type: string }).type);
const settle = async () => {
  for (let i = 0; i < 5; i++) await tick();
};

describe('Delivery after a publish failed on one process only', () => {
  // Process A's bus fails; process B's never does, so only A knows anything was lost.
  // Bob, in `bobIn`, is connected to B.
  async function cluster(bobIn: string[]) {
    const broker = new MemoryBroker();
    const s = liveStore();
    const busA = new FlakyBus(broker);
    const a = hubOn(busA, s.store);
    const b = hubOn(new MemoryBus(broker), s.store);
    s.active.set('bob', bobIn);
    const bob = closable();
    await b.attach(bob, 'bob', 'd2');
    return { ...s, busA, a, b, bob };
  }

  it("tells the other processes' devices to resync the conversation once A's bus is back", async () => {
    const { busA, a, bob } = await cluster(['c1']);
    busA.down = true;
    await a.publish(sent('c1', 2));
    expect(bob.frames).toEqual([]);
    busA.reconnect();
    await settle();
    expect(types(bob)).toEqual(['resync']);
  });

  it('also when the bus never said it reconnected: at the next publish that goes through', async () => {
    const { busA, a, bob } = await cluster(['c1', 'c2']);
    busA.down = true;
    await a.publish(sent('c1', 2));
    busA.down = false;
    await a.publish(sent('c2', 2));
    await settle();
    expect(types(bob)).toEqual(['message', 'resync']);
  });

  it('routes a conversation whose lost "joined" event never reached the member\'s process', async () => {
    const { active, busA, a, bob } = await cluster([]);
    // A adds bob to c2 (committed), but its 'joined' event is lost.
    active.set('bob', ['c2']);
    busA.down = true;
    await a.publish({ type: 'membership.changed', conversationId: 'c2', change: 'added', entry: { id: 'm2', conversationId: 'c2', seq: 2, senderId: 'alice', type: 'system', body: {}, clientMsgId: null, replyTo: null, createdAt: 0 }, joined: [{ userId: 'bob', conversation: view('c2', 'active') }], left: [], updated: [] });
    busA.reconnect();
    await settle();
    expect(types(bob)).toEqual(['resync']);
    await a.publish(sent('c2', 2));
    await settle();
    expect(types(bob)).toEqual(['resync', 'message']);
  });

  it('stops routing a conversation whose lost "left" event never reached the member\'s process', async () => {
    const { active, busA, a, bob } = await cluster(['c1']);
    active.set('bob', []);
    busA.down = true;
    await a.publish({ type: 'membership.changed', conversationId: 'c1', change: 'removed', entry: { id: 'm3', conversationId: 'c1', seq: 3, senderId: 'alice', type: 'system', body: {}, clientMsgId: null, replyTo: null, createdAt: 0 }, joined: [], left: [{ userId: 'bob', conversation: view('c1', 'left') }], updated: [] });
    busA.reconnect();
    await settle();
    await a.publish(sent('c1', 2));
    await settle();
    // The removal entry and the 'left' event were both lost: the conversation's resync and the re-check's.
    expect(types(bob)).toEqual(['resync', 'resync']);
  });

  it('closes a device whose lost revocation never reached its process', async () => {
    const { revoked, busA, a, bob } = await cluster([]);
    revoked.add('d2');
    busA.down = true;
    await a.publish({ type: 'device.revoked', userId: 'bob', deviceIds: ['d2'] });
    busA.reconnect();
    await settle();
    expect(bob.closed).toBe(CLOSE_CODES.device_revoked);
  });

  it('re-checks a user once more when asked again while a re-check reads the store (its read may predate the change)', async () => {
    const broker = new MemoryBroker();
    const active: string[][] = [[]];
    const reads: (() => void)[] = [];
    let holding = false;
    const store = {
      activeConversationIds: async () => {
        const now = active[0]!;
        if (holding) await new Promise<void>((r) => reads.push(r));
        return now;
      },
      getDevice: async (id: string) => ({ id, revokedAt: null }),
      getConversationState: async (id: string) => ({ id, members: active[0]!.includes(id) ? [{ userId: 'bob', role: 'member' }] : [] }),
    } as unknown as Store;
    const hub = hubOn(new MemoryBus(broker), store);
    const other = broker.attach();
    const bob = closable();
    await hub.attach(bob, 'bob', 'd2');
    holding = true;
    await other.publish('u:bob', userPayload({ k: 'recheck' }));
    // bob is added to c2 after that read was taken; the announcement of it arrives meanwhile.
    active[0] = ['c2'];
    await other.publish('u:bob', userPayload({ k: 'recheck' }));
    holding = false;
    reads.shift()!();
    await settle();
    await other.publish('c:c2', entryPayload(3, { text: 'x' }));
    await settle();
    expect(types(bob).at(-1)).toBe('message');
  });

  it('announces a topic again when the announcement fails too', async () => {
    const { busA, a, bob } = await cluster(['c1']);
    busA.down = true;
    await a.publish(sent('c1', 2));
    busA.reconnect();
    busA.down = true; // down again before the announcement went out
    await settle();
    expect(bob.frames).toEqual([]);
    busA.reconnect();
    await settle();
    expect(types(bob)).toEqual(['resync']);
  });
});

describe('Delivery after its own bus outage', () => {
  it('re-checks every user here: routes what they joined meanwhile, closes what was revoked, and tells the rest to resync', async () => {
    const broker = new MemoryBroker();
    const { store, active, revoked } = liveStore();
    const bus = new FlakyBus(broker);
    const hub = hubOn(bus, store);
    const bob = closable();
    const carol = closable();
    await hub.attach(bob, 'bob', 'd2');
    await hub.attach(carol, 'carol', 'd3');
    // During the outage another process added bob to c2 and revoked carol's device; both events were lost.
    bus.down = true;
    active.set('bob', ['c2']);
    revoked.add('d3');
    bus.reconnect();
    await settle();
    expect(types(bob)).toEqual(['resync']);
    expect(carol.closed).toBe(CLOSE_CODES.device_revoked);
    await broker.attach().publish('c:c2', entryPayload(3, { text: 'x' }));
    await settle();
    expect(types(bob)).toEqual(['resync', 'message']);
  });
});

describe('Delivery ordering across publishers', () => {
  /** A store with conversation c1's members, whose membership reads the test can hold or fail. */
  function setup(initial: string[]) {
    const broker = new MemoryBroker();
    const members = new Map([['c1', initial]]);
    const held: (() => void)[] = [];
    const s = { reads: 0, hold: false, failing: false, missing: false };
    const store = {
      activeConversationIds: async (u: string) => [...members].filter(([, m]) => m.includes(u)).map(([c]) => c),
      getDevice: async (id: string) => ({ id, revokedAt: null }),
      getConversationState: async (id: string) => {
        s.reads++;
        if (s.hold) await new Promise<void>((r) => held.push(r));
        if (s.failing) throw new Error('store unavailable');
        if (s.missing) return null;
        return { id, members: (members.get(id) ?? []).map((userId) => ({ userId, role: 'member' })) };
      },
    } as unknown as Store;
    const clock = new ManualClock();
    const hub = hubOn(new MemoryBus(broker), store, clock);
    // Entries from other processes, which commit to the same conversation.
    const other = broker.attach();
    const publish = (seq: number, body: unknown, type = 'text') =>
      other.publish('c:c1', entryPayload(seq, body, type as 'text' | 'system', type === 'system' ? (body as { userId: string }).userId : null));
    /** Time passes beyond the reorder wait. */
    const past = async () => {
      clock.advance(REORDER_WAIT_MS);
      await settle();
    };
    return { hub, members, held, s, publish, other, past };
  }
  const seqs = (c: { frames: string[] }) =>
    c.frames.map((f) => JSON.parse(f) as { type: string; message?: { seq: number } }).map((f) => (f.type === 'message' ? f.message!.seq : f.type));


  /** Alice and Bob in c1, each connected here, with seq 2 delivered (and checked) already. */
  async function aliceAndBob() {
    const t = setup(['alice', 'bob']);
    const alice = closable();
    const bob = closable();
    await t.hub.attach(alice, 'alice', 'd1');
    await t.hub.attach(bob, 'bob', 'd2');
    await t.publish(2, { text: 'hello' });
    await settle();
    return { ...t, alice, bob };
  }

  it("delivers an entry that overtook a member's removal after the removal, never to that member", async () => {
    const { members, s, publish, alice, bob } = await aliceAndBob();
    // Another process removes bob at seq 3; a third commits seq 4, whose entry arrives first.
    members.set('c1', ['alice']);
    await publish(4, { text: 'secret' });
    await publish(3, { event: 'member.removed', by: 'alice', userId: 'bob' }, 'system');
    await publish(5, { text: 'later' });
    await settle();
    expect(seqs(bob)).toEqual([2, 3]);
    expect(seqs(alice)).toEqual([2, 3, 4, 5]);
    expect(s.reads).toBe(1); // the first entry's check only
  });

  it('reads the members from the store when the entries before one do not come, and unroutes who was removed', async () => {
    const { members, s, publish, alice, bob, past } = await aliceAndBob();
    members.set('c1', ['alice']);
    await publish(4, { text: 'secret' });
    await settle();
    expect(s.reads).toBe(1);
    await past();
    expect(s.reads).toBe(2);
    // The removal arrives after all: too late to matter to anyone but alice.
    await publish(3, { event: 'member.removed', by: 'alice', userId: 'bob' }, 'system');
    await publish(5, { text: 'later' });
    await settle();
    expect(bob.frames.some((f) => f.includes('secret') || f.includes('later'))).toBe(false);
    expect(seqs(bob)).toEqual([2]);
    expect(seqs(alice)).toEqual([2, 4, 3, 5]);
  });

  it('keeps entries in arrival order while it reads the store', async () => {
    const { hub, held, s, publish, past } = setup(['alice']);
    const alice = closable();
    await hub.attach(alice, 'alice', 'd1');
    await publish(2, { text: 'a' }); // the first since subscribing is checked
    await settle();
    await publish(4, { text: 'c' });
    await publish(3, { text: 'b' });
    expect(seqs(alice)).toEqual([2, 3, 4]);
    s.hold = true;
    await publish(6, { text: 'e' });
    await past();
    await publish(7, { text: 'f' });
    await publish(5, { text: 'd' });
    expect(seqs(alice)).toEqual([2, 3, 4]);
    held.shift()!();
    await settle();
    expect(seqs(alice)).toEqual([2, 3, 4, 6, 7, 5]);
    expect(s.reads).toBe(2);
  });

  it("tells the devices to resync instead of an entry in a later version's format (a cluster being upgraded)", async () => {
    const { hub, publish, other } = setup(['alice']);
    const alice = closable();
    await hub.attach(alice, 'alice', 'd1');
    await publish(2, { text: 'a' });
    await settle();
    await other.publish('c:c1', '\u0002E\u00003\u0000{"type":"message","message":{"seq":3}}');
    // And one in the previous version's format (NUL-headed), from a process not yet upgraded.
    await other.publish('c:c1', '\u00004\u0000\u0000\u0000{"type":"message","message":{"seq":4}}');
    expect(seqs(alice)).toEqual([2, 'resync', 'resync']);
  });

  it.each([
    ['the store is unreachable', 'failing'],
    ['the store finds no such conversation (a store fault: entries are published to it)', 'missing'],
  ] as const)('tells the devices to resync, unrouting no one, when the members cannot be read: %s', async (_, fault) => {
    const { hub, s, publish } = setup(['alice']);
    const alice = closable();
    await hub.attach(alice, 'alice', 'd1');
    s[fault] = true;
    await publish(2, { text: 'unchecked' });
    await settle();
    expect(seqs(alice)).toEqual(['resync']);
    s[fault] = false;
    await publish(3, { text: 'next' });
    await settle();
    expect(seqs(alice)).toEqual(['resync', 3]);
  });
});
