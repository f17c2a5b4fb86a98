/**
 * The Ephemeral contract: one vitest suite that every Ephemeral backend runs (memory, Redis and
 * NATS), checking what @natter/server's ephemeral/ephemeral.ts promises with two instances (two
 * processes) on one backend, plus a third under another prefix.
 *
 * Expiry is checked on one timeline per backend with a TTL unit of one second: the memory backend
 * moves its injected clock, the networked ones really wait (under two seconds in all). Every check
 * on the timeline is a quarter of a unit away from any expiry, so latency cannot flip a result.
 *
 * @example
 * runEphemeralContract('memory', async () => {
 *   const clock = new ManualClock();
 *   const space = new MemoryEphemeralSpace(clock);
 *   return { open: async (prefix) => space.attach({ prefix }), time: clock, cleanup: async () => {} };
 * });
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EphemeralUnavailableError, MAX_TTL_MS, type Ephemeral } from '@natter/server';

export interface EphemeralHarness {
  /** Opens an instance (one process) with this prefix on the backend shared by the test. */
  open(prefix: string): Promise<Ephemeral>;
  /** The backend's notion of time: a manual clock, or real time (`advance` sleeps). */
  time: { now(): number; advance(ms: number): Promise<void> | void };
  /** Closes every instance opened (the test may have closed some) and whatever backs them. */
  cleanup(): Promise<void>;
}

/** The TTL unit of the expiry timeline. */
const U = 1000;
/** TTL of entries that must not expire during a test. */
const LONG = 60_000;

