/**
 * The Bus contract: one vitest suite that every Bus backend runs (memory, Redis and NATS),
 * checking the guarantees documented in @natter/server's bus/bus.ts with two processes' buses on
 * one backend.
 *
 * It never sleeps. To show that something was NOT delivered, the publisher sends a marker on a
 * barrier topic afterwards and the suite waits for the marker: a bus keeps one publisher's
 * order across topics, so once the marker is in, anything sent before it is in or never will be.
 *
 * @example
 * runBusContract('memory', async () => {
 *   const broker = new MemoryBroker();
 *   const a = broker.attach();
 *   const b = broker.attach();
 *   return { a, b, cleanup: async () => { await a.close(); await b.close(); } };
 * });
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Bus } from '@natter/server';

export interface BusPair {
  /** Two processes' buses on the same backend, each fresh, with no subscriptions. */
  a: Bus;
  b: Bus;
  /** Closes both buses (the suite may have closed one already) and whatever backs them. */
  cleanup(): Promise<void>;
}

type Side = 'a' | 'b';
type Delivery = [topic: string, payload: string];

const WAIT = { timeout: 5_000, interval: 2 };

/** Registers the Bus contract suite; `createPair` is called for a fresh pair per test. */
export function runBusContract(name: string, createPair: () => Promise<BusPair>): void {
  describe(`Bus contract: ${name}`, () => {
    let pair: BusPair;
    let run: string;
    /** What each side's handler received, barrier markers left out. */
    let got: Record<Side, Delivery[]>;
    let markers: Record<Side, string[]>;
    let markerCount = 0;

    /** Topics are unique per test so a shared backend (one Redis for all tests) cannot leak. */
    const topic = (s: string) => `contract:${run}:${s}`;
    const barrier = () => topic('barrier');
    const bus = (side: Side) => pair[side];

    function record(side: Side) {
      return (t: string, payload: string) => {
        if (t === barrier()) markers[side].push(payload);
        else got[side].push([t, payload]);
      };
    }

    /** Resolves once everything `from` published before now has reached `to`, or never will. */
    async function settle(from: Side, to: Side): Promise<void> {
      const marker = `marker-${++markerCount}`;
      await bus(from).publish(barrier(), marker);
      await vi.waitFor(() => expect(markers[to]).toContain(marker), WAIT);
    }

    const until = (side: Side, count: number) =>
      vi.waitFor(() => expect(got[side].length).toBeGreaterThanOrEqual(count), WAIT);

    const payloads = (side: Side, t?: string) =>
      got[side].filter(([topic]) => t === undefined || topic === t).map(([, p]) => p);

    beforeEach(async () => {
      run = randomUUID();
      got = { a: [], b: [] };
      markers = { a: [], b: [] };
      pair = await createPair();
      pair.a.onMessage(record('a'));
      pair.b.onMessage(record('b'));
      await pair.a.subscribe(barrier());
      await pair.b.subscribe(barrier());
    });
    afterEach(async () => {
      await pair.cleanup();
    });

    it('delivers a publish to a subscribed other process, payload intact', async () => {
      const t = topic('t');
      await pair.b.subscribe(t);
      const odd = JSON.stringify({ text: 'héllo 👋\nline two', quote: '"\\' });
      const big = 'x'.repeat(256 * 1024);
      await pair.a.publish(t, 'hello');
      await pair.a.publish(t, odd);
      await pair.a.publish(t, '');
      await pair.a.publish(t, big);
      await until('b', 4);
      expect(got.b).toEqual([
        [t, 'hello'],
        [t, odd],
        [t, ''],
        [t, big],
      ]);
    });

    it('delivers to the publishing process too when it is subscribed', async () => {
      const t = topic('t');
      await pair.a.subscribe(t);
      await pair.b.subscribe(t);
      await pair.a.publish(t, 'to all');
      await until('a', 1);
      await until('b', 1);
      expect(got.a).toEqual([[t, 'to all']]);
      expect(got.b).toEqual([[t, 'to all']]);
    });

    it('does not deliver to a process that did not subscribe', async () => {
      const t = topic('t');
      await pair.a.subscribe(t);
      await pair.a.publish(t, 'only a');
      await settle('a', 'b');
      expect(got.b).toEqual([]);
      expect(got.a).toEqual([[t, 'only a']]);
    });

    it('delivers only the topics a process subscribed to', async () => {
      const [t1, t2, t3] = [topic('t1'), topic('t2'), topic('t3')];
      await pair.b.subscribe(t1);
      await pair.b.subscribe(t3);
      for (const t of [t2, t1, t2, t3, t2]) await pair.a.publish(t, `on ${t}`);
      await settle('a', 'b');
      expect(got.b).toEqual([
        [t1, `on ${t1}`],
        [t3, `on ${t3}`],
      ]);
    });

    it('stops delivering a topic after unsubscribe, and resumes after subscribing again', async () => {
      const t = topic('t');
      await pair.b.subscribe(t);
      await pair.a.publish(t, '1');
      await until('b', 1);
      await pair.b.unsubscribe(t);
      await pair.a.publish(t, '2');
      await settle('a', 'b');
      expect(payloads('b')).toEqual(['1']);
      await pair.b.subscribe(t);
      await pair.a.publish(t, '3');
      await settle('a', 'b');
      expect(payloads('b')).toEqual(['1', '3']);
    });

    it('one process unsubscribing does not affect another', async () => {
      const t = topic('t');
      await pair.a.subscribe(t);
      await pair.b.subscribe(t);
      await pair.b.unsubscribe(t);
      await pair.b.publish(t, 'from b');
      await settle('b', 'a');
      expect(got.a).toEqual([[t, 'from b']]);
      expect(got.b).toEqual([]);
    });

    it('subscribe is idempotent: one copy per publish, and one unsubscribe ends it', async () => {
      const t = topic('t');
      await pair.b.subscribe(t);
      await pair.b.subscribe(t);
      await Promise.all([pair.b.subscribe(t), pair.b.subscribe(t)]);
      await pair.a.publish(t, 'once');
      await settle('a', 'b');
      expect(got.b).toEqual([[t, 'once']]);
      await pair.b.unsubscribe(t);
      await pair.a.publish(t, 'gone');
      await settle('a', 'b');
      expect(got.b).toEqual([[t, 'once']]);
    });

    it('unsubscribe is idempotent, also for topics never subscribed', async () => {
      const t = topic('t');
      await pair.b.unsubscribe(topic('never'));
      await pair.b.subscribe(t);
      await pair.b.unsubscribe(t);
      await pair.b.unsubscribe(t);
      await pair.a.publish(t, 'nobody');
      await settle('a', 'b');
      expect(got.b).toEqual([]);
      await pair.b.subscribe(t);
      await pair.a.publish(t, 'back');
      await settle('a', 'b');
      expect(got.b).toEqual([[t, 'back']]);
    });

    it('keeps one publisher’s order over many messages', async () => {
      const t = topic('t');
      await pair.b.subscribe(t);
      const sent = Array.from({ length: 1000 }, (_, i) => `m${i}`);
      for (const p of sent) await pair.a.publish(t, p);
      await until('b', sent.length);
      expect(payloads('b')).toEqual(sent);
    });

    it('keeps one publisher’s order when publishes are not awaited one by one', async () => {
      const t = topic('t');
      await pair.b.subscribe(t);
      const sent = Array.from({ length: 1000 }, (_, i) => `m${i}`);
      await Promise.all(sent.map((p) => pair.a.publish(t, p)));
      await until('b', sent.length);
      expect(payloads('b')).toEqual(sent);
    });

    it('keeps one publisher’s order across topics', async () => {
      const topics = [topic('t0'), topic('t1'), topic('t2')];
      for (const t of topics) await pair.b.subscribe(t);
      const sent: Delivery[] = Array.from({ length: 600 }, (_, i) => [topics[(i * 7) % 3]!, `m${i}`]);
      for (const [t, p] of sent) await pair.a.publish(t, p);
      await until('b', sent.length);
      expect(got.b).toEqual(sent);
    });

    it('keeps each publisher’s order when both publish to one topic', async () => {
      const t = topic('t');
      await pair.a.subscribe(t);
      await pair.b.subscribe(t);
      const fromA = Array.from({ length: 200 }, (_, i) => `a${i}`);
      const fromB = Array.from({ length: 200 }, (_, i) => `b${i}`);
      await Promise.all([
        (async () => {
          for (const p of fromA) await pair.a.publish(t, p);
        })(),
        (async () => {
          for (const p of fromB) await pair.b.publish(t, p);
        })(),
      ]);
      await until('a', 400);
      await until('b', 400);
      for (const side of ['a', 'b'] as const) {
        expect(payloads(side).filter((p) => p.startsWith('a'))).toEqual(fromA);
        expect(payloads(side).filter((p) => p.startsWith('b'))).toEqual(fromB);
      }
    });

    it('keeps publish order when a handler publishes while a payload is being delivered', async () => {
      // A handler that reacts by publishing (a node forwarding what it hears) must not let its
      // second payload overtake the first at the other subscribers.
      const t = topic('t');
      await pair.a.subscribe(t);
      await pair.b.subscribe(t);
      const onA = record('a');
      pair.a.onMessage((topic, payload) => {
        onA(topic, payload);
        if (topic === t && payload === 'first') void pair.a.publish(t, 'second');
      });
      await pair.a.publish(t, 'first');
      await until('b', 2);
      expect(payloads('b')).toEqual(['first', 'second']);
      expect(payloads('a')).toEqual(['first', 'second']);
    });

    it('stops delivering to a closed process', async () => {
      const t = topic('t');
      await pair.a.subscribe(t);
      await pair.b.subscribe(t);
      await pair.a.publish(t, 'before');
      await until('b', 1);
      await pair.b.close();
      await pair.a.publish(t, 'after');
      // b can no longer take a marker, so a's own copy of the next payload is the barrier.
      await pair.a.publish(t, 'after, too');
      await until('a', 3);
      expect(payloads('a')).toEqual(['before', 'after', 'after, too']);
      expect(payloads('b')).toEqual(['before']);
    });
  });
}
