/**
 * The Store, Bus and Ephemeral state a Config names (DATABASE_URL, BUS_URL, EPHEMERAL_URL): opened
 * here so that startNatter, and an embedder building its own deps, pick them the same way.
 */
import { join } from 'node:path';
import type { Bus } from '../bus/bus.js';
import { MemoryBus } from '../bus/memory/memory-bus.js';
import { NatsBus } from '../bus/nats/nats-bus.js';
import { RedisBus } from '../bus/redis/redis-bus.js';
import { ConfigError, type Config } from '../config.js';
import type { Clock } from '../core/clock.js';
import { prepareDatabaseFile } from '../data-dir.js';
import type { Ephemeral } from '../ephemeral/ephemeral.js';
import { createEphemeral } from '../ephemeral/factory.js';
import type { Logger } from '../log.js';
import { PostgresStore } from '../store/postgres/postgres-store.js';
import type { Store } from '../store/store.js';
import { SqliteWorkerStore } from '../store/sqlite/worker-store.js';

export async function openStore(config: Config, logger?: Logger): Promise<Store> {
  const url = config.DATABASE_URL;
  if (url === undefined || url.startsWith('sqlite:')) {
    const path = url ? url.slice('sqlite:'.length) : join(config.dataDir, 'natter.db');
    if (path !== ':memory:') prepareDatabaseFile(path, logger);
    return SqliteWorkerStore.open({ path, durability: config.DURABILITY });
  }
  // PostgreSQL always commits synchronously: an acknowledged message must survive a crash of
  // the database too, not only of a Natter process. Group commit keeps that affordable.
  return PostgresStore.open({
    connectionString: url,
    poolMax: config.DATABASE_POOL_MAX,
    durability: 'full',
    ...(config.DATABASE_SCHEMA !== undefined && { schema: config.DATABASE_SCHEMA }),
  });
}

/** BUS_URL: unset or `memory:` (one process), `redis://`/`rediss://`, or `nats://`; channels named by BUS_PREFIX. */
export async function openBus(config: Config, logger?: Logger): Promise<Bus> {
  const url = config.BUS_URL;
  if (url === undefined || url.startsWith('memory:')) return new MemoryBus();
  // The URL may hold a password: the buses log state changes only, never the URL.
  if (url.startsWith('redis://') || url.startsWith('rediss://')) return RedisBus.connect(url, { logger, prefix: `${config.BUS_PREFIX}:` });
  if (url.startsWith('nats://')) return NatsBus.connect(url, { logger, prefix: config.BUS_PREFIX });
  throw new ConfigError('invalid configuration:\n  BUS_URL: expected memory:, redis://, rediss:// or nats://');
}

/**
 * EPHEMERAL_URL when set (a failure to reach it stops start-up). Unset: the Redis or NATS of
 * BUS_URL, or memory. A bus server that cannot serve it (NATS started without JetStream) gives
 * memory with a warning: presence then covers this process's users only.
 */
export async function openEphemeral(config: Config, logger?: Logger, clock?: Clock): Promise<Ephemeral> {
  const options = { prefix: config.BUS_PREFIX, ...(logger && { logger }), ...(clock && { clock }) };
  if (config.EPHEMERAL_URL !== undefined) return createEphemeral(config.EPHEMERAL_URL, options);
  const bus = config.BUS_URL;
  if (bus === undefined || bus.startsWith('memory:')) return createEphemeral(undefined, options);
  try {
    return await createEphemeral(bus, options);
  } catch (err) {
    logger?.warn(
      { err },
      'ephemeral state cannot use the BUS_URL server (NATS needs JetStream: nats-server -js); presence is per process until EPHEMERAL_URL names a shared one',
    );
    return createEphemeral(undefined, options);
  }
}
