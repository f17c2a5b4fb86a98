/**
 * RedisEphemeral's key layout, against the machine's Redis: every key has a TTL, so abandoned
 * entries never outlive it. The Ephemeral contract and outage suites it passes run in
 * @natter/testkit (contracts/).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisEphemeral } from './redis-ephemeral.js';

const REDIS_URL = process.env.NATTER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

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
