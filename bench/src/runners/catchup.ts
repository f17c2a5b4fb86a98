/** The catch-up workload (Natter only): a device syncing M messages over C conversations. */
import type { NatterTarget } from '../targets/natter.js';
import { opts } from '../options.js';
import { prepareCatchup, runCatchup } from '../workloads/catchup.js';
import { alternate, emit } from './context.js';

export async function catchup(messages: number, conversations: number): Promise<void> {
  if (!opts.targets.includes('natter')) return;
  const o = { messages, conversations, size: opts.size };
  let state: Awaited<ReturnType<typeof prepareCatchup>> | null = null;
  await alternate(
    'catchup',
    ['natter'],
    async (t) => {
      state = await prepareCatchup(t as NatterTarget, o);
    },
    async (t, rep) => {
      const r = await runCatchup(t as NatterTarget, state!.device, state!.conversations, o);
      emit({ workload: 'catchup', config: `${messages}x${conversations}`, target: 'natter', rep, ...r });
    },
  );
}
