/**
 * Picks the Ephemeral backend from a URL, as openBus in server.ts picks the Bus: unset or
 * `memory:` for one process, `redis://`/`rediss://` for Redis, `nats://` for NATS JetStream KV.
 * A cluster points it at the Redis or NATS it already runs for its Bus.
 *
 * @example
 * const eph = await createEphemeral(config.EPHEMERAL_URL ?? config.BUS_URL, { logger });
 */
import type { Clock } from '../core/clock.js';
import { ConfigError } from '../config.js';
import type { Ephemeral } from './ephemeral.js';
import type { EphemeralLogger } from './errors.js';
import { MemoryEphemeralSpace } from './memory/memory-ephemeral.js';
import { NatsEphemeral } from './nats/nats-ephemeral.js';
import { RedisEphemeral } from './redis/redis-ephemeral.js';

export interface EphemeralOptions {
  /** Prefix of every entry (see ephemeral.ts). Default `natter`. */
  prefix?: string;
  /** Connection state changes of the networked backends; never the URL. */
  logger?: EphemeralLogger;
  /** Clock of the memory backend (and of NATS expiries). Default the system clock. */
  clock?: Clock;
}

/**
 * Opens the backend `url` names. Rejects with EphemeralUnavailableError when Redis or NATS cannot
 * be reached now, with ConfigError when the URL names no backend. The message never holds the
 * URL: it may carry a password.
 */
export async function createEphemeral(
  url: string | undefined,
  options: EphemeralOptions = {},
): Promise<Ephemeral> {
  const { prefix, logger, clock } = options;
  if (url === undefined || url.startsWith('memory:')) {
    return new MemoryEphemeralSpace(clock).attach(prefix === undefined ? {} : { prefix });
  }
  if (url.startsWith('redis://') || url.startsWith('rediss://')) {
    return RedisEphemeral.connect(url, {
      ...(prefix !== undefined && { prefix }),
      ...(logger && { logger }),
    });
  }
  if (url.startsWith('nats://')) {
    return NatsEphemeral.connect(url, {
      ...(prefix !== undefined && { prefix }),
      ...(logger && { logger }),
      ...(clock && { clock }),
    });
  }
  throw new ConfigError(
    'invalid configuration:\n  EPHEMERAL_URL: expected memory:, redis://, rediss:// or nats://',
  );
}
