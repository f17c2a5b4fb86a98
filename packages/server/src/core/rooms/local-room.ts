/**
 * One live room as one process serves it: the viewers connected here, the messages waiting for
 * the next tick, the recent messages kept for joining viewers, and the tick that turns them
 * into one frame for everyone.
 *
 * Per tick (the room's `tickMs`):
 * 1. The messages sent through this process since the last tick leave as ONE bus message
 *    (with this process's viewer count), whatever the number of messages or viewers.
 * 2. The messages that arrived for the room (from every process) are split by priority. High
 *    priority always goes out. Normal priority is limited by the room's delivery budget
 *    (`budgetPerViewer` messages per viewer per second, with at most a second's worth saved up):
 *    beyond it, an evenly spaced sample is kept and the rest is dropped and counted.
 * 3. One frame is serialised and the same object handed to every viewer (the transport frames
 *    it once). A viewer whose send queue is past SHED_FRACTION of its limit gets a second shared
 *    frame with the high-priority messages only (normal ones shed and counted); a viewer that
 *    still does not read reaches the transport's limit and is disconnected (slow consumer).
 */
import type { Room, RoomMessage } from '@natter/protocol';
import { isQueueAware, type Connection, type OutboundFrame } from '../connection.js';
import { roomFrame, type EncodedRoomMessage, type RoomEncoding } from './room-codec.js';

/** A viewer: one connection watching rooms; `userId` null when anonymous. */
export interface Viewer {
  conn: Connection;
  userId: string | null;
  rooms: Set<string>;
}

/** Per-room counters, exported as metrics (natter_room_*). */
export interface RoomStats {
  /** Messages that reached this process for the room. */
  received: number;
  /** Frames written to viewers. */
  frames: number;
  /** Normal messages sampled out under the room's budget (once per message, for every viewer). */
  sampled: number;
  /** Normal messages not sent to a slow viewer (once per viewer and message). */
  shed: number;
  /** Viewers found past their send-queue limit (the transport disconnects them). */
  slowViewers: number;
  /** High-priority messages written to viewers (once per viewer and message). */
  highDelivered: number;
}

/** A viewer whose queue holds more than this share of its limit gets high priority only. */
export const SHED_FRACTION = 0.25;
/** Viewer counts of other processes older than this are forgotten (the process stopped saying). */
const COUNT_FRESH_MS = 3500;
/** How often the viewer count is told when nothing else is (to viewers and to the other processes). */
export const COUNT_EVERY_MS = 1000;

export class LocalRoom {
  readonly viewers = new Set<Viewer>();
  readonly stats: RoomStats = { received: 0, frames: 0, sampled: 0, shed: 0, slowViewers: 0, highDelivered: 0 };
  /** Sent through this process, not yet on the bus. */
  outgoing: RoomMessage[] = [];
  private pending: EncodedRoomMessage[] = [];
  private recentNormal: EncodedRoomMessage[] = [];
  private recentHigh: EncodedRoomMessage[] = [];
  private readonly seen = new Set<string>();
  private credit = 0;
  private readonly counts = new Map<string, { v: number; at: number }>();
  private lastCountShown = -1;
  private lastFrameAt = 0;
  lastPublishedAt = 0;

  constructor(
    public room: Room,
    private readonly encoding: RoomEncoding,
  ) {}

  get id(): string {
    return this.room.id;
  }

  /** Messages for the room's viewers here; each id once (a message seen twice is ignored). */
  admit(messages: readonly EncodedRoomMessage[]): void {
    const keep = this.room.settings.retention;
    for (const e of messages) {
      if (this.seen.has(e.m.id)) continue;
      this.seen.add(e.m.id);
      this.stats.received++;
      if (this.viewers.size > 0) this.pending.push(e);
      const ring = e.high ? this.recentHigh : this.recentNormal;
      ring.push(e);
      if (ring.length > keep) {
        const gone = ring.splice(0, ring.length - keep);
        for (const g of gone) this.seen.delete(g.m.id);
      }
    }
  }

