import { describe, expect, it } from 'vitest';
import { checks } from './report.js';
import type { RunRecord } from './workloads/common.js';

const run = (target: 'natter' | 'ws-floor', rep: number, deliveredPerS: number, findMax: boolean): RunRecord => ({
  workload: 'fanout',
  config: '1000x20',
  target,
  rep,
  deliveredPerS,
  ...(findMax && { steps: 8, maxFound: true }),
});

describe('checks', () => {
  it("judges the fan-out target on the highest rates found, from the median of each repetition's ratio", () => {
    const [c] = checks([run('natter', 1, 80, true), run('ws-floor', 1, 100, true), run('natter', 2, 50, true), run('ws-floor', 2, 100, true), run('natter', 3, 90, true), run('ws-floor', 3, 100, true)]);
    expect(c).toMatchObject({ met: true, detail: '0.80×' });
  });

  it('does not judge it on a fixed rate, where every target delivers what is sent', () => {
    const [c] = checks([run('natter', 1, 60_000, false), run('ws-floor', 1, 60_000, false)]);
    expect(c?.met).toBeNull();
    expect(c?.detail).toContain('needs --find-max');
  });
});
