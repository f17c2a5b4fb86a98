/**
 * NatsBus: the Bus on core NATS subjects (not JetStream: the Bus promises live delivery at most
 * once; catch-up is the Store's job), for several Natter processes sharing a NATS server or
 * cluster.
 *
 * One connection carries everything. A topic becomes the subject `<prefix>.<topic>`, the topic
 * one token: Natter topics (`u:<id>`, `c:<id>`, ids in base64url) use only letters, digits,
 * `:`, `_` and `-`, which NATS takes in a token. Any other topic (one with `.`, `*`, `>`,
 * whitespace, non-ASCII, or empty) goes as `<prefix>.enc._<base64url of its UTF-8>`: three
 * tokens, so it can never collide with a plain one. Messages are handled by subscription
 * callbacks, which nats.js runs in the order the server sent them, so one publisher's order holds
 * across topics.
 *
 * publish() and subscribe() resolve once the server has processed them (one PING/PONG per batch
 * of calls made in the same tick, not one per call). When NATS is unreachable:
 * - publish() fails at once with BusUnavailableError instead of filling nats.js's reconnect
 *   buffer (which would send payloads late, or drop them silently when the buffer is reset).
 *   Calls still waiting for their PONG when the connection drops fail too; nothing is resent.
 * - subscribe() fails the same way, but the subscription stays registered: nats.js sends it,
 *   with all the others, as soon as it reconnects, until unsubscribe(). unsubscribe() never fails.
 * - The client reconnects forever (`maxReconnectAttempts: -1`), every `reconnectDelayMs`.
 * - A connection that stays open but stops answering fails calls after `timeoutMs` (such a
 *   publish may still be delivered if the server wakes up), and is declared stale by nats.js
 *   after `pingIntervalMs` × 2 and reconnected.
 *
 * @example
 * const bus = await NatsBus.connect('nats://127.0.0.1:4222', { logger });
 * bus.onMessage((topic, payload) => hub.receive(topic, payload));
 * await bus.subscribe('c:c_Ab-9_x');
 * await bus.publish('c:c_Ab-9_x', '{"type":"message",…}');
 */
import {
  connect,
  DebugEvents,
  Events,
  type ConnectionOptions,
  type Msg,
  type NatsConnection,
  type NatsError,
  type Subscription,
} from 'nats';
import type { Bus, BusHandler, ReconnectingBus } from '../bus.js';
import { BusUnavailableError, errorMessage, type BusLogger } from '../errors.js';

export interface NatsBusOptions {
  /** First token(s) of every subject. Default `natter`. */
  prefix?: string;
  /** How long publish/subscribe wait for the server to confirm on an open connection. Default 5000. */
  timeoutMs?: number;
  /** Pause between reconnect attempts. Default 1000. */
  reconnectDelayMs?: number;
  /** Client PING interval; two unanswered PINGs mark the connection stale. Default 10000. */
  pingIntervalMs?: number;
  /** Gets connection state changes (lost, back, closed) and handler failures. Never the URL. */
  logger?: BusLogger;
  /** More nats.js options (TLS, authenticator, …); the settings above and those the bus relies on win. */
  nats?: ConnectionOptions;
}

/** Topics NATS takes as one subject token as they are. */
const PLAIN_TOPIC = /^[A-Za-z0-9:_-]+$/;
const PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** The subject a topic is published on; see the module comment. */
export function topicSubject(prefix: string, topic: string): string {
  if (PLAIN_TOPIC.test(topic)) return `${prefix}.${topic}`;
  return `${prefix}.enc._${Buffer.from(topic, 'utf8').toString('base64url')}`;
}

/**
 * Splits `nats://[user:pass@|token@]host[:port][,nats://…]` into server addresses and credentials
 * (nats.js ignores credentials in URLs).
 */
export function parseNatsUrl(url: string): Pick<ConnectionOptions, 'servers' | 'user' | 'pass' | 'token'> {
  const servers: string[] = [];
  const auth: Pick<ConnectionOptions, 'user' | 'pass' | 'token'> = {};
  for (const part of url.split(',')) {
    const u = new URL(part.trim());
    if (u.protocol !== 'nats:') throw new Error('BUS_URL: expected nats://host[:port]');
    servers.push(`${u.hostname}:${u.port || '4222'}`);
    const user = decodeURIComponent(u.username);
    const pass = decodeURIComponent(u.password);
    if (user && pass) Object.assign(auth, { user, pass });
    else if (user) auth.token = user;
  }
  return { servers, ...auth };
}

export class NatsBus implements Bus, ReconnectingBus {
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly logger: BusLogger | undefined;
  private readonly subs = new Map<string, Subscription>();
  private handler: BusHandler = () => {};
  private reconnected: () => void = () => {};
  private connected = true;
  private closing: Promise<void> | null = null;
  /** The PING/PONG that confirms the calls made in the current tick, once one was made. */
  private batch: Promise<void> | null = null;
  /** Calls waiting on the server (PONGs, a drain), settled at once when the connection drops. */
  private readonly waiting = new Set<(err: Error) => void>();

  /**
   * Connects; rejects with BusUnavailableError if no server can be reached now.
   * @param url `nats://[user:pass@|token@]host[:port]`, several separated by commas for a cluster.
   */
  static async connect(url: string, options: NatsBusOptions = {}): Promise<NatsBus> {
    if (options.prefix !== undefined && !PREFIX.test(options.prefix)) {
      throw new Error('NatsBus: prefix must be dot-separated tokens of [A-Za-z0-9_-]');
    }
    const target = parseNatsUrl(url);
    let nc: NatsConnection;
    try {
      nc = await connect({
        ...options.nats,
        ...target,
        name: options.nats?.name ?? 'natter-bus',
        maxReconnectAttempts: -1,
        reconnectTimeWait: options.reconnectDelayMs ?? 1000,
        pingInterval: options.pingIntervalMs ?? 10_000,
        maxPingOut: 2,
        noEcho: false,
      });
    } catch (err) {
      throw new BusUnavailableError('cannot connect to NATS', err);
    }
    return new NatsBus(nc, options);
  }

