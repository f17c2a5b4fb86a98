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

export interface CursorHooks {
  /** A write failed (the store is down): the cursors stay pending and are tried again. */
  onError(err: unknown): void;
  /** A batch was written: how many cursors, and how long it took. */
  onFlush?(cursors: number, ms: number): void;
}

export class DeliveryCursors {
  /** The latest cursor this process knows per device and conversation (answers acks from memory). */
  private readonly latest = new Map<string, Map<string, number>>();
  /** Cursors moved since the last write, by `device\0conversation`. */
  private pending = new Map<string, DeliveryCursor>();
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
    return this.pending.size;
  }

  /**
   * Moves the device's cursor to `seq` if that is forward, and returns the cursor as this
   * process knows it (never below `seq`). The caller has checked the device may ack `seq`.
   */
  ack(deviceId: string, conversationId: string, seq: number): number {
    const before = this.latest.get(deviceId)?.get(conversationId) ?? 0;
    if (seq <= before) return before;
    this.know(deviceId, conversationId, seq);
    this.pending.set(`${deviceId}\0${conversationId}`, { deviceId, conversationId, seq });
    if (this.timer === null && !this.closed) this.timer = this.clock.setTimeout(() => void this.flush(), this.flushMs);
    return seq;
  }

  /** Remembers a cursor the store answered (an ack checked and written there), without writing it again. */
  stored(deviceId: string, conversationId: string, seq: number): number {
    return this.know(deviceId, conversationId, seq);
  }

  private know(deviceId: string, conversationId: string, seq: number): number {
    let mine = this.latest.get(deviceId);
    if (!mine) this.latest.set(deviceId, (mine = new Map()));
    const before = mine.get(conversationId) ?? 0;
    if (seq <= before) return before;
    mine.set(conversationId, seq);
    return seq;
  }

  /** The device's last connection here is gone: write what it moved and forget it. */
  deviceGone(deviceId: string): Promise<void> {
    this.latest.delete(deviceId);
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
    const batch = this.pending;
    this.pending = new Map();
    const started = performance.now();
    try {
      await this.store.ackDeliveredMany([...batch.values()]);
      this.hooks.onFlush?.(batch.size, performance.now() - started);
    } catch (err) {
      this.hooks.onError(err);
      // Put back what no newer ack replaced, and try again later (not when closing: the store is going).
      for (const [key, c] of batch) if ((this.pending.get(key)?.seq ?? 0) < c.seq) this.pending.set(key, c);
      if (this.timer === null && !this.closed) this.timer = this.clock.setTimeout(() => void this.flush(), this.flushMs);
    }
  }
}
