import { afterEach, describe, expect, it } from 'vitest';
import { NO_GAP, WriteCoalescer } from './write-coalescer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Resolves after the current event-loop turn's immediates: where a quiet coalescer flushes. */
const nextTurn = () => new Promise((r) => setImmediate(r));

/** Keeps the event loop busy for `ms`, in slices so timers still run between them. */
async function busyFor(ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const slice = performance.now() + 20;
    while (performance.now() < slice) {
      // spin
    }
    await nextTurn();
  }
}

class Sock {
  flushedAt = 0;
  corkedAt = 0;
  corkGapMs = NO_GAP;
  flushes: number[] = [];
  uncork(): void {
    this.flushes.push(performance.now());
  }
}

let c: WriteCoalescer | null = null;
afterEach(() => {
  c?.close();
  c = null;
});

describe('WriteCoalescer', () => {
  it('on a quiet server writes corked sockets out at the end of the turn, all together', async () => {
    c = new WriteCoalescer(20);
    const a = new Sock();
    const b = new Sock();
    c.add(a);
    c.add(b);
    expect(a.flushes).toEqual([]);
    await nextTurn();
    expect(a.flushes).toHaveLength(1);
    expect(b.flushes).toHaveLength(1);
    // Another turn, another flush straight away: no window while the loop is idle.
    c.add(a);
    await nextTurn();
    expect(a.flushes).toHaveLength(2);
  });

  it('while a window is open, holds the next flush until the window since the last one has passed, and no longer', async () => {
    c = new WriteCoalescer(40, true);
    const a = new Sock();
    c.add(a);
    // The first flush after a quiet window leaves at the end of the turn.
    await nextTurn();
    expect(a.flushes).toHaveLength(1);
    const first = a.flushes[0]!;
    c.add(a);
    await nextTurn();
    expect(a.flushes).toHaveLength(1);
    for (let waited = 0; a.flushes.length < 2 && waited < 2000; waited += 5) await sleep(5);
    expect(a.flushes).toHaveLength(2);
    const gap = a.flushes[1]! - first;
    // Held for the window (timers may fire a millisecond or two early), then written by itself
    // without any further activity; the upper bound only allows for a slow machine.
    expect(gap).toBeGreaterThanOrEqual(35);
    expect(gap).toBeLessThan(500);
  });

  it('while a window is open, holds only sockets written within it: one not written lately leaves at the end of the turn', async () => {
    c = new WriteCoalescer(200, true);
    const busy = new Sock();
    const quiet = new Sock();
    c.add(busy);
    await nextTurn();
    expect(busy.flushes).toHaveLength(1);
    // busy was just written: held. quiet has not been written within the window: nothing to
    // share a syscall with, so no reason to make it wait.
    c.add(busy);
    c.add(quiet);
    await nextTurn();
    expect(quiet.flushes).toHaveLength(1);
    expect(busy.flushes).toHaveLength(1);
    // Now quiet was written too: its next frame waits like busy's, and both leave together.
    c.add(quiet);
    for (let waited = 0; busy.flushes.length < 2 && waited < 3000; waited += 5) await sleep(5);
    expect(busy.flushes).toHaveLength(2);
    expect(quiet.flushes).toHaveLength(2);
    expect(busy.flushes[1]! - busy.flushes[0]!).toBeGreaterThanOrEqual(190);
  });

  it('does not hold a socket that gets frames less often than every half window, even one written within it', async () => {
    c = new WriteCoalescer(200, true);
    const s = new Sock();
    c.add(s);
    await nextTurn();
    expect(s.flushes).toHaveLength(1);
    // A frame every 150 ms or so, as one side of a conversation gets its answers: written 150 ms
    // ago, within the window, but no second frame would come to share the syscall.
    await sleep(150);
    c.add(s);
    await nextTurn();
    expect(s.flushes).toHaveLength(2);
    // Once frames come turn after turn, they wait for the window again.
    for (let i = 0; i < 10; i++) {
      c.add(s);
      await nextTurn();
    }
    expect(s.flushes.length).toBeLessThan(12);
  });

  it('opens the window when the event loop is busy and closes it when it is quiet again', async () => {
    c = new WriteCoalescer(20);
    expect(c.windowMs).toBe(0);
    await busyFor(400);
    expect(c.windowMs).toBeGreaterThan(10);
    expect(c.windowMs).toBeLessThanOrEqual(20);
    await sleep(350);
    expect(c.windowMs).toBe(0);
  });

  it('with a maximum of 0 never holds frames back, however busy', async () => {
    c = new WriteCoalescer(0);
    await busyFor(300);
    expect(c.windowMs).toBe(0);
  });
});
