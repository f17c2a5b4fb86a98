/**
 * The checker's pass mark, shared by every fault scenario: nothing lost, duplicated, reordered or
 * divergent, and every unread count and badge exact (issue 21).
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
}
