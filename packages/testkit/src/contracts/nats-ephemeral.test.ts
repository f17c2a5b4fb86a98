/**
 * NatsEphemeral: the Ephemeral contract on two instances (two processes) against the machine's
 * NATS server with JetStream, and the outage suite against a nats-server of its own on a free
 * port. The entry layout's and the bucket checks' unit tests stay beside it in @natter/server's
 * ephemeral/nats/.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { NatsEphemeral } from '@natter/server';
import { runEphemeralOutage } from './ephemeral-outage.js';
import { runEphemeralContract } from './ephemeral.js';

const NATS_URL = process.env.NATTER_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

const realTime = {
  now: () => performance.now(),
  advance: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};

runEphemeralContract('nats', async () => {
  const opened: NatsEphemeral[] = [];
  return {
    async open(prefix) {
      const eph = await NatsEphemeral.connect(NATS_URL, { prefix });
      opened.push(eph);
      return eph;
    },
    time: realTime,
    async cleanup() {
      await Promise.all(opened.map((eph) => eph.close()));
    },
  };
});

/** JetStream's store directory for the outage suite's servers (the bucket is in memory anyway). */
const storeDir = mkdtempSync(join(tmpdir(), 'natter-eph-js-'));
afterAll(() => rmSync(storeDir, { recursive: true, force: true }));

runEphemeralOutage('nats', {
  command: (port, secret) => [
    'nats-server',
    [
      '-a',
      '127.0.0.1',
      '-p',
      String(port),
      '--user',
      'natter',
      '--pass',
      secret,
      '-js',
      '-sd',
      join(storeDir, String(port)),
    ],
  ],
  ready: /Server is ready/,
  url: (port, secret) => `nats://natter:${secret}@127.0.0.1:${port}`,
  connect: (url, logger, timeoutMs) =>
    NatsEphemeral.connect(url, { logger, ...(timeoutMs !== undefined && { timeoutMs }) }),
});
