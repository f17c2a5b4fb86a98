/**
 * Delivery cursors kept in memory and written in batches. Clients ack every entry they apply
 * (the SDK within 50 ms), so writing each ack as it comes is a database write per delivery
 * batch per device: the largest cost of a busy group. A delivery cursor only moves forward and
 * nothing is lost if one is behind (the device is sent again what it already has, and drops it
 * by seq), so the latest value per device and conversation is kept here and the ones that moved
 * are written together by one Store.ackDeliveredMany call: on a timer (the injected Clock), when
 * a device disconnects, and on shutdown (server.ts closes this before the store).
 *
 * What a crash costs: the cursors moved since the last write (at most `flushMs`, a second by
 * default). The stored cursor never moves back, and never beyond what the device acked: the
 * store keeps the highest value it was given, and every value given was acked for an entry
 * this process had delivered to the device (Messaging.ack checks that first).
 */
import type { DeliveryCursor, Store } from '../store/store.js';
import type { Clock } from './clock.js';

export const CURSOR_FLUSH_MS = 1000;
/**
 * Cursors per store call. The store thread runs calls in arrival order: a write of thousands
 * of cursors at once would hold every send behind it for tens of ms; in slices, a send's commit
 * waits for one slice at most.
 */
export const CURSOR_WRITE_SLICE = 256;

export interface CursorHooks {
  /** A write failed (the store is down): the cursors stay pending and are tried again. */
  onError(err: unknown): void;
  /** A batch was written: how many cursors, and how long it took. */
  onFlush?(cursors: number, ms: number): void;
}

/** One device's cursors here: the latest known per conversation, and those moved since the last write. */
interface DeviceCursors {
  readonly deviceId: string;
  readonly latest: Map<string, number>;
  moved: Set<string> | null;
}

export class DeliveryCursors {
  /** Per device: the latest cursor this process knows per conversation (answers acks from memory). */
  private readonly devices = new Map<string, DeviceCursors>();
  /** Devices with cursors moved since the last write. (No per-ack key strings or records: acks come by the ten thousand per second.) */
  private pending = new Set<DeviceCursors>();
  private timer: { cancel(): void } | null = null;
  /** Writes run one after another, so shutdown can wait for the last. */
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  hooks: CursorHooks = { onError: () => {} };

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly flushMs = CURSOR_FLUSH_MS,
  ) {}

  /** Cursors waiting to be written (for tests and metrics). */
  get pendingCount(): number {
    let n = 0;
    for (const d of this.pending) n += d.moved?.size ?? 0;
    return n;
  }

  /**
   * Moves the device's cursor to `seq` if that is forward, and returns the cursor as this
   * process knows it (never below `seq`). The caller has checked the device may ack `seq`.
   */
  ack(deviceId: string, conversationId: string, seq: number): number {
    const d = this.device(deviceId);
    const before = d.latest.get(conversationId) ?? 0;
    if (seq <= before) return before;
    d.latest.set(conversationId, seq);
    (d.moved ??= new Set()).add(conversationId);
    this.pending.add(d);
    if (this.timer === null && !this.closed) this.timer = this.clock.setTimeout(() => void this.flush(), this.flushMs);
    return seq;
  }

  /** The device's cursor as this process knows it (0: none known). */
  latest(deviceId: string, conversationId: string): number {
    return this.devices.get(deviceId)?.latest.get(conversationId) ?? 0;
  }

  /** Remembers a cursor the store answered (an ack checked and written there), without writing it again. */
  stored(deviceId: string, conversationId: string, seq: number): number {
    const d = this.device(deviceId);
    const before = d.latest.get(conversationId) ?? 0;
    if (seq <= before) return before;
    d.latest.set(conversationId, seq);
    return seq;
  }

  private device(deviceId: string): DeviceCursors {
    let d = this.devices.get(deviceId);
    if (!d) this.devices.set(deviceId, (d = { deviceId, latest: new Map(), moved: null }));
    return d;
  }

  /** The device's connection here is gone: write what it moved and forget it (pending writes keep their values). */
  deviceGone(deviceId: string): Promise<void> {
    this.devices.delete(deviceId);
    return this.flush();
  }

  /** Writes every pending cursor now (after any write already running). */
  flush(): Promise<void> {
    this.timer?.cancel();
    this.timer = null;
    this.chain = this.chain.then(() => this.write());
    return this.chain;
  }

  /** Shutdown: writes what is pending, then takes no timer any more. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch: DeliveryCursor[] = [];
    for (const d of this.pending) {
      for (const conversationId of d.moved ?? []) batch.push({ deviceId: d.deviceId, conversationId, seq: d.latest.get(conversationId)! });
      d.moved = null;
    }
    this.pending = new Set();
    const started = performance.now();
    for (let i = 0; i < batch.length; i += CURSOR_WRITE_SLICE) {
      const slice = batch.slice(i, i + CURSOR_WRITE_SLICE);
      try {
        await this.store.ackDeliveredMany(slice);
      } catch (err) {
        this.hooks.onError(err);
        this.retry(batch.slice(i));
        return;
      }
    }
    this.hooks.onFlush?.(batch.length, performance.now() - started);
  }

  /** Puts back what a failed write held, unless a newer ack moved it since; tried again on the next tick. */
  private retry(cursors: DeliveryCursor[]): void {
    for (const c of cursors) {
      const d = this.device(c.deviceId);
      if ((d.latest.get(c.conversationId) ?? 0) <= c.seq) d.latest.set(c.conversationId, c.seq);
      (d.moved ??= new Set()).add(c.conversationId);
      this.pending.add(d);
    }
    // Not when closing: the store is going away.
    if (this.timer === null && !this.closed) this.timer = this.clock.setTimeout(() => void this.flush(), this.flushMs);
  }
}
