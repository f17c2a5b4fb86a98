/**
 * The per-tick aggregation and its priority lanes, with connections that model a transport's
 * send queue: a 1 KB/s reader among 1,000 viewers is shed first (normal priority only), then cut
 * off at its queue limit as the WebSocket transport does, while every other viewer gets every
 * frame at the same tick; the budget samples normal chat and never high priority.
 */
import { describe, expect, it } from 'vitest';
import type { Room, RoomMessage } from '@natter/protocol';
import type { Connection, OutboundFrame, QueueAware } from '../connection.js';
import { LocalRoom, SHED_FRACTION, type Viewer } from './local-room.js';
import { encodeRoomMessage } from './room-codec.js';

/** Frames are shared objects: parsed once for all the viewers they went to. */
const parsed = new WeakMap<OutboundFrame, any>();
const read = (f: OutboundFrame) => {
  let v = parsed.get(f);
  if (v === undefined) parsed.set(f, (v = JSON.parse(f.json)));
  return v;
};

/** A connection with a send queue drained at `bytesPerSecond`, closed (like websocket.ts) past its limit. */
class QueuedConnection implements Connection, QueueAware {
  readonly frames: { at: number; frame: any }[] = [];
  queued = 0;
  closedWith: number | null = null;
  constructor(
    readonly queueLimitBytes: number,
    private readonly bytesPerSecond: number,
    private readonly clock: { now: number },
  ) {}
  queuedBytes(): number {
    return this.queued;
  }
  send(frame: OutboundFrame): void {
    if (this.closedWith !== null) return;
    if (this.queued > this.queueLimitBytes) {
      this.closedWith = 3002;
      return;
    }
    this.queued += Buffer.byteLength(frame.json);
    this.frames.push({ at: this.clock.now, frame: read(frame) });
  }
  close(code: number): void {
    this.closedWith = code;
  }
  drain(ms: number): void {
    this.queued = Math.max(0, this.queued - (this.bytesPerSecond * ms) / 1000);
  }
}

const room = (settings: Partial<Room['settings']> = {}): Room => ({
  id: 'r1',
  kind: 'room',
  title: null,
  hostId: 'host',
  moderators: [],
  settings: { anonymous: true, tickMs: 100, retention: 20, budgetPerViewer: 1000, roomSendsPerSecond: 1e5, userSendsPer10s: 1e3, ...settings },
  createdAt: 0,
});

let n = 0;
const msg = (priority: 'high' | 'normal', text = 'x'.repeat(200)): RoomMessage => ({
  id: `m_${String(++n).padStart(8, '0')}`,
  roomId: 'r1',
  senderId: priority === 'high' ? 'host' : 'fan',
  type: 'text',
  body: { text },
  priority,
  createdAt: 0,
});

const viewer = (conn: Connection): Viewer => ({ conn, userId: null, rooms: new Set(['r1']) });

