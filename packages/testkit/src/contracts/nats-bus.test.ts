/**
 * NatsBus: the Bus contract on two buses (two processes) against the machine's NATS server, and
 * the outage suite against a nats-server of its own on a free port.
 */
import { NatsBus } from '@natter/server';
import { runBusOutage } from './bus-outage.js';
import { runBusContract } from './bus.js';

const NATS_URL = process.env.NATTER_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

runBusContract('nats', async () => {
  const a = await NatsBus.connect(NATS_URL);
  const b = await NatsBus.connect(NATS_URL);
  return {
    a,
    b,
    async cleanup() {
      await a.close();
      await b.close();
    },
  };
});

runBusOutage('nats', {
  command: (port, secret) => [
    'nats-server',
    ['-a', '127.0.0.1', '-p', String(port), '--user', 'natter', '--pass', secret],
  ],
  ready: /Server is ready/,
  url: (port, secret) => `nats://natter:${secret}@127.0.0.1:${port}`,
  connect: (url, logger, timeoutMs) => NatsBus.connect(url, { logger, timeoutMs }),
});
