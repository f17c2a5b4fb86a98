/**
 * Micro-benchmark of what the server does with one `ack` frame once the socket has read it:
 * decode, then the full request path (Session.handle: a promise per frame, the timing and the
 * frame's histogram) or the spot path (Session.quick, issue 17), on the real Session, Delivery and
 * Messaging over the MemoryStore. Each ack moves the cursor forward (an entry delivered to the
 * device), as the SDK's do. Prints µs of CPU per ack for each path, in alternating rounds.
 * The socket's own cost (ws reading the frame, the read syscall) is not in it: the bench's
 * ws-floor-acks target measures that.
 *
 *   node bench/dist/micro/ack.js [acks=20000] [rounds=10]
 */
import { decodeClientFrame } from '@natter/protocol';
import {
  ConnectionCaps,
  DEFAULT_FAIR_SHARE,
  Delivery,
  DomainEvents,
  FairShare,
  MemoryBroker,
  MemoryBus,
  MemoryStore,
  Messaging,
  Session,
  type Connection,
  type SessionDeps,
} from '@natter/server';
import { Counter, Histogram, Registry } from 'prom-client';

const acks = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 10);
const clock = { now: () => Date.now(), setTimeout: () => ({ cancel: () => {} }) };
const store = new MemoryStore();
for (const id of ['alice', 'bob']) await store.createUser({ id, username: id, passwordHash: null, displayName: null, avatarUrl: null, createdAt: 0 });
const events = new DomainEvents();
const delivery = new Delivery(new MemoryBus(new MemoryBroker()), store, clock);
events.subscribe((e) => delivery.publish(e));
// No budget in the way: the refusal path is not what is measured.
const unlimited = { perSecond: 1e9, burst: 1e9 };
const fairShare = new FairShare(clock, { ...DEFAULT_FAIR_SHARE, userWrites: unlimited, connectionWrites: unlimited });
const messaging = new Messaging(store, events, clock, { maxTextLength: 100, maxCustomBodyBytes: 1000 }, fairShare);
const group = (await messaging.createGroup('alice', 'g', ['bob'])).id;

// The server's own hooks (server.ts): a labelled counter and histogram per frame type, a plain count for quick acks.
const registry = new Registry();
const framesIn = new Counter({ name: 'f', help: 'f', labelNames: ['type'], registers: [registry] });
const latency = new Histogram({ name: 'l', help: 'l', labelNames: ['type'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [registry] });
const children = new Map<string, { count: { inc(): void }; latency: { observe(v: number): void } }>();
let quickAcks = 0;
const conn: Connection = { send: () => {}, close: () => {} };
const session = new Session(conn, {
  accounts: { authenticate: async () => ({ userId: 'bob', deviceId: 'phone' }) },
  messaging,
  delivery,
  clock,
  authTimeoutMs: 10_000,
  heartbeatSeconds: 25,
  userConnections: new ConnectionCaps(0),
  hooks: {
    onFrame(type: string, code: string | null, ms: number) {
      let m = children.get(type);
      if (!m) children.set(type, (m = { count: framesIn.labels({ type }), latency: latency.labels({ type }) }));
      m.count.inc();
      m.latency.observe(ms / 1000);
      void code;
    },
    onError: () => {},
    onQuickFrame: () => quickAcks++,
  },
  presence: { connected: async () => {} },
} as unknown as SessionDeps);
await session.handle(decodeClientFrame('{"type":"auth","id":1,"token":"t"}'));

// Entries delivered to bob's connection: every ack below is of one of them, each further than the last.
const total = acks * rounds * 2;
for (let i = 0; i < total; i += 500) {
  await Promise.all(
    Array.from({ length: Math.min(500, total - i) }, (_, k) =>
      messaging.send('alice', { type: 'send', conversationId: group, clientMsgId: `k${i + k}`, msgType: 'text', body: { text: 'hi' } }),
    ),
  );
}
await new Promise((r) => setImmediate(r));

let seq = 0;
const text = () => `{"type":"ack","conversationId":"${group}","seq":${++seq}}`;
const us = { full: 0, quick: 0 };
for (let r = 0; r < rounds; r++) {
  const a = process.cpuUsage();
  // As the transport did before: a promise per frame, counted in flight until it settles.
  let inFlight = 0;
  const pending: Promise<void>[] = [];
  for (let i = 0; i < acks; i++) {
    inFlight++;
    pending.push(session.handle(decodeClientFrame(text())).finally(() => inFlight--));
  }
  await Promise.all(pending);
  const b = process.cpuUsage(a);
  us.full += b.user + b.system;
  const c = process.cpuUsage();
  for (let i = 0; i < acks; i++) if (!session.quick(decodeClientFrame(text()))) throw new Error('an ack took the full path');
  const d = process.cpuUsage(c);
  us.quick += d.user + d.system;
}
if (messaging.cursors.latest('phone', group) !== seq || quickAcks !== acks * rounds) throw new Error('acks were lost');
const n = acks * rounds;
console.log(JSON.stringify({ acks: n, fullUsPerAck: Math.round((100 * us.full) / n) / 100, quickUsPerAck: Math.round((100 * us.quick) / n) / 100 }));
