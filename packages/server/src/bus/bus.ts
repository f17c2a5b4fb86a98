/**
 * The Bus: fan-out between Natter processes. Four methods and one handler, so a backend
 * (in-process, Redis, NATS) is small to write. Every implementation passes runBusContract.
 *
 * Guarantees:
 * - A payload published to a topic reaches every process subscribed to that topic at the
 *   time of publishing (at most once: the bus is for live delivery; catch-up is the Store's
 *   job through sync).
 * - Payloads published by one process are delivered to each subscriber in publish order.
 * - A process receives only topics it subscribed to.
 */
export type BusHandler = (topic: string, payload: string) => void;

export interface Bus {
  /**
   * Resolves once the backend has taken the payload. Rejects (BusUnavailableError, code
   * `unavailable`, for the networked backends) when it cannot say so, promptly when the broker
   * is unreachable; a rejected payload is never resent, though it may still have been delivered.
   */
  publish(topic: string, payload: string): Promise<void>;
  /**
   * Idempotent; resolves once the subscription is active. A networked backend that cannot reach
   * its broker rejects, but keeps the topic and subscribes it when the connection is back, as it
   * does for every topic subscribed before an outage, until unsubscribe().
   */
  subscribe(topic: string): Promise<void>;
  /** Idempotent; delivery of the topic stops at once. Does not fail for want of a broker. */
  unsubscribe(topic: string): Promise<void>;
  /** The one handler for everything this process receives. */
  onMessage(handler: BusHandler): void;
  close(): Promise<void>;
}

/** Topic of everything addressed to one user's devices. */
export const userTopic = (userId: string) => `u:${userId}`;
/** Topic of one conversation's log entries. */
export const conversationTopic = (conversationId: string) => `c:${conversationId}`;

/**
 * Optional capability of buses that can lose their connection (Redis, NATS): the handler runs
 * each time the bus is connected again after an outage. Payloads published meanwhile were not
 * delivered, so the hub tells its clients to sync.
 */
export interface ReconnectingBus {
  onReconnect(handler: () => void): void;
}

export function isReconnectingBus(bus: Bus): bus is Bus & ReconnectingBus {
  return typeof (bus as Partial<ReconnectingBus>).onReconnect === 'function';
}
