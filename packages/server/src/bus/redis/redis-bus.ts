/**
 * RedisBus: the Bus on Redis pub/sub, for several Natter processes sharing one Redis.
 *
 * Two connections: one publishes, one is in subscriber mode (SUBSCRIBE per topic; the hub already
 * subscribes each topic once per process, so there is no reference counting here). Redis keeps
 * one connection's commands in order and delivers a channel's messages in the order it received
 * them, which gives the Bus contract's per-publisher ordering, across topics too.
 *
 * When Redis is unreachable:
 * - publish() fails at once with BusUnavailableError (no offline queue: nothing piles up in
 *   memory, and a payload is never sent late). A publish in flight when the connection drops
 *   fails too, and is not resent: delivery is at most once, catch-up is the Store's job.
 * - subscribe() fails the same way, but the topic stays wanted: like every topic subscribed
 *   before the outage, it is subscribed again as soon as the connection is back, until
 *   unsubscribe(). unsubscribe() never fails: a lost connection took the subscription with it.
 * - Both connections reconnect by themselves (back-off capped at `maxReconnectDelayMs`). The
 *   bus re-subscribes its own topic set on every reconnect rather than relying on ioredis's
 *   autoResubscribe, which would also revive topics unsubscribed while Redis was down and
 *   forget topics whose subscribe failed during the outage.
 * - A connection that stays open but stops answering fails commands after `commandTimeoutMs`;
 *   such a publish may still be delivered if Redis wakes up (a rejection means "not known to be
 *   delivered", never "certainly not delivered").
 *
 * Redis pub/sub ignores the database number, so channels carry a prefix (`natter:` by default)
 * for deployments sharing a Redis.
 *
 * @example
 * const bus = await RedisBus.connect('redis://127.0.0.1:6379', { logger });
 * bus.onMessage((topic, payload) => hub.receive(topic, payload));
 * await bus.subscribe('u:u_123');
 * await bus.publish('u:u_123', '{"k":"frame","frame":"…"}');
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Bus, BusHandler, ReconnectingBus } from '../bus.js';
import { BusUnavailableError, errorMessage, type BusLogger } from '../errors.js';

export interface RedisBusOptions {
  /** Prefix of every Redis channel. Default `natter:`. */
  prefix?: string;
  /** How long a publish/subscribe may wait for Redis's answer on an open connection. Default 5000. */
  commandTimeoutMs?: number;
  /** Upper bound of the reconnect back-off. Default 1000. */
  maxReconnectDelayMs?: number;
  /** Gets connection state changes (lost, back) and handler failures. Never the URL. */
  logger?: BusLogger;
  /** More ioredis options (TLS files, family, …); the settings above and those the bus relies on win. */
  redis?: RedisOptions;
}

type Role = 'publisher' | 'subscriber';

/** Subscribing this many channels per command on reconnect keeps each reply small. */
const RESUBSCRIBE_CHUNK = 1000;

export class RedisBus implements Bus, ReconnectingBus {
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly prefix: string;
  private readonly logger: BusLogger | undefined;
  /** Topics this process wants, whatever the state of the connection. */
  private readonly topics = new Set<string>();
  /** Connections currently lost, so an outage is logged once, not on every retry. */
  private readonly down = new Set<Role>();
  private handler: BusHandler = () => {};
  private reconnected: () => void = () => {};
  /** Set when a connection was lost; cleared, and `reconnected` called, once both are back. */
  private outage = false;
  private closing: Promise<void> | null = null;

  /**
   * Connects both connections; rejects with BusUnavailableError if Redis cannot be reached now.
   * `url` is `redis://[user:password@]host[:port][/db]` or `rediss://…` for TLS.
   */
  static async connect(url: string, options: RedisBusOptions = {}): Promise<RedisBus> {
    const bus = new RedisBus(url, options);
    try {
      await Promise.all([bus.pub.connect(), bus.sub.connect()]);
    } catch (err) {
      await bus.close();
      throw new BusUnavailableError('cannot connect to Redis', err);
    }
    return bus;
  }