  private constructor(
    private readonly nc: NatsConnection,
    options: NatsBusOptions,
  ) {
    this.prefix = options.prefix ?? 'natter';
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.logger = options.logger;
    void this.watch();
    void nc.closed().then((err) => {
      if (err && !this.closing)
        this.logger?.error({ error: errorMessage(err) }, 'bus: NATS connection closed for good');
    });
  }

  /** Resolves once the server has the payload. Rejects with BusUnavailableError if it cannot. */
  async publish(topic: string, payload: string): Promise<void> {
    this.usable();
    if (!this.connected) throw new BusUnavailableError('NATS unavailable: publish failed');
    try {
      this.nc.publish(topicSubject(this.prefix, topic), payload);
    } catch (err) {
      // Closed underneath us, or a payload above the server's max_payload.
      throw new BusUnavailableError(`NATS refused the publish: ${errorMessage(err)}`, err);
    }
    return this.confirm();
  }

  /** Resolves once the server has the subscription. On failure it stays registered (see top). */
  async subscribe(topic: string): Promise<void> {
    this.usable();
    if (!this.subs.has(topic)) {
      const sub: Subscription = this.nc.subscribe(topicSubject(this.prefix, topic), {
        callback: (err, msg) => this.receive(topic, sub, err, msg),
      });
      this.subs.set(topic, sub);
    }
    if (!this.connected)
      throw new BusUnavailableError('NATS unavailable: subscribed once the connection is back');
    return this.confirm();
  }

  async unsubscribe(topic: string): Promise<void> {
    const sub = this.subs.get(topic);
    if (!sub) return;
    // Removed locally at once: nothing more is delivered even before the server has the UNSUB.
    this.subs.delete(topic);
    if (!this.nc.isClosed()) sub.unsubscribe();
  }

  onMessage(handler: BusHandler): void {
    this.handler = handler;
  }

  /**
   * `handler` runs each time the connection is back after an outage (what was published
   * meanwhile was not delivered), after nats.js has re-sent the subscriptions.
   */
  onReconnect(handler: () => void): void {
    this.reconnected = handler;
  }

  /**
   * Drains (messages already received are handled, publishes already made are flushed) and closes;
   * idempotent. Bounded by `timeoutMs`: when NATS is unreachable it just closes.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.connected && !this.nc.isClosed()) {
        // Cut short if the connection drops meanwhile (the drain would wait for a reconnect).
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            this.waiting.delete(done);
            resolve();
          };
          const timer = setTimeout(done, this.timeoutMs);
          this.waiting.add(done);
          this.nc.drain().then(done, done);
        });
      }
      if (!this.nc.isClosed()) await this.nc.close();
      this.subs.clear();
    })();
    return this.closing;
  }

  /** Throws BusUnavailableError once this bus or its connection is closed for good. */
  private usable(): void {
    if (this.closing) throw new BusUnavailableError('bus closed');
    if (this.nc.isClosed()) throw new BusUnavailableError('NATS connection closed');
  }

  /** One PING after the calls made in this tick; its PONG confirms all of them. */
  private confirm(): Promise<void> {
    if (this.batch) return this.batch;
    const batch = new Promise<void>((resolve, reject) => {
      const settle = (err?: Error) => {
        clearTimeout(timer);
        this.waiting.delete(settle);
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(
        () => settle(new BusUnavailableError(`NATS did not confirm within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      this.waiting.add(settle);
      queueMicrotask(() => {
        if (this.batch === batch) this.batch = null;
        this.nc.flush().then(
          () => settle(),
          (err: unknown) => settle(new BusUnavailableError('NATS unavailable: not confirmed', err)),
        );
      });
    });
    this.batch = batch;
    return batch;
  }

  private receive(topic: string, sub: Subscription, err: NatsError | null, msg: Msg): void {
    if (err) {
      // A permissions violation on this subject, say: the subscription is dead.
      this.logger?.error({ topic, error: err.message }, 'bus: NATS subscription failed');
      if (this.subs.get(topic) === sub) this.subs.delete(topic);
      return;
    }
    if (this.subs.get(topic) !== sub) return;
    try {
      this.handler(topic, msg.string());
    } catch (e) {
      // Thrown into nats.js it would end the connection's reader.
      this.logger?.error({ topic, error: errorMessage(e) }, 'bus handler failed');
    }
  }

  private async watch(): Promise<void> {
    for await (const s of this.nc.status()) {
      switch (s.type) {
        case Events.Disconnect:
          this.connected = false;
          for (const settle of [...this.waiting])
            settle(new BusUnavailableError('NATS connection lost before the server confirmed'));
          if (!this.closing)
            this.logger?.warn({ server: String(s.data) }, 'bus: NATS connection lost; reconnecting');
          break;
        case Events.Reconnect:
          this.connected = true;
          this.logger?.info({ server: String(s.data) }, 'bus: NATS connection back');
          if (this.closing) break;
          try {
            this.reconnected();
          } catch (err) {
            this.logger?.error({ error: errorMessage(err) }, 'bus reconnect handler failed');
          }
          break;
        case Events.Error:
          this.logger?.warn({ error: String(s.data) }, 'bus: NATS reported an error');
          break;
        case Events.LDM:
        case Events.Update:
        case DebugEvents.Reconnecting:
        case DebugEvents.PingTimer:
        case DebugEvents.StaleConnection:
        case DebugEvents.ClientInitiatedReconnect:
          break;
      }
    }
  }
}
