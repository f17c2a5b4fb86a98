import { opts } from '../options.js';
import { runCluster } from '../workloads/cluster.js';
import { emit, progress } from './context.js';

/** Natter in cluster mode as 1 and 3 processes, per bus: its own targets, whatever --targets says. */
export async function cluster(): Promise<void> {
  for (let rep = 1; rep <= opts.reps; rep++) {
    const [clients, groupSize] = opts.cluster;
    await runCluster(
      { clients, groupSize, rates: opts.clusterRates, processes: [1, 3], buses: opts.clusterBuses, warmupS: opts.warmupS, durationS: opts.durationS, size: opts.size, senders: opts.senders },
      emit,
      progress,
      rep,
    );
  }
}
