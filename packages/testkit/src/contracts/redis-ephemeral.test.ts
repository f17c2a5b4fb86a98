/**
 * RedisEphemeral: the Ephemeral contract on two instances (two processes) against the machine's
 * Redis, the key layout that keeps abandoned entries from outliving their TTL, and the outage
 * suite against a redis-server of its own on a free port.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { runEphemeralContract } from '../contract.js';
import { runEphemeralOutage } from '../outage.js';
import { RedisEphemeral } from './redis-ephemeral.js';

const REDIS_URL = process.env.NATTER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const realTime = {
  now: () => performance.now(),
  advance: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};

runEphemeralContract('redis', async () => {
  const opened: RedisEphemeral[] = [];
  return {
    async open(prefix) {
      const eph = await RedisEphemeral.connect(REDIS_URL, { prefix });
      opened.push(eph);
      return eph;
    },
    time: realTime,
    async cleanup() {
      await Promise.all(opened.map((eph) => eph.close()));
    },
  };
});

describe('RedisEphemeral keys', () => {
  it('gives every key a TTL: a set lives as long as its latest member', async () => {
    const prefix = `k-${randomUUID()}`;
    const eph = await RedisEphemeral.connect(REDIS_URL, { prefix });
    const raw = new Redis(REDIS_URL);
    try {
      await eph.set('v', 'x', 5_000);
      await eph.addMember('s', 'late', 8_000);
      await eph.addMember('s', 'early', 3_000);
      await eph.increment('n', 1, 4_000);
      const keys = (await raw.keys(`${prefix}:*`)).sort();
      expect(keys).toEqual([`${prefix}:n:n`, `${prefix}:s:s`, `${prefix}:v:v`]);
      const ttl = async (k: string) => raw.pttl(`${prefix}:${k}`);
      expect(await ttl('v:v')).toBeGreaterThan(4_000);
      expect(await ttl('s:s')).toBeGreaterThan(7_000);
      expect(await ttl('s:s')).toBeLessThanOrEqual(8_000);
      expect(await ttl('n:n')).toBeGreaterThan(3_000);
      await eph.removeMember('s', 'late');
      await eph.removeMember('s', 'early');
      expect(await raw.exists(`${prefix}:s:s`)).toBe(0);
    } finally {
      await eph.close();
      raw.disconnect();
    }
  });
});

runEphemeralOutage('redis', {
  command: (port, secret) => [
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--requirepass',
      secret,
    ],
  ],
  ready: /Ready to accept connections/,
  url: (port, secret) => `redis://:${secret}@127.0.0.1:${port}`,
  connect: (url, logger, timeoutMs) =>
    RedisEphemeral.connect(url, { logger, ...(timeoutMs !== undefined && { commandTimeoutMs: timeoutMs }) }),
});