  private constructor(url: string, options: RedisBusOptions) {
    this.prefix = options.prefix ?? 'natter:';
    this.logger = options.logger;
    const maxDelay = options.maxReconnectDelayMs ?? 1000;
    const settings: RedisOptions = {
      ...options.redis,
      lazyConnect: true,
      // Fail instead of queueing while disconnected, and reject (not resend) commands that were
      // in flight when the connection dropped.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      autoResubscribe: false,
      commandTimeout: options.commandTimeoutMs ?? 5000,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay),
    };
    this.pub = new Redis(url, { ...settings, connectionName: 'natter-bus-pub' });
    this.sub = new Redis(url, { ...settings, connectionName: 'natter-bus-sub' });
    // Registered before watch()'s, so the topics are re-subscribed before `reconnected` runs.
    this.sub.on('ready', () => this.resubscribe());
    this.watch(this.pub, 'publisher');
    this.watch(this.sub, 'subscriber');
    this.sub.on('message', (channel: string, payload: string) => this.receive(channel, payload));
  }

  /**
   * Resolves once Redis has accepted the payload (and handed it to the subscribers connected at
   * that moment). Rejects with BusUnavailableError if Redis is unreachable or does not answer.
   */
  async publish(topic: string, payload: string): Promise<void> {
    if (this.closing) throw new BusUnavailableError('bus closed');
    try {
      await this.pub.publish(this.prefix + topic, payload);
    } catch (err) {
      throw new BusUnavailableError('Redis unavailable: publish failed', err);
    }
  }

  /** Resolves once Redis confirmed the subscription. On failure the topic stays wanted (see top). */
  async subscribe(topic: string): Promise<void> {
    if (this.closing) throw new BusUnavailableError('bus closed');
    this.topics.add(topic);
    try {
      await this.sub.subscribe(this.prefix + topic);
    } catch (err) {
      throw new BusUnavailableError('Redis unavailable: subscribed once the connection is back', err);
    }
  }

  async unsubscribe(topic: string): Promise<void> {
    // Removing it first stops delivery at once, even before Redis has processed UNSUBSCRIBE.
    if (!this.topics.delete(topic) || this.closing || this.sub.status !== 'ready') return;
    try {
      await this.sub.unsubscribe(this.prefix + topic);
    } catch {
      // The connection went away, and the subscription with it; it will not be renewed.
    }
  }

  onMessage(handler: BusHandler): void {
    this.handler = handler;
  }

  /**
   * `handler` runs once both connections are back after either was lost (what was published
   * meanwhile was not delivered), after the bus has re-sent its subscriptions.
   */
  onReconnect(handler: () => void): void {
    this.reconnected = handler;
  }

  /** Quits both connections; idempotent. Nothing is delivered once close() was called. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.topics.clear();
      await Promise.all([quit(this.pub), quit(this.sub)]);
    })();
    return this.closing;
  }

  private receive(channel: string, payload: string): void {
    if (!channel.startsWith(this.prefix)) return;
    const topic = channel.slice(this.prefix.length);
    if (!this.topics.has(topic)) return;
    try {
      this.handler(topic, payload);
    } catch (err) {
      // Thrown into ioredis it would break the reply parser for everything after this message.
      this.logger?.error({ topic, error: errorMessage(err) }, 'bus handler failed');
    }
  }

  private resubscribe(): void {
    const channels = [...this.topics].map((t) => this.prefix + t);
    for (let i = 0; i < channels.length; i += RESUBSCRIBE_CHUNK) {
      this.sub.subscribe(...channels.slice(i, i + RESUBSCRIBE_CHUNK)).catch((err: unknown) => {
        // Lost again: the next 'ready' tries again.
        this.logger?.warn({ error: errorMessage(err) }, 'bus: re-subscribing to Redis failed');
      });
    }
  }

  /** Error listeners keep ioredis from printing every failed retry; state changes are logged once. */
  private watch(conn: Redis, role: Role): void {
    conn.on('error', (err: unknown) => {
      if (this.closing || this.down.has(role)) return;
      this.logger?.warn({ role, error: errorMessage(err) }, 'bus: Redis connection error');
    });
    conn.on('close', () => {
      if (this.closing || this.down.has(role)) return;
      this.down.add(role);
      this.outage = true;
      this.logger?.warn({ role }, 'bus: Redis connection lost; reconnecting');
    });
    conn.on('ready', () => {
      if (this.down.delete(role)) this.logger?.info({ role }, 'bus: Redis connection back');
      if (this.outage && this.down.size === 0 && !this.closing) {
        this.outage = false;
        try {
          this.reconnected();
        } catch (err) {
          this.logger?.error({ error: errorMessage(err) }, 'bus reconnect handler failed');
        }
      }
    });
  }
}

async function quit(conn: Redis): Promise<void> {
  if (conn.status === 'ready') {
    try {
      await conn.quit();
    } catch {
      // Lost while quitting: disconnect() below stops the retries.
    }
  }
  conn.disconnect();
}
