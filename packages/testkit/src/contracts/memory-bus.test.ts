/** MemoryBus: the Bus contract on two buses attached to one MemoryBroker. */
import { MemoryBroker } from '@natter/server';
import { runBusContract } from './bus.js';

runBusContract('memory', async () => {
  const broker = new MemoryBroker();
  const a = broker.attach();
  const b = broker.attach();
  return {
    a,
    b,
    async cleanup() {
      await a.close();
      await b.close();
    },
  };
});
