/**
 * RedisEphemeral: Ephemeral state in Redis, for several Natter processes sharing one Redis.
 *
 * Layout (every key single-slot, so a Redis Cluster works too), `<p>` the prefix:
 * - `<p>:v:<key>`  a string with a Redis TTL (SET … PX);
 * - `<p>:s:<set>`  a sorted set, each member scored with its expiry in ms on Redis's clock; the
 *                  key's own TTL follows its latest member, so an abandoned set disappears;
 * - `<p>:n:<key>`  an integer whose TTL is set by the increment that created it (fixed window).
 * Set and counter updates are Lua scripts reading Redis's clock (TIME), so each is atomic and
 * expiry does not depend on the processes' clocks.
 *
 * When Redis is unreachable every call fails at once with EphemeralUnavailableError (no offline
 * queue: nothing is replayed late), as does a call in flight when the connection drops; a call
 * on a connection that stays open but stops answering fails after `commandTimeoutMs`. The
 * connection comes back by itself (back-off capped at `maxReconnectDelayMs`).
 *
 * @example
 * const eph = await RedisEphemeral.connect('redis://127.0.0.1:6379', { logger });
 * await eph.addMember('online:u_1', 'p1/d1', 60_000);
 */
import { Redis, type RedisOptions } from 'ioredis';
import { errorMessage } from '../../bus/errors.js';
import { checkIncrement, checkPrefix, checkTtl, type Ephemeral, type WindowCount } from '../ephemeral.js';
import { EphemeralUnavailableError, type EphemeralLogger } from '../errors.js';

export interface RedisEphemeralOptions {
  /** Prefix of every key, one token of [A-Za-z0-9_-]. Default `natter`. */
  prefix?: string;
  /** How long a call may wait for Redis's answer on an open connection. Default 2000. */
  commandTimeoutMs?: number;
  /** Upper bound of the reconnect back-off. Default 1000. */
  maxReconnectDelayMs?: number;
  /** Gets connection state changes (lost, back). Never the URL, keys or values. */
  logger?: EphemeralLogger;
  /** More ioredis options (TLS, family, …); the settings above and those relied on here win. */
  redis?: RedisOptions;
}

/** Redis's clock in ms, in a script (`TIME` is allowed: scripts replicate their effects). */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

const SCRIPTS = {
  /** KEYS[1] set, ARGV[1] member, ARGV[2] ttl ms. Drops expired members, then adds or refreshes. */
  ephAddMember: `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', now))
redis.call('ZADD', KEYS[1], string.format('%d', now + tonumber(ARGV[2])), ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], last[2])
return 1`,
  /** KEYS[1] set. Members whose expiry is still ahead. */
  ephMembers: `${NOW}
return redis.call('ZRANGE', KEYS[1], string.format('(%d', now), '+inf', 'BYSCORE')`,
  /** KEYS[1] counter, ARGV[1] by, ARGV[2] window ms. A new key (no TTL yet) starts the window. */
  ephIncrement: `local n = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {n, ttl}`,
};

/** The commands defineCommand adds (EVALSHA, falling back to EVAL once per connection). */
interface Scripts {
  ephAddMember(set: string, member: string, ttlMs: number): Promise<number>;
  ephMembers(set: string): Promise<string[]>;
  ephIncrement(key: string, by: number, windowMs: number): Promise<[number, number]>;
}

export class RedisEphemeral implements Ephemeral {
  private readonly conn: Redis & Scripts;
  private readonly prefix: string;
  private readonly logger: EphemeralLogger | undefined;
  private down = false;
  private closing: Promise<void> | null = null;

  /**
   * Connects; rejects with EphemeralUnavailableError if Redis cannot be reached now.
   * `url` is `redis://[user:password@]host[:port][/db]` or `rediss://…` for TLS.
   */
  static async connect(url: string, options: RedisEphemeralOptions = {}): Promise<RedisEphemeral> {
    const eph = new RedisEphemeral(url, options);
    try {
      await eph.conn.connect();
    } catch (err) {
      await eph.close();
      throw new EphemeralUnavailableError('cannot connect to Redis', err);
    }
    return eph;
  }

  private constructor(url: string, options: RedisEphemeralOptions) {
    this.prefix = checkPrefix(options.prefix);
    this.logger = options.logger;
    const maxDelay = options.maxReconnectDelayMs ?? 1000;
    const conn = new Redis(url, {
      ...options.redis,
      connectionName: 'natter-ephemeral',
      lazyConnect: true,
      // Fail instead of queueing while disconnected, and reject (not resend) commands that were
      // in flight when the connection dropped.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: options.commandTimeoutMs ?? 2000,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay),
    });
    for (const [name, lua] of Object.entries(SCRIPTS)) conn.defineCommand(name, { numberOfKeys: 1, lua });
    this.conn = conn as Redis & Scripts;
    this.watch();
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    checkTtl(ttlMs);
    await this.call('set', () => this.conn.set(this.name('v', key), value, 'PX', ttlMs));
  }

  get(key: string): Promise<string | null> {
    return this.call('get', () => this.conn.get(this.name('v', key)));
  }

  async delete(key: string): Promise<void> {
    await this.call('delete', () => this.conn.del(this.name('v', key)));
  }

  async addMember(set: string, member: string, ttlMs: number): Promise<void> {
    checkTtl(ttlMs);
    await this.call('addMember', () => this.conn.ephAddMember(this.name('s', set), member, ttlMs));
  }

  async removeMember(set: string, member: string): Promise<void> {
    // An emptied sorted set is deleted by Redis itself.
    await this.call('removeMember', () => this.conn.zrem(this.name('s', set), member));
  }

  members(set: string): Promise<string[]> {
    return this.call('members', () => this.conn.ephMembers(this.name('s', set)));
  }

  async increment(key: string, by: number, windowMs: number): Promise<WindowCount> {
    checkIncrement(by);
    checkTtl(windowMs, 'windowMs');
    const [count, resetInMs] = await this.call('increment', () =>
      this.conn.ephIncrement(this.name('n', key), by, windowMs),
    );
    return { count, resetInMs };
  }

  /** Quits the connection; idempotent, and prompt when Redis is unreachable. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.conn.status === 'ready') {
        try {
          await this.conn.quit();
        } catch {
          // Lost while quitting: disconnect() below stops the retries.
        }
      }
      this.conn.disconnect();
    })();
    return this.closing;
  }

  /** Kind first, so a value, a set and a counter of one name are three keys. */
  private name(kind: 'v' | 's' | 'n', key: string): string {
    return `${this.prefix}:${kind}:${key}`;
  }

  private async call<T>(what: string, command: () => Promise<T>): Promise<T> {
    if (this.closing) throw new EphemeralUnavailableError('ephemeral state closed');
    try {
      return await command();
    } catch (err) {
      throw new EphemeralUnavailableError(`Redis unavailable: ${what} failed`, err);
    }
  }

  /** Error listeners keep ioredis from printing every failed retry; state changes are logged once. */
  private watch(): void {
    this.conn.on('error', (err: unknown) => {
      if (this.closing || this.down) return;
      this.logger?.warn({ error: errorMessage(err) }, 'ephemeral: Redis connection error');
    });
    this.conn.on('close', () => {
      if (this.closing || this.down) return;
      this.down = true;
      this.logger?.warn({}, 'ephemeral: Redis connection lost; reconnecting');
    });
    this.conn.on('ready', () => {
      if (!this.down) return;
      this.down = false;
      this.logger?.info({}, 'ephemeral: Redis connection back');
    });
  }
}
