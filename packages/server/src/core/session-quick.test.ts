/**
 * Session.quick: an `ack` without an id of an entry delivered here is done on the spot (cursor
 * in memory, no store, no promise, counted only); every other frame, and any ack the full path
 * would check or refuse, is left to Session.handle, which answers exactly as before. Real
 * Delivery and Messaging on the MemoryStore; accounts, presence and broadcasts, which an ack never
 * reaches, are minimal fakes that answer the auth frame.
 */
import { decodeClientFrame, type ServerFrame } from '@natter/protocol';
import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryBroker, MemoryBus } from '../bus/memory/memory-bus.js';
import { MemoryStore } from '../store/memory/memory-store.js';
import type { Accounts } from './accounts.js';
import type { Clock } from './clock.js';
import type { Connection, OutboundFrame } from './connection.js';
import { ConnectionCaps } from './connection-caps.js';
import { Delivery } from './delivery/delivery.js';
import { DomainEvents } from './events.js';
import { FairShare, DEFAULT_FAIR_SHARE } from './fair-share.js';
import { Messaging } from './messaging.js';
import { Session, type SessionDeps } from './session.js';

const clock: Clock = { now: () => 1_000, setTimeout: () => ({ cancel: () => {} }) };

/** A connection that keeps what it was sent. */
class Recorder implements Connection {
  frames: ServerFrame[] = [];
  send(frame: OutboundFrame): void {
    this.frames.push(JSON.parse(frame.json) as ServerFrame);
  }
  close(): void {}
}

let store: MemoryStore;
let messaging: Messaging;
let delivery: Delivery;
let group: string;
let conn: Recorder;
let session: Session;
let counted: { quick: number; full: string[] };
let storeAcks: number;

/** Connects bob's phone and authenticates it; writes allowed per connection: `writes`. */
async function connect(writes = DEFAULT_FAIR_SHARE.connectionWrites.burst): Promise<void> {
  const events = new DomainEvents();
  events.subscribe((e) => delivery.publish(e));
  const fairShare = new FairShare(clock, { ...DEFAULT_FAIR_SHARE, connectionWrites: { perSecond: 0.001, burst: writes } });
  messaging = new Messaging(store, events, clock, { maxTextLength: 100, maxCustomBodyBytes: 1000 }, fairShare);
  counted = { quick: 0, full: [] };
  const deps = {
    accounts: { authenticate: async () => ({ userId: 'bob', deviceId: 'phone' }) } as unknown as Accounts,
    messaging,
    delivery,
    clock,
    authTimeoutMs: 10_000,
    heartbeatSeconds: 25,
    userConnections: new ConnectionCaps(0),
    hooks: {
      onFrame: (type: string) => counted.full.push(type),
      onError: () => {},
      onQuickFrame: () => counted.quick++,
    },
    presence: { connected: async () => {} },
  } as unknown as SessionDeps;
  conn = new Recorder();
  session = new Session(conn, deps);
  await session.handle(decodeClientFrame('{"type":"auth","id":1,"token":"t"}'));
  expect(conn.frames[0]).toMatchObject({ type: 'result', id: 1 });
}

/** Alice sends one message to the group, delivered to bob's connection. */
async function deliverOne(key: string): Promise<void> {
  await messaging.send('alice', { type: 'send', conversationId: group, clientMsgId: key, msgType: 'text', body: { text: 'hi' } });
  await new Promise((r) => setImmediate(r));
}

const ack = (seq: number, id?: number) =>
  decodeClientFrame(JSON.stringify(id === undefined ? { type: 'ack', conversationId: group, seq } : { type: 'ack', id, conversationId: group, seq }));

beforeEach(async () => {
  store = new MemoryStore();
  storeAcks = 0;
  const single = store.ackDelivered.bind(store);
  store.ackDelivered = (...a) => {
    storeAcks++;
    return single(...a);
  };
  delivery = new Delivery(new MemoryBus(new MemoryBroker()), store, clock);
  for (const id of ['alice', 'bob']) await store.createUser({ id, username: id, passwordHash: null, displayName: null, avatarUrl: null, createdAt: 0 });
  const setup = new Messaging(store, new DomainEvents(), clock, { maxTextLength: 100, maxCustomBodyBytes: 1000 });
  group = (await setup.createGroup('alice', 'g', ['bob'])).id;
});

describe('Session.quick', () => {
  it('moves the cursor of an entry delivered here at once, forward only, without the store or an answer', async () => {
    await connect();
    await deliverOne('a');
    await deliverOne('b');
    const seqs = conn.frames.filter((f) => f.type === 'message').map((f) => (f.type === 'message' ? f.message.seq : 0));
    expect(seqs).toHaveLength(2);
    const sent = conn.frames.length;
    expect(session.quick(ack(seqs[1]!))).toBe(true);
    expect(messaging.cursors.latest('phone', group)).toBe(seqs[1]);
    // An older ack: taken, and the cursor stays where it was.
    expect(session.quick(ack(seqs[0]!))).toBe(true);
    expect(messaging.cursors.latest('phone', group)).toBe(seqs[1]);
    expect(counted).toEqual({ quick: 2, full: ['auth'] });
    expect(conn.frames).toHaveLength(sent);
    expect(storeAcks).toBe(0);
    expect(messaging.cursors.pendingCount).toBe(1);
  });

  it('leaves to the full path an ack with an id, one of an entry not delivered here, and one before auth', async () => {
    const early = new Session(new Recorder(), { clock, authTimeoutMs: 1000 } as unknown as SessionDeps);
    expect(early.quick(decodeClientFrame('{"type":"ack","conversationId":"c1","seq":1}'))).toBe(false);
    await connect();
    await deliverOne('a');
    const last = (conn.frames.at(-1) as Extract<ServerFrame, { type: 'message' }>).message.seq;
    expect(session.quick(ack(last, 7))).toBe(false);
    // Past what was delivered: only the store may say whether it exists, and it does not.
    expect(session.quick(ack(last + 1))).toBe(false);
    expect(session.quick(decodeClientFrame('{"type":"ack","conversationId":"c_other","seq":1}'))).toBe(false);
    expect(session.quick(decodeClientFrame('{"type":"ping","id":2}'))).toBe(false);
    expect(session.quick(decodeClientFrame('{"type":"ack"'))).toBe(false);
    expect(counted.quick).toBe(0);
    expect(messaging.cursors.latest('phone', group)).toBe(0);
    // The full path answers those as it always did.
    await session.handle(ack(last + 1, 8));
    expect(conn.frames.at(-1)).toMatchObject({ type: 'error', id: 8, error: { code: 'invalid_position' } });
    expect(storeAcks).toBe(1);
  });

  it('leaves an ack over the write budget to the full path, which refuses it with rate_limited', async () => {
    // auth takes no token; two writes: two acks are taken, the third is refused.
    await connect(2);
    await deliverOne('a');
    const last = (conn.frames.at(-1) as Extract<ServerFrame, { type: 'message' }>).message.seq;
    expect(session.quick(ack(last))).toBe(true);
    expect(session.quick(ack(last))).toBe(true);
    expect(session.quick(ack(last, 9))).toBe(false);
    expect(session.quick(ack(last))).toBe(false);
    await session.handle(ack(last, 9));
    expect(conn.frames.at(-1)).toMatchObject({ type: 'error', id: 9, error: { code: 'rate_limited' } });
    expect(counted.quick).toBe(2);
  });
});
