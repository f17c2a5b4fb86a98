/**
 * RedisBus: the Bus contract on two buses (two processes) against the machine's Redis, and the
 * outage suite against a redis-server of its own on a free port.
 */
import { RedisBus } from '@natter/server';
import { runBusOutage } from './bus-outage.js';
import { runBusContract } from './bus.js';

const REDIS_URL = process.env.NATTER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

runBusContract('redis', async () => {
  const a = await RedisBus.connect(REDIS_URL);
  const b = await RedisBus.connect(REDIS_URL);
  return {
    a,
    b,
    async cleanup() {
      await a.close();
      await b.close();
    },
  };
});

runBusOutage('redis', {
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
  connect: (url, logger, timeoutMs) => RedisBus.connect(url, { logger, commandTimeoutMs: timeoutMs }),
});
