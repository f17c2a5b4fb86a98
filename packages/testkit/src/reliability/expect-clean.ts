/**
 * The checker's pass mark, shared by every fault scenario: nothing lost, duplicated, reordered or
 * divergent, every unread count and badge exact (issue 21), and every message in one final state
 * on every device, the one the acknowledged recalls, edits and reactions allow (issue 22).
 */
import { expect } from 'vitest';
import type { ScenarioResult } from './scenario.js';

export function expectClean(r: ScenarioResult, o: { minChecked: number }): void {
  expect(r.acked).toBe(r.sent);
  expect(r.checked).toBeGreaterThan(o.minChecked);
  // Delivery completed by itself (live, gap fill, resync): nothing needed the final explicit sync.
  expect(r.undeliveredWithoutSync).toBe(0);
  expect({ lost: r.lost, duplicated: r.duplicated, reordered: r.reordered, divergent: r.divergent }).toEqual({
    lost: 0,
    duplicated: 0,
    reordered: 0,
    divergent: 0,
  });
  expect(r.unreadChecked).toBeGreaterThan(0);
  expect({ unreadMismatches: r.unreadMismatches, readCursorsBehind: r.readCursorsBehind }).toEqual({ unreadMismatches: 0, readCursorsBehind: 0 });
  expect(r.actionsAcked).toBeGreaterThan(0);
  expect(r.statesChecked).toBeGreaterThan(o.minChecked);
  expect({ stateDivergent: r.stateDivergent, wrongFinalState: r.wrongFinalState }).toEqual({ stateDivergent: 0, wrongFinalState: 0 });
}
