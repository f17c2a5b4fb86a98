import { opts } from '../options.js';
import { runUpload } from '../workloads/upload.js';
import { alternate, emit } from './context.js';

/** Concurrent large uploads (Natter only: the peers have no upload API). */
export async function upload(clients: number, megabytes: number): Promise<void> {
  if (!opts.targets.includes('natter')) return;
  await alternate(
    'upload',
    ['natter'],
    async (t) => void (await t.setup(clients, [], 'group')),
    async (t, rep) => {
      const r = await runUpload(t, { clients, megabytes, chunkMegabytes: 32 });
      emit({ workload: 'upload', config: `${clients}x${megabytes}MB`, target: t.name, rep, ...r });
    },
  );
}