  /** Known to this process already (for merging recent messages read from elsewhere). */
  has(id: string): boolean {
    return this.seen.has(id);
  }

  /**
   * What a joining viewer gets: the last `retention` normal messages, and the high-priority ones
   * after `since` (all those retained without it), ascending by id.
   */
  recent(since: string | undefined): RoomMessage[] {
    const high = since === undefined ? this.recentHigh : this.recentHigh.filter((e) => e.m.id > since);
    const normal = since === undefined ? this.recentNormal : this.recentNormal.filter((e) => e.m.id > since);
    return [...high, ...normal].map((e) => e.m).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Another process's viewer count, from its tick. */
  noteCount(processId: string, viewers: number, now: number): void {
    if (viewers === 0) this.counts.delete(processId);
    else this.counts.set(processId, { v: viewers, at: now });
  }

  viewerCount(now: number): number {
    let n = this.viewers.size;
    for (const [p, c] of this.counts) {
      if (now - c.at > COUNT_FRESH_MS) this.counts.delete(p);
      else n += c.v;
    }
    return n;
  }

  /** Steps 2 and 3 of the module comment. */
  deliver(now: number): void {
    const s = this.room.settings;
    const pending = this.pending;
    this.pending = [];
    if (this.viewers.size === 0) return;
    const perTick = (s.budgetPerViewer * s.tickMs) / 1000;
    this.credit = Math.min(this.credit + perTick, Math.max(perTick, s.budgetPerViewer));
    let normalCount = 0;
    for (const e of pending) if (!e.high) normalCount++;
    const allowed = Math.min(normalCount, Math.floor(this.credit));
    this.credit -= allowed;
    const sampled = normalCount - allowed;
    let messages: EncodedRoomMessage[] = pending;
    if (sampled > 0) {
      // Keep an evenly spaced `allowed` of the normal ones, in order, with every high one.
      messages = [];
      let i = 0;
      let next = 0;
      for (const e of pending) {
        if (e.high) messages.push(e);
        else {
          if (next < allowed && i === Math.floor((next * normalCount) / allowed)) {
            messages.push(e);
            next++;
          }
          i++;
        }
      }
      this.stats.sampled += sampled;
    }
    const viewers = this.viewerCount(now);
    const countDue = viewers !== this.lastCountShown && now - this.lastFrameAt >= COUNT_EVERY_MS;
    if (messages.length === 0 && !countDue) return;
    this.lastCountShown = viewers;
    this.lastFrameAt = now;
    const full = roomFrame(this.encoding, this.room.id, viewers, messages, sampled);
    let highCount = 0;
    for (const e of messages) if (e.high) highCount++;
    const keptNormal = messages.length - highCount;
    let slow: Viewer[] | null = null;
    for (const v of this.viewers) {
      const c = v.conn;
      if (keptNormal > 0 && isQueueAware(c) && c.queuedBytes() > c.queueLimitBytes * SHED_FRACTION) {
        (slow ??= []).push(v);
        continue;
      }
      c.send(full);
    }
    this.stats.frames += this.viewers.size;
    this.stats.highDelivered += highCount * (this.viewers.size - (slow?.length ?? 0));
    if (slow === null) return;
    // Shared by every slow viewer of this tick, like `full` by the others.
    let highOnly: OutboundFrame | null = null;
    for (const v of slow) {
      const c = v.conn;
      this.stats.shed += keptNormal;
      if (isQueueAware(c) && c.queuedBytes() > c.queueLimitBytes) this.stats.slowViewers++;
      if (highCount === 0 && !countDue) continue;
      highOnly ??= roomFrame(this.encoding, this.room.id, viewers, messages.filter((e) => e.high), sampled + keptNormal);
      // Past the limit, the transport closes the connection (3002) instead of queueing more.
      c.send(highOnly);
      this.stats.highDelivered += highCount;
    }
  }
}
