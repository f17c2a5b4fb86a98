/**
 * PresenceService across processes, on time the test moves: two processes (a Delivery, a
 * PresenceService, a clock each) share a memory Bus, memory Ephemeral state and a store. A
 * reconnect within the grace period shows nothing; a process that stops (its timers never run
 * again, as after kill -9) has its users shown offline on the other within 4/3 of the TTL, not
 * before the TTL; a process that closes gracefully hands over without flicker.
 */
import { describe, expect, it } from 'vitest';
import type { Presence } from '@natter/protocol';
import { MemoryBroker } from '../../bus/memory/memory-bus.js';
import { MemoryEphemeralSpace } from '../../ephemeral/memory/memory-ephemeral.js';
import { MemoryStore } from '../../store/memory/memory-store.js';
import type { Clock } from '../clock.js';
import type { Connection, OutboundFrame } from '../connection.js';
import { Delivery } from '../delivery/delivery.js';
import { DomainEvents } from '../events.js';
import { PresenceService, REFRESH_SLICE } from './presence.js';

const TTL = 3000;
const GRACE = 1000;
const time = { now: 1_000_000 };

/** One process's timers, on the shared time; they run only while the process is alive. */
class ProcessClock implements Clock {
  alive = true;
  private timers: { due: number; fn: () => void }[] = [];
  now(): number {
    return time.now;
  }
  setTimeout(fn: () => void, ms: number): { cancel(): void } {
    const t = { due: time.now + ms, fn };
    this.timers.push(t);
    return { cancel: () => (this.timers = this.timers.filter((x) => x !== t)) };
  }
  run(): void {
    if (!this.alive) return;
    const due = this.timers.filter((t) => t.due <= time.now);
    this.timers = this.timers.filter((t) => t.due > time.now);
    for (const t of due) t.fn();
  }
}

const flush = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

async function setup() {
  const broker = new MemoryBroker();
  const space = new MemoryEphemeralSpace({ now: () => time.now, setTimeout: () => ({ cancel() {} }) });
  const store = new MemoryStore();
  const procs = ['p1', 'p2'].map((id) => {
    const clock = new ProcessClock();
    const delivery = new Delivery(broker.attach(), store, clock);
    const events = new DomainEvents();
    events.subscribe((e) => delivery.publish(e));
    const eph = space.attach();
    const presence = new PresenceService(eph, store, delivery, events, clock, { ttlMs: TTL, graceMs: GRACE, processId: id }, { onError: (err) => { throw err; } });
    return { clock, delivery, presence, eph };
  });
  for (const p of procs) await p.presence.start();
  for (const u of ['watcher', 'user']) await store.createUser({ id: u, username: u, passwordHash: null, displayName: null, avatarUrl: null, createdAt: 0 });
  await store.openDirect('watcher', 'user', () => ({
    id: 'c1',
    kind: 'direct',
    title: null,
    createdBy: 'watcher',
    members: [
      { userId: 'watcher', role: 'member' },
      { userId: 'user', role: 'member' },
    ],
    createdMessageId: 'e1',
    createdAt: 0,
  }));
  /** Moves time in steps, running the live processes' timers. */
  const advance = async (ms: number) => {
    for (let left = ms; left > 0; left -= 50) {
      time.now += Math.min(50, left);
      for (const p of procs) p.clock.run();
      await flush();
    }
  };
  const connect = async (proc: (typeof procs)[number], userId: string, pushes: Presence[] = []) => {
    const conn: Connection = {
      send: (f: OutboundFrame) => {
        const frame = JSON.parse(f.json) as { type: string; presence?: Presence };
        if (frame.type === 'presence') pushes.push(frame.presence!);
      },
      close: () => {},
    };
    const a = await proc.delivery.attach(conn, userId, `${userId}-device`);
    await proc.presence.connected(userId);
    await flush();
    return {
      pushes,
      disconnect: async () => {
        await proc.presence.disconnected(userId);
        await proc.delivery.detach(a);
        await flush();
      },
    };
  };
  return { procs, advance, connect, store };
}

