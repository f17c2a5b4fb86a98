/** The direct workload: pairs in one-to-one conversations, round trips paced to `--direct-rate`. */
import { CommitProbe } from '../lib/commit-probe.js';
import type { TargetName } from '../targets/target.js';
import { opts } from '../options.js';
import { directRooms, runDirect } from '../workloads/direct.js';
import { ackField, alternate, clientsOf, emit } from './context.js';

export async function direct(pairs: number): Promise<void> {
  const rooms = directRooms(pairs);
  const keys = new Map<TargetName, string[]>();
  await alternate(
    'direct',
    opts.targets,
    async (t) => {
      keys.set(t.name, await t.setup(2 * pairs, rooms, 'direct'));
    },
    async (t, rep) => {
      const probe = new CommitProbe(t);
      await probe.start();
      const rate = opts.directRate;
      const r = await runDirect(t, clientsOf(t), keys.get(t.name)!, { pairs, warmupS: opts.warmupS, durationS: opts.durationS, size: opts.size, rate });
      const config = rate > 0 ? `${pairs}@${rate}/s` : String(pairs);
      emit({ workload: 'direct', config, target: t.name, rep, ...ackField(t), ...r, ...(await probe.stop()) });
    },
  );
}
