/**
 * RedisEphemeral: the Ephemeral contract on two instances (two processes) against the machine's
 * Redis, and the outage suite against a redis-server of its own on a free port. The key layout's
 * unit test stays beside it in @natter/server's ephemeral/redis/.
 */
import { RedisEphemeral } from '@natter/server';
import { runEphemeralOutage } from './ephemeral-outage.js';
import { runEphemeralContract } from './ephemeral.js';

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
