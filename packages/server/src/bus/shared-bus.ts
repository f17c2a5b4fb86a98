/**
 * One Bus shared by several receivers in a process (socket delivery, live rooms, broadcasts).
 * A Bus has one handler (bus.ts); this one calls each receiver's handler in turn with every
 * payload, and each ignores the topics that are not its own (delivery: `c:` and `u:`; rooms:
 * `r:`; broadcasts: `b:`). Everything else is the wrapped bus's.
 */
import { isReconnectingBus, type Bus, type BusHandler, type ReconnectingBus } from './bus.js';

export class SharedBus implements Bus, ReconnectingBus {
  private readonly handlers: BusHandler[] = [];

  constructor(readonly inner: Bus) {
    inner.onMessage((topic, payload) => {
      for (const h of this.handlers) h(topic, payload);
    });
  }

  publish(topic: string, payload: string): Promise<void> {
    return this.inner.publish(topic, payload);
  }
  subscribe(topic: string): Promise<void> {
    return this.inner.subscribe(topic);
  }
  unsubscribe(topic: string): Promise<void> {
    return this.inner.unsubscribe(topic);
  }
  /** Adds a receiver (unlike a plain Bus, where a second call replaces the first). */
  onMessage(handler: BusHandler): void {
    this.handlers.push(handler);
  }
  /** Runs after an outage of a bus that can have one; never, for one that cannot. */
  onReconnect(handler: () => void): void {
    if (isReconnectingBus(this.inner)) this.inner.onReconnect(handler);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
