/**
 * NatsEphemeral's entry layout (keys, encodings) and the bucket checks it makes on connect,
 * against the machine's NATS server with JetStream. The Ephemeral contract and outage suites it
 * passes run in @natter/testkit (contracts/).
 */
import { randomUUID } from 'node:crypto';
import { connect, StorageType } from 'nats';
import { describe, expect, it } from 'vitest';
import { decodeCounter, decodeSet, decodeValue, encodeSet, kvKey } from './entries.js';
import { NatsEphemeral } from './nats-ephemeral.js';

const NATS_URL = process.env.NATTER_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

describe('NatsEphemeral entries', () => {
  const bytes = (s: string) => new TextEncoder().encode(s);

  it('names every key with characters KV keys allow, one per name and kind', () => {
    const names = ['', 'online:u_1', 'a.b', '*', '>', 'x y', 'é👋', 'k'.repeat(200)];
    const keys = names.flatMap((n) => (['v', 's', 'n'] as const).map((kind) => kvKey('natter', kind, n)));
    for (const k of keys) expect(k).toMatch(/^natter\.[vsn]\.k[A-Za-z0-9_-]*$/);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('reads what it wrote, and takes anything else for no entry', () => {
    const set = new Map([
      ['__proto__', 5],
      ['d1', 7],
    ]);
    expect(decodeSet(bytes(encodeSet(set)))).toEqual(set);
    for (const junk of ['', 'null', '[]', '{"m":{}}', '{"m":[["x"]]}', '{"m":[[1,2]]}', 'not json'])
      expect(decodeSet(bytes(junk))).toBeNull();
    expect(decodeValue(bytes('{"v":1,"e":2}'))).toBeNull();
    expect(decodeValue(bytes('{"v":"x"}'))).toBeNull();
    expect(decodeCounter(bytes('{"c":1.5,"e":2}'))).toBeNull();
    expect(decodeCounter(bytes('{"c":3,"e":2}'))).toEqual({ count: 3, endsAt: 2 });
  });
});

describe('NatsEphemeral bucket', () => {
  it('creates its bucket in memory with a max age of at least a day', async () => {
    const bucket = `natter-test-${randomUUID()}`;
    const eph = await NatsEphemeral.connect(NATS_URL, { bucket });
    const nc = await connect({ servers: NATS_URL.slice('nats://'.length) });
    try {
      const jsm = await nc.jetstreamManager();
      const { config } = await jsm.streams.info(`KV_${bucket}`);
      expect(config.storage).toBe(StorageType.Memory);
      expect(config.max_msgs_per_subject).toBe(1);
      expect(config.max_age / 1e6).toBeGreaterThanOrEqual(24 * 3600 * 1000);
      await eph.set('k', 'v', 1000);
      expect(await eph.get('k')).toBe('v');
    } finally {
      await eph.close();
      await (await nc.jetstreamManager()).streams.delete(`KV_${bucket}`);
      await nc.close();
    }
  });

  it('refuses a bucket that would drop entries before their TTL', async () => {
    const bucket = `natter-test-${randomUUID()}`;
    const nc = await connect({ servers: NATS_URL.slice('nats://'.length) });
    try {
      await nc.jetstream().views.kv(bucket, { ttl: 60_000, storage: StorageType.Memory });
      await expect(NatsEphemeral.connect(NATS_URL, { bucket })).rejects.toThrow(/keeps entries 60000 ms/);
    } finally {
      await (await nc.jetstreamManager()).streams.delete(`KV_${bucket}`);
      await nc.close();
    }
  });
});

describe('NatsEphemeral increments', () => {
  // A room's rate window is taken by every send: one write per increment, one after another,
  // held 500 sends/s on three processes seconds behind (bench/RESULTS.md, issue 25).
  it('sends increments of one key made meanwhile as one write, each caller getting its own count', async () => {
    const bucket = `natter-test-${randomUUID()}`;
    const eph = await NatsEphemeral.connect(NATS_URL, { bucket });
    const nc = await connect({ servers: NATS_URL.slice('nats://'.length) });
    try {
      const counts = await Promise.all(Array.from({ length: 200 }, () => eph.increment('room:r_1:rate', 1, 10_000)));
      expect(counts.map((c) => c.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      for (const c of counts) expect(c.resetInMs).toBeGreaterThan(9000);
      const kv = await nc.jetstream().views.kv(bucket);
      const entry = await kv.get(kvKey('natter', 'n', 'room:r_1:rate'));
      expect(decodeCounter(entry!.value)?.count).toBe(200);
      // Revisions are the bucket's stream sequence: one per write.
      expect(entry!.revision).toBeLessThanOrEqual(2);
      // Steps larger than one, in one batch: each count is the sum up to and including its own.
      const more = await Promise.all([eph.increment('room:r_1:rate', 5, 10_000), eph.increment('room:r_1:rate', 2, 10_000)]);
      expect(more.map((c) => c.count)).toEqual([205, 207]);
    } finally {
      await eph.close();
      await (await nc.jetstreamManager()).streams.delete(`KV_${bucket}`);
      await nc.close();
    }
  });

  it('counts every increment once when batches of several processes conflict', async () => {
    const bucket = `natter-test-${randomUUID()}`;
    const processes = await Promise.all([0, 1, 2].map(() => NatsEphemeral.connect(NATS_URL, { bucket })));
    const nc = await connect({ servers: NATS_URL.slice('nats://'.length) });
    try {
      // Three waves, each process's increments of a wave in one batch, the batches racing.
      const counts: number[] = [];
      for (let wave = 0; wave < 3; wave++) {
        const got = await Promise.all(processes.flatMap((eph) => Array.from({ length: 50 }, () => eph.increment('k', 1, 10_000))));
        counts.push(...got.map((c) => c.count));
      }
      expect(counts.sort((a, b) => a - b)).toEqual(Array.from({ length: 450 }, (_, i) => i + 1));
    } finally {
      await Promise.all(processes.map((p) => p.close()));
      await (await nc.jetstreamManager()).streams.delete(`KV_${bucket}`);
      await nc.close();
    }
  });
});
