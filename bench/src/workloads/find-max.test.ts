import { describe, expect, it } from 'vitest';
import { findMax, type FindMaxOptions, type TrialResult } from './fanout.js';

const options: FindMaxOptions = { startRate: 100, factor: 1.5, maxSteps: 14, refine: 2, p99LimitMs: 100 };

/** A target that keeps up with any rate up to `capacity`, optionally failing some trials once. */
function target(capacity: number, flakyOnce: number[] = []) {
  const calls: number[] = [];
  const flaky = new Set(flakyOnce);
  return {
    calls,
    run: (rate: number): Promise<TrialResult> => {
      calls.push(rate);
      const hiccup = flaky.delete(rate);
      const ok = rate <= capacity && !hiccup;
      return Promise.resolve({
        rate,
        sentPerS: rate,
        deliveredPerS: rate * 20,
        p50Ms: 10,
        p99Ms: ok ? 50 : 150,
        maxMs: ok ? 60 : 200,
        lost: 0,
        duplicated: 0,
        unacked: 0,
        errors: 0,
        held: 0,
        genCpu: 50,
        genLoopP99Ms: 1,
        genLoopMaxMs: 2,
        genGcPct: 1,
        genGcMaxMs: 1,
        lateOver10msPct: 1,
        lateAfterGenStallPct: 0,
        serverCpu: 50,
        serverLoopCpu: 50,
        serverRssMB: 100,
        serverSyscallsPerDelivery: 1,
      });
    },
  };
}

describe('findMax', () => {
  it('finds the highest passing rate to within 11 % of the capacity wherever it falls between steps', async () => {
    for (const capacity of [1000, 1140, 1300, 1480, 1690, 2000, 2250]) {
      const t = target(capacity);
      const { best } = await findMax(t, options, 4, () => {});
      expect(best?.passed).toBe(true);
      expect(best!.rate).toBeLessThanOrEqual(capacity);
      expect(best!.rate).toBeGreaterThan(capacity / 1.11);
    }
  });

  it('runs a failed step again before it ends the climb', async () => {
    // 338 is the fourth step (100, 150, 225, 338): one hiccup there must not stop at 225.
    const t = target(5000, [338]);
    const { best } = await findMax(t, options, 4, () => {});
    expect(t.calls.filter((r) => r === 338)).toHaveLength(2);
    expect(best!.rate).toBeGreaterThan(5000 / 1.11);
  });

  it('steps down when even the first rate fails', async () => {
    const t = target(40);
    const { best } = await findMax(t, options, 4, () => {});
    expect(best?.passed).toBe(true);
    expect(best!.rate).toBeLessThanOrEqual(40);
    expect(best!.rate).toBeGreaterThan(40 / 1.5);
  });
});
