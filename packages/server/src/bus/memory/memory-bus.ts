/**
 * In-process Bus. Single node only — unless several Natter nodes in one process share one
 * MemoryBroker, which is how cluster logic is tested without Redis. Delivery is synchronous
 * within publish(); a publish made by a handler during delivery is queued behind the payload
 * being delivered, so every subscriber still sees each publisher's payloads in publish order.
 */
import type { Bus, BusHandler } from '../bus.js';

export class MemoryBroker {
  /** Subscribers per topic: the bus itself while it is the only one (always, in one process). */
  private readonly topics = new Map<string, MemoryBus | Set<MemoryBus>>();
  private readonly queue: [topic: string, payload: string][] = [];
  private draining = false;

  attach(): MemoryBus {
    return new MemoryBus(this);
  }

  /** @internal */
  add(topic: string, bus: MemoryBus): void {
    const now = this.topics.get(topic);
    if (now === undefined || now === bus) this.topics.set(topic, bus);
    else if (now instanceof Set) now.add(bus);
    else this.topics.set(topic, new Set([now, bus]));
  }

  /** @internal */
  remove(topic: string, bus: MemoryBus): void {
    const now = this.topics.get(topic);
    if (now === bus) this.topics.delete(topic);
    else if (now instanceof Set) {
      now.delete(bus);
      if (now.size === 1) this.topics.set(topic, [...now][0]!);
    }
  }

  /** @internal Every subscription of `bus`: a closing bus keeps no list of its own. */
  removeAll(bus: MemoryBus): void {
    for (const topic of [...this.topics.keys()]) this.remove(topic, bus);
  }

  /** @internal */
  deliver(topic: string, payload: string): void {
    this.queue.push([topic, payload]);
    // Re-entered from a handler: the outer loop delivers it once the current payload is done.
    if (this.draining) return;
    this.draining = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        const to = this.topics.get(next[0]);
        if (to instanceof Set) for (const bus of to) bus.receive(next[0], next[1]);
        else to?.receive(next[0], next[1]);
      }
    } finally {
      this.draining = false;
    }
  }
}

export class MemoryBus implements Bus {
  private handler: BusHandler = () => {};
  // What this bus subscribed is the broker's to know (a topic per connected user): not kept twice.
  private closed = false;

  constructor(private readonly broker: MemoryBroker = new MemoryBroker()) {}

  async publish(topic: string, payload: string): Promise<void> {
    if (this.closed) throw new Error('bus closed');
    this.broker.deliver(topic, payload);
  }

  async subscribe(topic: string): Promise<void> {
    if (this.closed) return;
    this.broker.add(topic, this);
  }

  async unsubscribe(topic: string): Promise<void> {
    this.broker.remove(topic, this);
  }

  onMessage(handler: BusHandler): void {
    this.handler = handler;
  }

  /** @internal */
  receive(topic: string, payload: string): void {
    this.handler(topic, payload);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.broker.removeAll(this);
  }
}
