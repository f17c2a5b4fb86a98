/** createEphemeral: each URL scheme opens its backend, and a wrong one is a configuration error. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config.js';
import { createEphemeral } from './factory.js';
import { MemoryEphemeral } from './memory/memory-ephemeral.js';
import { NatsEphemeral } from './nats/nats-ephemeral.js';
import { RedisEphemeral } from './redis/redis-ephemeral.js';

const REDIS_URL = process.env.NATTER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const NATS_URL = process.env.NATTER_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

describe('createEphemeral', () => {
  it('opens the backend the URL names', async () => {
    const cases = [
      [undefined, MemoryEphemeral],
      ['memory:', MemoryEphemeral],
      [REDIS_URL, RedisEphemeral],
      [NATS_URL, NatsEphemeral],
    ] as const;
    for (const [url, type] of cases) {
      const eph = await createEphemeral(url, { prefix: 'factory-test' });
      try {
        expect(eph).toBeInstanceOf(type);
        await eph.set('k', 'v', 1000);
        expect(await eph.get('k')).toBe('v');
      } finally {
        await eph.close();
      }
    }
  });

  it('refuses a URL that names no backend, without echoing it', async () => {
    const url = 'postgres://u:hunter2@db/x';
    const err = await createEphemeral(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/EPHEMERAL_URL/);
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('refuses a bad prefix before connecting', async () => {
    await expect(createEphemeral(REDIS_URL, { prefix: 'a:b' })).rejects.toThrow(/prefix/);
    await expect(createEphemeral(undefined, { prefix: '' })).rejects.toThrow(/prefix/);
  });
});
