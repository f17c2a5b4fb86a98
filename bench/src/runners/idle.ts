/** The idle workloads: N open connections doing nothing, on one process (idle) or many (idle-many). */
import { NatterTarget } from '../targets/natter.js';
import { opts } from '../options.js';
import { runIdle } from '../workloads/idle.js';
import { alternate, emit, progress } from './context.js';

export async function idle(n: number): Promise<void> {
  await alternate(
    'idle',
    opts.targets,
    async (t) => {
      const t0 = performance.now();
      await t.setup(n, [], 'group');
      if (t.name === 'natter') progress(`idle: ${n} natter users made in ${Math.round(performance.now() - t0)} ms`);
    },
    async (t, rep) => {
      const r = await runIdle(t, { connections: n, workers: opts.idleWorkers, settleS: opts.quick ? 1 : 3, idleS: opts.quick ? 2 : 10 });
      emit({ workload: 'idle', config: String(n), target: t.name, rep, ...r });
    },
  );
}

/**
 * More idle connections than one process may hold (20,000 open files each on this machine):
 * Natter in cluster mode with enough worker processes, one generator process per 12,500.
 */
export async function idleMany(n: number, processes: number): Promise<void> {
  if (!opts.targets.includes('natter-cluster')) return;
  await alternate(
    'idle-many',
    ['natter-cluster'],
    async (t) => {
      const t0 = performance.now();
      await t.setup(n, [], 'group');
      progress(`idle-many: ${n} natter users made in ${Math.round(performance.now() - t0)} ms`);
    },
    async (t, rep) => {
      const workers = Math.max(opts.idleWorkers, Math.ceil(n / 12_500));
      const r = await runIdle(t, { connections: n, workers, settleS: opts.quick ? 1 : 3, idleS: opts.quick ? 2 : 10 });
      emit({ workload: 'idle-many', config: `${n}x${processes}`, target: t.name, rep, ...r, processes });
    },
    () => NatterTarget.startCluster(processes),
  );
}
