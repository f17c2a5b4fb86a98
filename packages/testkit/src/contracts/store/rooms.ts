/**
 * Store contract: live-room metadata and the broadcast log (rooms-store.ts). Run through
 * runStoreContract in ../store.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Room } from '@natter/protocol';
import type { FatigueRules } from '@natter/server';
import { HOUR, T0, type StoreHarness } from './harness.js';

const room: Room = {
  id: 'r1',
  kind: 'room',
  title: 'launch',
  hostId: 'u1',
  moderators: [],
  settings: { anonymous: true, tickMs: 200, retention: 50, budgetPerViewer: 20, roomSendsPerSecond: 200, userSendsPer10s: 10 },
  createdAt: T0,
};

const loose: FatigueRules = { maxPerWindow: 1000, windowMs: 24 * HOUR, minIntervalMs: 0 };

export function roomsContract(t: StoreHarness): void {
  describe('rooms', () => {
    it('stores a room once and updates its moderators and settings key by key', async () => {
      expect(await t.store.createRoom(room)).toBe(true);
      expect(await t.store.createRoom({ ...room, title: 'again' })).toBe(false);
      expect(await t.store.getRoom('r1')).toEqual(room);
      const next = await t.store.updateRoom('r1', { moderators: ['u2'], settings: { tickMs: 500 } });
      expect(next).toEqual({ ...room, moderators: ['u2'], settings: { ...room.settings, tickMs: 500 } });
      expect(await t.store.getRoom('r1')).toEqual(next);
      expect(await t.store.updateRoom('nope', { title: 'x' })).toBeNull();
      expect(await t.store.getRoom('nope')).toBeNull();
    });
  });

  describe('broadcasts', () => {
    const send = (n: number, over: { important?: boolean; userIds?: string[] | null } = {}) =>
      t.store.createBroadcast({ id: `b${n}`, title: `notice ${n}`, body: JSON.stringify({ text: `n${n}` }), important: over.important ?? false, userIds: over.userIds ?? null, createdAt: T0 + n });

    it('stores each broadcast once, in seq order, and gives each user each broadcast of their segment once', async () => {
      expect(await send(1)).toEqual({ seq: 1, id: 'b1', title: 'notice 1', body: { text: 'n1' }, important: false, createdAt: T0 + 1 });
      await send(2, { userIds: ['alice'] });
      await send(3);
      const a = await t.store.takeBroadcasts('alice', null, T0, loose);
      expect(a.broadcasts.map((b) => b.id)).toEqual(['b1', 'b2', 'b3']);
      expect(a).toMatchObject({ cursor: 3, unread: 3, held: 0 });
      expect((await t.store.takeBroadcasts('alice', a.cursor, T0, loose)).broadcasts).toEqual([]);
      const b = await t.store.takeBroadcasts('bob', null, T0, loose);
      expect(b.broadcasts.map((x) => x.id)).toEqual(['b1', 'b3']);
      expect(b).toMatchObject({ cursor: 3, unread: 2 });
    });

    it('gives again what a device says it does not have (its cursor is behind), and nothing new twice', async () => {
      await send(1);
      await send(2);
      await t.store.takeBroadcasts('alice', null, T0, loose);
      await send(3);
      const again = await t.store.takeBroadcasts('alice', 1, T0, loose);
      expect(again.broadcasts.map((b) => b.id)).toEqual(['b2', 'b3']);
      expect((await t.store.takeBroadcasts('alice', 3, T0, loose)).broadcasts).toEqual([]);
    });

    it('counts unread per user and moves the read cursor forward only, never past what was given', async () => {
      for (let i = 1; i <= 4; i++) await send(i);
      await t.store.takeBroadcasts('alice', null, T0, loose);
      expect(await t.store.readBroadcasts('alice', 2)).toEqual({ seq: 2, unread: 2 });
      expect(await t.store.readBroadcasts('alice', 1)).toEqual({ seq: 2, unread: 2 });
      await send(5);
      expect(await t.store.readBroadcasts('alice', 99)).toEqual({ seq: 4, unread: 0 });
      expect((await t.store.takeBroadcasts('alice', 4, T0, loose)).unread).toBe(1);
    });

    it('holds fatigue caps: at most maxPerWindow per window and minIntervalMs apart; important ones are never held; held ones come later, in order', async () => {
      const rules: FatigueRules = { maxPerWindow: 2, windowMs: HOUR, minIntervalMs: 60_000 };
      for (let i = 1; i <= 4; i++) await send(i);
      await send(5, { important: true });
      const first = await t.store.takeBroadcasts('alice', null, T0, rules);
      // One now: the next must wait a minute.
      expect(first.broadcasts.map((b) => b.id)).toEqual(['b1']);
      expect(first.held).toBe(4);
      expect((await t.store.takeBroadcasts('alice', first.cursor, T0 + 30_000, rules)).broadcasts).toEqual([]);
      const second = await t.store.takeBroadcasts('alice', first.cursor, T0 + 60_000, rules);
      expect(second.broadcasts.map((b) => b.id)).toEqual(['b2']);
      // Two in this window: b3 waits for the next window, and the important b5 behind it waits with it.
      const third = await t.store.takeBroadcasts('alice', second.cursor, T0 + 30 * 60_000, rules);
      expect(third.broadcasts).toEqual([]);
      expect(third.held).toBe(3);
      const next = await t.store.takeBroadcasts('alice', second.cursor, T0 + HOUR, rules);
      expect(next.broadcasts.map((b) => b.id)).toEqual(['b3']);
      const last = await t.store.takeBroadcasts('alice', next.cursor, T0 + HOUR + 60_000, rules);
      // b4 (the window's second) and then the important b5, which counts against nothing.
      expect(last.broadcasts.map((b) => b.id)).toEqual(['b4', 'b5']);
      expect(last).toMatchObject({ cursor: 5, held: 0 });
    });
  });
}
