/**
 * MemoryEphemeral on a manual clock: the exact expiry boundaries and the sweep that only a manual
 * clock can show. The Ephemeral contract it passes runs in @natter/testkit (contracts/).
 */
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../core/clock.js';
import { MemoryEphemeral, MemoryEphemeralSpace } from './memory-ephemeral.js';

/** A clock the test moves by hand; its timers fire as it passes their time. */
class ManualClock implements Clock {
  private t = Date.UTC(2030, 0, 1);
  private timers: { at: number; fn: () => void }[] = [];

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): { cancel(): void } {
    const timer = { at: this.t + ms, fn };
    this.timers.push(timer);
    return { cancel: () => (this.timers = this.timers.filter((x) => x !== timer)) };
  }

  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = this.timers.filter((x) => x.at <= end).sort((x, y) => x.at - y.at)[0];
      if (!next) break;
      this.timers = this.timers.filter((x) => x !== next);
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }

  pending(): number {
    return this.timers.length;
  }
}

describe('MemoryEphemeral on a manual clock', () => {
  it('keeps an entry until exactly its TTL has elapsed', async () => {
    const clock = new ManualClock();
    const eph = new MemoryEphemeralSpace(clock).attach();
    await eph.set('k', 'v', 100);
    await eph.addMember('s', 'm', 100);
    expect((await eph.increment('c', 1, 100)).resetInMs).toBe(100);
    clock.advance(99);
    expect(await eph.get('k')).toBe('v');
    expect(await eph.members('s')).toEqual(['m']);
    expect(await eph.increment('c', 1, 100)).toEqual({ count: 2, resetInMs: 1 });
    clock.advance(1);
    expect(await eph.get('k')).toBeNull();
    expect(await eph.members('s')).toEqual([]);
    expect(await eph.increment('c', 1, 100)).toEqual({ count: 1, resetInMs: 100 });
  });

  it('reclaims expired entries nobody reads again, and stops sweeping when empty', async () => {
    const clock = new ManualClock();
    const space = new MemoryEphemeralSpace(clock);
    const eph = space.attach();
    for (let i = 0; i < 100; i++) {
      await eph.set(`k${i}`, 'v', 1000);
      await eph.addMember(`s${i % 10}`, `m${i}`, 1000);
      await eph.increment(`c${i}`, 1, 1000);
    }
    await eph.set('long', 'v', 60_000);
    expect(space.size()).toBe(301);
    expect(clock.pending()).toBe(1);
    clock.advance(10_000);
    expect(space.size()).toBe(1);
    clock.advance(60_000);
    expect(space.size()).toBe(0);
    expect(clock.pending()).toBe(0);
    expect(await eph.get('long')).toBeNull();
  });

  it('a set of one member (kept without a Map) grows, expires per member and shrinks like any set', async () => {
    const clock = new ManualClock();
    const space = new MemoryEphemeralSpace(clock);
    const eph = space.attach();
    await eph.addMember('s', 'a', 100);
    await eph.addMember('s', 'a', 300);
    expect(space.size()).toBe(1);
    await eph.removeMember('s', 'b');
    expect(await eph.members('s')).toEqual(['a']);
    await eph.addMember('s', 'b', 100);
    expect((await eph.members('s')).sort()).toEqual(['a', 'b']);
    clock.advance(100);
    // b's own TTL ran out; a's refresh to 300 still holds.
    expect(await eph.members('s')).toEqual(['a']);
    clock.advance(200);
    expect(await eph.members('s')).toEqual([]);
    expect(space.size()).toBe(0);
    await eph.addMember('s', 'a', 100);
    await eph.removeMember('s', 'a');
    expect(await eph.members('s')).toEqual([]);
    expect(space.size()).toBe(0);
  });

  it('works alone on the system clock', async () => {
    const eph = new MemoryEphemeral();
    await eph.set('k', 'v', 1000);
    expect(await eph.get('k')).toBe('v');
    await eph.close();
  });

  it('refuses a prefix that is not one token', () => {
    const space = new MemoryEphemeralSpace();
    for (const bad of ['', 'a:b', 'a.b', 'x'.repeat(65), 'é'])
      expect(() => space.attach({ prefix: bad })).toThrow(/prefix/);
  });
});
