/**
 * BUS_PREFIX: two deployments sharing one Redis or NATS, each with its own prefix, must not see
 * each other's traffic, while two processes of one deployment (same prefix) still do. Goes
 * through openBus and loadConfig, as a server would.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, openBus, type Bus } from '@natter/server';

const URLS = [
  ['redis', process.env.NATTER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'],
  ['nats', process.env.NATTER_TEST_NATS_URL ?? 'nats://127.0.0.1:4222'],
] as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(URLS)('BUS_PREFIX on one %s', (_name, url) => {
  const open: Bus[] = [];
  afterEach(async () => {
    for (const b of open.splice(0)) await b.close();
  });

  async function bus(prefix?: string): Promise<{ bus: Bus; got: string[] }> {
    const config = loadConfig({ BUS_URL: url, ...(prefix !== undefined && { BUS_PREFIX: prefix }) });
    const b = await openBus(config);
    open.push(b);
    const got: string[] = [];
    b.onMessage((topic, payload) => got.push(`${topic}=${payload}`));
    return { bus: b, got };
  }

  it('keeps two prefixes apart and joins one prefix', async () => {
    const run = randomBytes(4).toString('hex');
    const a1 = await bus(`a${run}`);
    const a2 = await bus(`a${run}`);
    const b = await bus(`b${run}`);
    const dflt = await bus();
    const topic = `u:prefix-test-${run}`;
    for (const x of [a1, a2, b, dflt]) await x.bus.subscribe(topic);
    await a1.bus.publish(topic, 'from-a');
    await b.bus.publish(topic, 'from-b');
    // At-most-once delivery has no acknowledgement to wait for: give both brokers time.
    for (let i = 0; i < 50 && (a2.got.length < 1 || b.got.length < 1); i++) await sleep(20);
    await sleep(100);
    expect(a1.got).toEqual([`${topic}=from-a`]);
    expect(a2.got).toEqual([`${topic}=from-a`]);
    expect(b.got).toEqual([`${topic}=from-b`]);
    expect(dflt.got).toEqual([]);
  });

  it('refuses a prefix that would reach into another one', () => {
    expect(() => loadConfig({ BUS_URL: url, BUS_PREFIX: 'a.b' })).toThrow(/BUS_PREFIX/);
    expect(() => loadConfig({ BUS_URL: url, BUS_PREFIX: 'a:b' })).toThrow(/BUS_PREFIX/);
  });
});
