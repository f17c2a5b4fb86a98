/**
 * FairShare on a moved clock: token buckets that refill, admissions that take from both the
 * user's and the connection's bucket or from neither, and the read gate's limit, round robin
 * and dropping of reads whose asker has gone.
 */
import { describe, expect, it } from 'vitest';
import type { Clock } from './clock.js';
import { FairShare, RequestDropped, TokenBucket, type FairShareLimits } from './fair-share.js';

function movedClock(): Clock & { t: number } {
  const c = { t: 1_000_000, now: () => c.t, setTimeout: () => ({ cancel: () => {} }) };
  return c;
}

const limits: FairShareLimits = {
  userReads: { perSecond: 10, burst: 5 },
  userWrites: { perSecond: 100, burst: 100 },
  connectionReads: { perSecond: 10, burst: 3 },
  connectionWrites: { perSecond: 100, burst: 100 },
  readConcurrency: 1,
};

describe('TokenBucket', () => {
  it('starts full, refills at its rate up to its burst, and says how long until the next token', () => {
    const b = new TokenBucket({ perSecond: 4, burst: 2 }, 0);
    expect(b.waitMs(0)).toBe(0);
    b.take();
    b.take();
    expect(b.waitMs(0)).toBe(250);
    expect(b.waitMs(125)).toBe(125);
    expect(b.waitMs(250)).toBe(0);
    expect(b.isFull(10_000)).toBe(true);
    expect(b.waitMs(10_000)).toBe(0);
  });
});

describe('FairShare.admit', () => {
  it('refuses with rate_limited and retryAfterMs once the connection’s bucket is empty, taking nothing', () => {
    const clock = movedClock();
    const f = new FairShare(clock, limits);
    const conn = f.newConnectionBudget();
    for (let i = 0; i < 3; i++) f.admit('u', 'read', conn);
    let err: unknown;
    try {
      f.admit('u', 'read', conn);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'rate_limited', details: { retryAfterMs: 100 } });
    // The refusal took nothing from the user's bucket: another connection still gets the last two.
    const other = f.newConnectionBudget();
    f.admit('u', 'read', other);
    f.admit('u', 'read', other);
    expect(() => f.admit('u', 'read', other)).toThrow(/too many reads/);
    // Writes have their own budget; other users theirs.
    f.admit('u', 'write', conn);
    f.admit('v', 'read', null);
    clock.t += 100;
    f.admit('u', 'read', other);
  });

  it('HTTP requests (no connection) spend the same per-user bucket', () => {
    const f = new FairShare(movedClock(), limits);
    for (let i = 0; i < 5; i++) f.admit('u', 'read', null);
    expect(() => f.admit('u', 'read', f.newConnectionBudget())).toThrow(/too many reads/);
  });
});

describe('FairShare.read', () => {
  const deferred = () => {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    return { promise, resolve };
  };

  it('runs readConcurrency reads at once, users in turn, and drops reads no longer wanted before they start', async () => {
    const f = new FairShare(movedClock(), limits);
    const order: string[] = [];
    const gates: (() => void)[] = [];
    const run = (user: string, tag: string, wanted = () => true) =>
      f.read(user, wanted, () => {
        order.push(tag);
        const d = deferred();
        gates.push(d.resolve);
        return d.promise.then(() => tag);
      });
    let bystanderGone = false;
    const results = [
      run('attacker', 'a1'),
      run('attacker', 'a2'),
      run('attacker', 'a3'),
      run('bystander', 'b1'),
    ];
    const dropped = run('gone', 'g1', () => !bystanderGone).catch((e: unknown) => e);
    bystanderGone = true;
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['a1']);
    expect(f.queuedReads).toBe(4);
    // Each finished read lets the next user in line go: the bystander waits for one read, not three.
    for (let i = 0; i < 4; i++) {
      gates.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    expect(order).toEqual(['a1', 'a2', 'b1', 'a3']);
    expect(await dropped).toBeInstanceOf(RequestDropped);
    expect(await Promise.all(results)).toEqual(['a1', 'a2', 'a3', 'b1']);
    expect(f.queuedReads).toBe(0);
  });
});