describe('PresenceService', () => {
  it('shows nothing for a reconnect within the grace period, and offline with last seen after it', async () => {
    const { procs, advance, connect } = await setup();
    const [p1, p2] = procs as [(typeof procs)[0], (typeof procs)[0]];
    const w = await connect(p2, 'watcher');
    const u = await connect(p1, 'user');
    expect(w.pushes).toEqual([{ userId: 'user', online: true, lastSeen: null }]);
    await u.disconnect();
    await advance(GRACE / 2);
    // Back on the other process, within the grace: no second online, no offline.
    const again = await connect(p2, 'user');
    await advance(GRACE * 3);
    expect(w.pushes).toHaveLength(1);
    const gone = time.now;
    await again.disconnect();
    await advance(GRACE / 2);
    expect(w.pushes).toHaveLength(1);
    await advance(GRACE);
    expect(w.pushes).toEqual([
      { userId: 'user', online: true, lastSeen: null },
      { userId: 'user', online: false, lastSeen: gone },
    ]);
  });

  it('a stopped process’s users go offline elsewhere after the TTL and within 4/3 of it', async () => {
    const { procs, advance, connect } = await setup();
    const [p1, p2] = procs as [(typeof procs)[0], (typeof procs)[0]];
    const w = await connect(p2, 'watcher');
    await connect(p1, 'user');
    await advance(TTL); // a few refreshes
    const killedAt = time.now;
    p1.clock.alive = false;
    await advance(TTL - 100);
    expect(w.pushes.map((p) => p.online)).toEqual([true]);
    await advance(TTL / 3 + 200);
    expect(w.pushes.map((p) => p.online)).toEqual([true, false]);
    // Last seen: p1's last refresh, within a tick before it stopped.
    expect(w.pushes[1]!.lastSeen).toBeGreaterThan(killedAt - TTL / 3 - 1);
    expect(w.pushes[1]!.lastSeen).toBeLessThanOrEqual(killedAt);
  });

  it('a graceful close hands users over to the process they reconnect to, without flicker', async () => {
    const { procs, advance, connect } = await setup();
    const [p1, p2] = procs as [(typeof procs)[0], (typeof procs)[0]];
    const w = await connect(p2, 'watcher');
    await connect(p1, 'user');
    await p1.presence.close();
    await connect(p2, 'user');
    await advance(TTL * 2);
    expect(w.pushes.map((p) => p.online)).toEqual([true]);
  });

  it('users of a closed process who do not come back go offline at the other’s next tick', async () => {
    const { procs, advance, connect } = await setup();
    const [p1, p2] = procs as [(typeof procs)[0], (typeof procs)[0]];
    const w = await connect(p2, 'watcher');
    await connect(p1, 'user');
    await p1.presence.close();
    await advance(TTL / 3 + 100);
    expect(w.pushes.map((p) => p.online)).toEqual([true, false]);
    // Not twice: the grace check of a closed process does not run.
    await advance(TTL);
    expect(w.pushes.map((p) => p.online)).toEqual([true, false]);
  });

  it("refreshes many users' entries a slice at a time, serving the event loop between slices", async () => {
    const { procs, advance, connect, store } = await setup();
    const p1 = procs[0]!;
    const users = 3 * REFRESH_SLICE + 17;
    for (let i = 0; i < users; i++) {
      const id = `many${i}`;
      await store.createUser({ id, username: id, passwordHash: null, displayName: null, avatarUrl: null, createdAt: 0 });
      await connect(p1, id);
    }
    // Count the refreshes of users' presence sets, and where a callback queued on the event loop
    // when the tick starts ran among them.
    const eph = p1.eph;
    const addMember = eph.addMember.bind(eph);
    let refreshed = 0;
    let refreshedWhenLoopRan = -1;
    eph.addMember = (key, member, ttlMs) => {
      if (key.startsWith('presence:many')) {
        if (refreshed === 0) setImmediate(() => (refreshedWhenLoopRan = refreshed));
        refreshed++;
      }
      return addMember(key, member, ttlMs);
    };
    await advance(TTL / 3 + 50);
    expect(refreshed).toBeGreaterThanOrEqual(users);
    // The loop ran after the first slice, not once every user was done.
    expect(refreshedWhenLoopRan).toBe(REFRESH_SLICE);
  });
});
