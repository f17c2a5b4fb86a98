import { describe, expect, it } from 'vitest';
import { checks, limitedBy, markdown } from './report.js';
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

describe('limitedBy', () => {
  it('names the full core: the generator, the event loop, the SQLite thread', () => {
    expect(limitedBy({ genCpu: 96, serverCpu: 90, serverLoopCpu: 70, sqliteThreadBusy: 8 }, 2)).toBe('generator');
    expect(limitedBy({ genCpu: 99, serverCpu: 93, serverLoopCpu: 92 }, 2)).toBe('generator + server event loop');
    expect(limitedBy({ genCpu: 40, serverCpu: 120, serverLoopCpu: 60, sqliteThreadBusy: 95 }, 2)).toBe('SQLite thread');
  });

  it('says when no core was full (the round trip limits) or only the machine as a whole was', () => {
    expect(limitedBy({ genCpu: 45, serverCpu: 114, serverLoopCpu: 70, sqliteThreadBusy: 44 }, 2)).toBe('latency (no core full)');
    expect(limitedBy({ genCpu: 85, serverCpu: 100, serverLoopCpu: 80, sqliteThreadBusy: 15 }, 2)).toBe('both cores');
    expect(limitedBy({ genCpu: 85, serverCpu: 100, serverLoopCpu: 80, sqliteThreadBusy: 15 }, 4)).toBe('latency (no core full)');
  });

  it("is a column of the fan-out and direct tables, from each target's medians", () => {
    const rec = (target: 'natter' | 'ws-floor', rep: number, genCpu: number, serverLoopCpu: number): RunRecord => ({
      workload: 'direct',
      config: '100',
      target,
      rep,
      roundTripsPerS: 1000,
      genCpu,
      serverCpu: serverLoopCpu,
      serverLoopCpu,
    });
    const md = markdown([rec('natter', 1, 40, 95), rec('ws-floor', 1, 99, 70), rec('natter', 2, 42, 93), rec('ws-floor', 2, 98, 75)], 2);
    expect(md).toMatch(/\| limited by \|/);
    expect(md).toMatch(/\| natter \|.*\| server event loop \|/);
    expect(md).toMatch(/\| ws-floor \|.*\| generator \|/);
  });
});

describe('CPU per unit of work (issue 17)', () => {
  const fan = (target: 'natter' | 'ws-floor' | 'socketio', rep: number, serverCpu: number, p99Ms: number): RunRecord => ({
    workload: 'fanout',
    config: '2000x200',
    target,
    rep,
    deliveredPerS: 20_000,
    serverCpu,
    p99Ms,
    ...(target === 'natter' && { acks: 'like the SDK' }),
  });

  it('derives µs per delivery from server CPU and deliveries, and judges it against 1.5× the floor', () => {
    // 40 % of a core over 20,000 deliveries/s is 20 µs each; the floor's 32 % is 16 µs.
    const records = [fan('natter', 1, 40, 9), fan('ws-floor', 1, 32, 8), fan('socketio', 1, 39, 30)];
    const cs = checks(records);
    expect(cs.find((c) => c.what.includes('CPU per delivery'))).toMatchObject({ met: true, detail: '1.25×' });
    expect(cs.find((c) => c.what.includes("p99 ≤ Socket.IO's"))).toMatchObject({ met: true });
    const md = markdown(records, 2);
    expect(md).toMatch(/server CPU µs per delivery/);
    expect(md).toMatch(/\| natter \|.*\| 20 \|/);
    expect(md).toMatch(/Natter clients ack: like the SDK/);
  });

  it('misses when the CPU per delivery is above 1.5× the floor', () => {
    const cs = checks([fan('natter', 1, 131, 313), fan('ws-floor', 1, 32, 12), fan('socketio', 1, 39, 34)]);
    expect(cs.find((c) => c.what.includes('CPU per delivery'))?.met).toBe(false);
    expect(cs.find((c) => c.what.includes("p99 ≤ Socket.IO's"))?.met).toBe(false);
  });
});
