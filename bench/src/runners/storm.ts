/** The reconnect-storm workload (Natter only): N clients in groups of 10 cut off by a restart. */
import type { NatterTarget } from '../targets/natter.js';
import { opts } from '../options.js';
import { runStorm } from '../workloads/storm.js';
import { alternate, emit, progress } from './context.js';

export async function storm(clients: number): Promise<void> {
  if (!opts.targets.includes('natter')) return;
  const groupSize = 10;
  const o = { clients, groupSize, signal: opts.stormSignal, timeoutS: 120, size: opts.size };
  let conversations: string[] = [];
  await alternate(
    'storm',
    ['natter'],
    async (t) => {
      const t0 = performance.now();
      const rooms = Array.from({ length: Math.ceil(clients / groupSize) }, (_, g) =>
        Array.from({ length: Math.min(groupSize, clients - g * groupSize) }, (_, m) => g * groupSize + m),
      );
      conversations = await t.setup(clients, rooms, 'group');
      progress(`storm: ${clients} users in ${rooms.length} groups made in ${Math.round(performance.now() - t0)} ms`);
    },
    async (t, rep) => {
      const r = await runStorm(t as NatterTarget, conversations, o);
      emit({ workload: 'storm', config: String(clients), target: 'natter', rep, ...r });
    },
  );
}
