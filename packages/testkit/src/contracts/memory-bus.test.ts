/** MemoryBus: the Bus contract on two buses attached to one MemoryBroker. */
import { runBusContract } from '../contract.js';
import { MemoryBroker } from './memory-bus.js';

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