/** Registers the Ephemeral contract suite; `createHarness` is called for a fresh harness per test. */
export function runEphemeralContract(name: string, createHarness: () => Promise<EphemeralHarness>): void {
  describe(`Ephemeral contract: ${name}`, () => {
    let harness: EphemeralHarness;
    /** Two processes on one prefix, and one on another prefix. */
    let a: Ephemeral;
    let b: Ephemeral;
    let other: Ephemeral;

    beforeEach(async () => {
      harness = await createHarness();
      const prefix = `t-${randomUUID()}`;
      a = await harness.open(prefix);
      b = await harness.open(prefix);
      other = await harness.open(`o-${randomUUID()}`);
    });
    afterEach(async () => {
      await harness.cleanup();
    });

    const sorted = (xs: string[]) => [...xs].sort();

    it('stores, replaces and deletes values, any characters intact', async () => {
      const odd = ['', 'a.b', '*', '>', 'c:x y', 'héllo 👋', 'line\nbreak', 'x'.repeat(300), 'k/=_-'];
      for (const key of odd) await a.set(key, `v:${key}`, LONG);
      for (const key of odd) expect(await a.get(key)).toBe(`v:${key}`);
      const values = ['', JSON.stringify({ q: '"\\', e: 'é' }), 'y'.repeat(64 * 1024)];
      for (const v of values) {
        await a.set('k', v, LONG);
        expect(await a.get('k')).toBe(v);
      }
      expect(await a.get('missing')).toBeNull();
      await a.delete('k');
      expect(await a.get('k')).toBeNull();
      await a.delete('k');
      await a.delete('never set');
      expect(await a.get('a.b')).toBe('v:a.b');
    });

    it('adds, refreshes and removes set members, each once', async () => {
      const odd = ['d1', '', 'p1/d.2', '*', 'é 👋', '__proto__', 'constructor'];
      for (const m of odd) await a.addMember('s', m, LONG);
      await a.addMember('s', 'd1', LONG);
      expect(sorted(await a.members('s'))).toEqual(sorted(odd));
      await a.removeMember('s', 'd1');
      await a.removeMember('s', 'd1');
      await a.removeMember('s', 'never added');
      await a.removeMember('no such set', 'x');
      expect(sorted(await a.members('s'))).toEqual(sorted(odd.filter((m) => m !== 'd1')));
      for (const m of odd) await a.removeMember('s', m);
      expect(await a.members('s')).toEqual([]);
      expect(await a.members('no such set')).toEqual([]);
      await a.addMember('s', 'back', LONG);
      expect(await a.members('s')).toEqual(['back']);
    });

    it('counts increments in a window, by any positive amount', async () => {
      const first = await a.increment('c', 1, LONG);
      expect(first.count).toBe(1);
      expect(first.resetInMs).toBeGreaterThan(LONG - 5_000);
      expect(first.resetInMs).toBeLessThanOrEqual(LONG);
      expect((await a.increment('c', 1, LONG)).count).toBe(2);
      expect((await a.increment('c', 5, LONG)).count).toBe(7);
      expect((await a.increment('c2', 3, LONG)).count).toBe(3);
      expect((await a.increment('c', 1, LONG)).count).toBe(8);
    });

    it('keeps values, sets and counters of one name apart', async () => {
      await a.set('same', 'value', LONG);
      await a.addMember('same', 'member', LONG);
      expect((await a.increment('same', 2, LONG)).count).toBe(2);
      expect(await a.get('same')).toBe('value');
      expect(await a.members('same')).toEqual(['member']);
      await a.delete('same');
      expect(await a.members('same')).toEqual(['member']);
      expect((await a.increment('same', 1, LONG)).count).toBe(3);
    });

    it('rejects TTLs, windows and increments outside the documented range', async () => {
      for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, MAX_TTL_MS + 1]) {
        await expect(a.set('k', 'v', bad)).rejects.toBeInstanceOf(RangeError);
        await expect(a.addMember('s', 'm', bad)).rejects.toBeInstanceOf(RangeError);
        await expect(a.increment('c', 1, bad)).rejects.toBeInstanceOf(RangeError);
      }
      for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 53]) {
        await expect(a.increment('c', bad, LONG)).rejects.toBeInstanceOf(RangeError);
      }
      await a.set('k', 'v', MAX_TTL_MS);
      expect(await a.get('k')).toBe('v');
      await a.delete('k'); // not left in a shared Redis for a day
      expect(await a.get('never')).toBeNull();
      expect(await a.members('s')).toEqual([]);
      expect((await a.increment('c', 1, LONG)).count).toBe(1);
    });

    it('shows one process what another wrote, and lets it undo it', async () => {
      await a.set('k', 'from a', LONG);
      expect(await b.get('k')).toBe('from a');
      await b.set('k', 'from b', LONG);
      expect(await a.get('k')).toBe('from b');
      await b.delete('k');
      expect(await a.get('k')).toBeNull();

      await a.addMember('online:u1', 'p1/d1', LONG);
      await b.addMember('online:u1', 'p2/d2', LONG);
      expect(sorted(await a.members('online:u1'))).toEqual(['p1/d1', 'p2/d2']);
      await b.removeMember('online:u1', 'p1/d1');
      expect(await a.members('online:u1')).toEqual(['p2/d2']);

      expect((await a.increment('login:ip', 1, LONG)).count).toBe(1);
      expect((await b.increment('login:ip', 1, LONG)).count).toBe(2);
      expect((await a.increment('login:ip', 1, LONG)).count).toBe(3);
    });

    it('gives 200 concurrent increments from two processes the counts 1..200, each once', async () => {
      const calls = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).increment('hot', 1, LONG));
      const counts = (await Promise.all(calls)).map((r) => r.count);
      expect([...counts].sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      expect((await b.increment('hot', 1, LONG)).count).toBe(201);
    });

    it('loses no member to concurrent adds and removes on one set from two processes', async () => {
      const members = Array.from({ length: 60 }, (_, i) => `m${i}`);
      await Promise.all(members.map((m, i) => (i % 2 === 0 ? a : b).addMember('busy', m, LONG)));
      expect(sorted(await a.members('busy'))).toEqual(sorted(members));
      // Half leave while the other half refresh, all at once.
      await Promise.all(
        members.map((m, i) =>
          i % 3 === 0
            ? (i % 2 === 0 ? b : a).removeMember('busy', m)
            : (i % 2 === 0 ? a : b).addMember('busy', m, LONG),
        ),
      );
      expect(sorted(await b.members('busy'))).toEqual(sorted(members.filter((_, i) => i % 3 !== 0)));
    });

    it('keeps prefixes apart', async () => {
      await a.set('k', 'a', LONG);
      await other.set('k', 'other', LONG);
      expect(await a.get('k')).toBe('a');
      expect(await other.get('k')).toBe('other');
      await other.delete('k');
      expect(await b.get('k')).toBe('a');

      await a.addMember('s', 'in a', LONG);
      expect(await other.members('s')).toEqual([]);
      await other.addMember('s', 'in other', LONG);
      await other.removeMember('s', 'in a');
      expect(await b.members('s')).toEqual(['in a']);

      expect((await a.increment('c', 5, LONG)).count).toBe(5);
      expect((await other.increment('c', 1, LONG)).count).toBe(1);
      expect((await b.increment('c', 1, LONG)).count).toBe(6);
    });

    it('expires values, members and counter windows after their TTL, refreshes included', async () => {
      const t0 = harness.time.now();
      const at = async (t: number) => {
        const wait = t0 + t - harness.time.now();
        expect(wait, 'the timeline fell behind: the backend is too slow').toBeGreaterThan(0);
        await harness.time.advance(wait);
      };
      // t = 0
      await a.set('x1', '1', U);
      await a.set('x2', '2', 2 * U);
      await a.set('r', 'refreshed', U);
      await a.set('shortened', 's', 2 * U);
      await a.addMember('s', 'm1', U);
      await a.addMember('s', 'm2', 2 * U);
      await b.addMember('s', 'm3', U);
      await a.addMember('s', 'm4', 2 * U);
      expect((await a.increment('c', 1, U)).count).toBe(1);
      const windowEndsBy = harness.time.now() + U;
      expect(sorted(await b.members('s'))).toEqual(['m1', 'm2', 'm3', 'm4']);

      await at(U / 2);
      await b.set('r', 'refreshed', U); // now until 1.5 U
      await a.set('shortened', 's', U / 2); // now until U: a refresh may shorten
      await a.addMember('s', 'm3', U); // now until 1.5 U
      await b.addMember('s', 'm4', U / 2); // now until U
      const left = windowEndsBy - harness.time.now();
      const second = await b.increment('c', 1, U); // the window stays [0, U)
      expect(second.count).toBe(2);
      // 2 ms for the backend's clock and rounding; a window started again would show about U.
      expect(second.resetInMs).toBeLessThanOrEqual(left + 2);
      expect(second.resetInMs).toBeGreaterThan(U / 4);
      expect(await a.get('x1')).toBe('1');

      await at(1.25 * U);
      expect(await b.get('x1')).toBeNull();
      expect(await b.get('x2')).toBe('2');
      expect(await b.get('r')).toBe('refreshed');
      expect(await b.get('shortened')).toBeNull();
      expect(sorted(await b.members('s'))).toEqual(['m2', 'm3']);
      const fresh = await a.increment('c', 1, U); // a new window, [1.25 U, 2.25 U)
      expect(fresh.count).toBe(1);
      expect(fresh.resetInMs).toBeGreaterThan(0.75 * U);

      await at(1.75 * U);
      expect(await a.get('r')).toBeNull();
      expect(await a.get('x2')).toBe('2');
      expect(await a.members('s')).toEqual(['m2']);
      expect((await b.increment('c', 1, U)).count).toBe(2);
      // A member that expired can come back.
      await b.addMember('s', 'm1', U);
      expect(sorted(await a.members('s'))).toEqual(['m1', 'm2']);
    });

    it('closes: later calls reject as unavailable, other processes and the entries carry on', async () => {
      await a.set('k', 'kept', LONG);
      await a.addMember('s', 'a', LONG);
      await a.close();
      await a.close();
      const calls: (() => Promise<unknown>)[] = [
        () => a.set('k', 'v', LONG),
        () => a.get('k'),
        () => a.delete('k'),
        () => a.addMember('s', 'm', LONG),
        () => a.removeMember('s', 'm'),
        () => a.members('s'),
        () => a.increment('c', 1, LONG),
      ];
      for (const call of calls) await expect(call()).rejects.toBeInstanceOf(EphemeralUnavailableError);
      await expect(a.get('k')).rejects.toMatchObject({ code: 'unavailable' });
      expect(await b.get('k')).toBe('kept');
      expect(await b.members('s')).toEqual(['a']);
      await b.set('k', 'still works', LONG);
      expect(await b.get('k')).toBe('still works');
    });
  });
}
