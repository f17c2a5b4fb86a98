/**
 * Upload: N clients upload a file of M MB each at once through the chunked upload API
 * (docs/media.md), from this process, with bodies generated as they are sent (the generator
 * holds one 1 MiB buffer). Measures throughput (MB/s of file data, all clients together), the
 * server's RSS before, at its peak (sampled every 100 ms) and after, and how many uploads
 * finished `ready`. The server's memory must stay flat: streaming means the peak does not grow
 * with the file size.
 */
import { randomBytes } from 'node:crypto';
import { rssBytes, sleep } from '../lib/proc.js';
import type { RunningTarget } from '../targets/target.js';
import { round } from './common.js';

export interface UploadOptions {
  clients: number;
  megabytes: number;
  chunkMegabytes: number;
}

export interface UploadResult {
  [k: string]: number;
  ready: number;
  failed: number;
  wallS: number;
  mbPerS: number;
  rssBeforeMB: number;
  rssPeakMB: number;
  rssGrowthMB: number;
  rssAfterMB: number;
}

const MiB = 1024 * 1024;
const block = randomBytes(MiB);

/** `n` bytes as a stream of the same random 1 MiB block (random: no signature matches, a plain file). */
function body(n: number): ReadableStream<Uint8Array> {
  let left = n;
  return new ReadableStream({
    pull(c) {
      if (left <= 0) return c.close();
      const take = Math.min(left, MiB);
      left -= take;
      c.enqueue(take === MiB ? block : block.subarray(0, take));
    },
  });
}

async function uploadOne(base: string, token: string, size: number, chunk: number): Promise<boolean> {
  const auth = { authorization: `Bearer ${token}` };
  const c = await fetch(`${base}/v1/uploads`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ size, type: 'application/octet-stream', name: 'bench.bin' }) });
  if (c.status !== 201) throw new Error(`upload create: ${c.status} ${await c.text()}`);
  const { id } = (await c.json()) as { id: string };
  let state = 'uploading';
  for (let off = 0; off < size; off += chunk) {
    const len = Math.min(chunk, size - off);
    const r = await fetch(`${base}/v1/uploads/${id}`, {
      method: 'PATCH',
      headers: { ...auth, 'content-type': 'application/offset+octet-stream', 'upload-offset': String(off), 'content-length': String(len) },
      body: body(len),
      duplex: 'half',
    } as RequestInit);
    if (r.status !== 200) throw new Error(`upload chunk: ${r.status} ${await r.text()}`);
    state = ((await r.json()) as { state: string }).state;
  }
  return state === 'ready';
}

export async function runUpload(target: RunningTarget, o: UploadOptions): Promise<UploadResult> {
  await target.restart();
  await sleep(1000);
  const e = target.endpoint();
  const tokens = e.tokens ?? [];
  if (tokens.length < o.clients) throw new Error(`upload: ${o.clients} users needed, ${tokens.length} set up`);
  const base = `http://${e.host}:${e.port}`;
  const rss0 = rssBytes(target.pid);
  let peak = rss0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(target.pid))), 100);
  const t0 = performance.now();
  const size = o.megabytes * MiB;
  const results = await Promise.allSettled(tokens.slice(0, o.clients).map((tk) => uploadOne(base, tk, size, o.chunkMegabytes * MiB)));
  const wall = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, rssBytes(target.pid));
  await sleep(1000);
  const rss1 = rssBytes(target.pid);
  const failures = results.filter((r) => r.status === 'rejected');
  if (failures.length > 0) process.stderr.write(`  upload: ${failures.length} failed, first: ${String((failures[0] as PromiseRejectedResult).reason)}\n`);
  const ready = results.filter((r) => r.status === 'fulfilled' && r.value).length;
  return {
    ready,
    failed: o.clients - ready,
    wallS: round(wall, 2),
    mbPerS: round((ready * o.megabytes) / wall),
    rssBeforeMB: round(rss0 / MiB),
    rssPeakMB: round(peak / MiB),
    rssGrowthMB: round((peak - rss0) / MiB),
    rssAfterMB: round(rss1 / MiB),
  };
}