describe('LocalRoom', () => {
  it('sheds normal priority to a 1 KB/s reader among 1,000 viewers, then it is cut off; the others get every message at the same tick', () => {
    const clock = { now: 0 };
    const r = new LocalRoom(room(), 'json');
    const limit = 64 * 1024;
    const others = Array.from({ length: 1000 }, () => new QueuedConnection(limit, 1e9, clock));
    const slow = new QueuedConnection(limit, 1024, clock);
    for (const c of [...others.slice(0, 500), slow, ...others.slice(500)]) r.viewers.add(viewer(c));
    const sentHigh: string[] = [];
    const sentAll: string[] = [];
    let shedSeen = false;
    for (let tick = 0; tick < 200; tick++) {
      const batch = Array.from({ length: 10 }, (_, i) => msg(i === 0 ? 'high' : 'normal'));
      for (const m of batch) {
        sentAll.push(m.id);
        if (m.priority === 'high') sentHigh.push(m.id);
      }
      r.admit(batch.map(encodeRoomMessage));
      r.deliver(clock.now);
      clock.now += 100;
      for (const c of others) c.drain(100);
      slow.drain(100);
      if (slow.closedWith === null && slow.queued > limit * SHED_FRACTION) shedSeen = true;
    }
    for (const c of others) {
      const got = c.frames.flatMap((f) => f.frame.messages.map((m: RoomMessage) => m.id));
      expect(got).toEqual(sentAll);
      // One frame per tick, written at the tick its messages arrived: no viewer waits for another.
      expect(c.frames.map((f) => f.at)).toEqual(Array.from({ length: 200 }, (_, i) => i * 100));
      expect(c.frames.every((f) => f.frame.dropped === undefined)).toBe(true);
    }
    expect(shedSeen).toBe(true);
    // Shed: frames with high priority only, the rest counted as dropped for it.
    const highOnly = slow.frames.filter((f) => f.frame.messages.every((m: RoomMessage) => m.priority === 'high'));
    expect(highOnly.length).toBeGreaterThan(0);
    expect(highOnly.every((f) => f.frame.dropped === 9)).toBe(true);
    // Then cut off as a slow consumer (it reconnects and gets the high-priority messages from `recent`).
    expect(slow.closedWith).toBe(3002);
    expect(r.stats.shed).toBeGreaterThan(0);
    expect(r.stats.slowViewers).toBeGreaterThan(0);
    // Whatever the slow viewer got before it was cut off includes every high-priority message sent until then.
    const slowHigh = slow.frames.flatMap((f) => f.frame.messages.filter((m: RoomMessage) => m.priority === 'high').map((m: RoomMessage) => m.id));
    expect(slowHigh).toEqual(sentHigh.slice(0, slowHigh.length));
    expect(r.recent(slowHigh.at(-1)).filter((m) => m.priority === 'high').map((m) => m.id)).toEqual(sentHigh.slice(slowHigh.length).slice(-20));
  });

  it('samples normal chat evenly down to the budget, never high priority, and counts what it drops', () => {
    const clock = { now: 0 };
    const r = new LocalRoom(room({ budgetPerViewer: 10, tickMs: 100 }), 'json');
    const c = new QueuedConnection(1e9, 1e9, clock);
    r.viewers.add(viewer(c));
    let high = 0;
    for (let tick = 0; tick < 50; tick++) {
      const batch = Array.from({ length: 100 }, (_, i) => msg(i % 10 === 0 ? 'high' : 'normal', 'hi'));
      high += 10;
      r.admit(batch.map(encodeRoomMessage));
      r.deliver(clock.now);
      clock.now += 100;
    }
    const got = c.frames.flatMap((f) => f.frame.messages as RoomMessage[]);
    const dropped = c.frames.reduce((a, f) => a + (f.frame.dropped ?? 0), 0);
    expect(got.filter((m) => m.priority === 'high')).toHaveLength(high);
    const normal = got.filter((m) => m.priority === 'normal').length;
    // 10 per second for 5 seconds, with at most one second saved up.
    expect(normal).toBeGreaterThanOrEqual(45);
    expect(normal).toBeLessThanOrEqual(60);
    expect(normal + dropped).toBe(50 * 90);
    expect(r.stats.sampled).toBe(dropped);
  });

  it('writes one frame object per tick, shared by every viewer, in JSON or compact form', () => {
    for (const encoding of ['json', 'compact'] as const) {
      const r = new LocalRoom(room(), encoding);
      const seen = new Set<OutboundFrame>();
      for (let i = 0; i < 100; i++) r.viewers.add(viewer({ send: (f) => seen.add(f), close: () => {} }));
      r.admit([msg('normal', 'hello'), msg('high', 'gift')].map(encodeRoomMessage));
      r.deliver(0);
      expect(seen.size).toBe(1);
      const f = JSON.parse([...seen][0]!.json);
      expect(f.type).toBe(encoding === 'json' ? 'room' : 'room~');
    }
  });
});
