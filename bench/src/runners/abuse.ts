import type { NatterTarget } from '../targets/natter.js';
import type { TargetName } from '../targets/target.js';
import { opts } from '../options.js';
import { prepareAbuse, runAbuse } from '../workloads/abuse.js';
import { alternate, emit, progress } from './context.js';

/** One user floods history requests; bystanders' send latency (natter and natter-b: before/after). */
export async function abuse(): Promise<void> {
  const [pairs, sockets, http] = opts.abuse;
  const o = { pairs, sockets, http, quietS: opts.quick ? 2 : 3, floodS: opts.quick ? 5 : 10 };
  const names = opts.targets.filter((n) => n === 'natter' || n === 'natter-b');
  const state = new Map<TargetName, Awaited<ReturnType<typeof prepareAbuse>>>();
  await alternate(
    'abuse',
    names,
    async (t) => {
      state.set(t.name, await prepareAbuse(t as NatterTarget, o));
    },
    async (t, rep) => {
      const s = state.get(t.name)!;
      const r = await runAbuse(t as NatterTarget, s.heavy, s.direct, o);
      progress(`  ${t.name}: flooded send p50 ${r.floodP50Ms} ms p99 ${r.floodP99Ms} ms max ${r.floodMaxMs} ms (quiet p99 ${r.quietP99Ms} ms)`);
      emit({ workload: 'abuse', config: `${pairs}x${sockets}x${http}`, target: t.name, rep, ...r });
    },
  );
}
