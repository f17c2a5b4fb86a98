/**
 * Bus topics as this process uses them: subscriptions that others may wait on while they are
 * being made, and publishes that never throw but remember what they failed to send, so the
 * other processes are told to catch up once the bus takes publishes again.
 */
import type { Bus } from '../../bus/bus.js';
import { RECHECK_PAYLOAD, RESYNC_PAYLOAD } from './codec.js';

export class Topics {
  /** Subscriptions still being made: whoever joins a topic meanwhile waits for them too. */
  private readonly subscribing = new Map<string, Promise<void>>();
  /** Topics a publish to failed, not yet told to catch up (see announceMissed). */
  private readonly missed = new Set<string>();
  private announcing = false;

  constructor(
    private readonly bus: Bus,
    /** Called with every failed bus operation (the bus is down); delivery carries on without it. */
    private readonly onBusError: (err: unknown) => void,
  ) {}

  async subscribe(topic: string): Promise<void> {
    const p = this.bus.subscribe(topic).catch((err: unknown) => this.onBusError(err));
    this.subscribing.set(topic, p);
    try {
      await p;
    } finally {
      if (this.subscribing.get(topic) === p) this.subscribing.delete(topic);
    }
  }

  /** Subscribes again after an outage (a subscription that failed during it was never made). */
  async resubscribe(topic: string): Promise<void> {
    await this.bus.subscribe(topic).catch((err: unknown) => this.onBusError(err));
  }

  /** Resolves once a subscription to `topic` made by someone else is active (at once if none is pending). */
  async subscribed(topic: string): Promise<void> {
    await this.subscribing.get(topic);
  }

  async unsubscribe(topic: string): Promise<void> {
    await this.bus.unsubscribe(topic).catch((err: unknown) => this.onBusError(err));
  }

  /**
   * Never throws: what is published is already stored, so when the bus is down recipients get
   * it through sync. A failure is remembered for announceMissed.
   */
  async publish(topic: string, payload: string): Promise<void> {
    try {
      await this.bus.publish(topic, payload);
    } catch (err) {
      this.missed.add(topic);
      this.onBusError(err);
      return;
    }
    if (this.missed.size > 0) void this.announceMissed();
  }

  /**
   * What this process failed to publish never reached the other processes, and nothing tells
   * them: their own connections to the bus may have been fine all along. So once publishes go
   * through again (a reconnect, or the next publish that succeeds), every topic that missed
   * something is told to catch up: a conversation's devices to resync, a user's processes to
   * re-check that user. A topic whose announcement fails again waits for the next.
   */
  async announceMissed(): Promise<void> {
    if (this.announcing || this.missed.size === 0) return;
    this.announcing = true;
    try {
      const topics = [...this.missed];
      this.missed.clear();
      await Promise.all(
        topics.map((t) =>
          this.bus.publish(t, t.startsWith('c:') ? RESYNC_PAYLOAD : RECHECK_PAYLOAD).catch((err: unknown) => {
            this.missed.add(t);
            this.onBusError(err);
          }),
        ),
      );
    } finally {
      this.announcing = false;
    }
  }
}
