/**
 * The JetStream KV bucket behind NatsEphemeral: opened, or created, on connect and again after
 * every reconnect — a memory-storage stream does not survive its server's restart, so a single
 * NATS server that restarts comes back without the bucket (a replicated one on a cluster survives
 * one server restarting). Its entries are lost either way; presence and typing are refreshed by
 * their owners within a TTL, and rate-limit windows start over, which is what ephemeral means.
 */
import { StorageType, type KV, type NatsConnection } from 'nats';
import { MAX_TTL_MS } from '../ephemeral.js';

export interface BucketOptions {
  name: string;
  replicas: number;
  /** Timeout of the JetStream requests made through the returned KV. */
  timeoutMs: number;
}

/** Room for a writer's clock to be behind the server's before the bucket drops a live entry. */
const MARGIN_MS = 10 * 60 * 1000;

/** A bucket that would drop entries before their TTL: a configuration mistake, not an outage. */
export class BucketConfigError extends Error {
  override readonly name = 'BucketConfigError';
}

/**
 * Opens the bucket, creating it (memory storage, one value per key, a max age of MAX_TTL_MS plus a
 * margin) if missing. An existing bucket is used as it is unless it keeps entries for less than
 * MAX_TTL_MS (or forever): then BucketConfigError. Anything else thrown is the connection's or
 * JetStream's failure.
 */
export async function openBucket(nc: NatsConnection, options: BucketOptions): Promise<KV> {
  if (!/^[-\w]+$/.test(options.name))
    throw new BucketConfigError('NatsEphemeral: bucket must be [A-Za-z0-9_-]');
  const kv = await nc.jetstream({ timeout: options.timeoutMs }).views.kv(options.name, {
    history: 1,
    storage: StorageType.Memory,
    ttl: MAX_TTL_MS + MARGIN_MS,
    replicas: options.replicas,
  });
  const { ttl } = await kv.status();
  if (ttl < MAX_TTL_MS) {
    throw new BucketConfigError(
      `NatsEphemeral: KV bucket ${options.name} keeps entries ${ttl === 0 ? 'forever' : `${ttl} ms`}, ` +
        `it must keep them ${MAX_TTL_MS} ms: delete the bucket, or name another one`,
    );
  }
  return kv;
}

/** Whether a failed KV call says the bucket's stream is not there (any more). */
export function isMissingBucket(err: unknown): boolean {
  const e = err as { code?: unknown; api_error?: { err_code?: number } } | null;
  // 503: no responders (nothing serves the subject); 10059: stream not found.
  return e?.code === '503' || e?.api_error?.err_code === 10059;
}
