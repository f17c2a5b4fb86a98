/**
 * The server's memory stays flat while many clients upload large files at once (issue 23's
 * "Bad input": 20 × 100 MB is the bench's `upload` workload; this is a smaller version that fits
 * a test): 10 clients × 20 MB, bodies generated as they are sent, server in this process. The
 * process's peak RSS may grow by far less than the 200 MB in flight — streaming, not buffering.
 * No timing is asserted.
 */
import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { register, startTestServer } from '../harness.js';

const MiB = 1024 * 1024;
const block = randomBytes(MiB);

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

it('10 concurrent 20 MB uploads: peak RSS grows by less than half the bytes in flight', { timeout: 120_000 }, async () => {
  const t = await startTestServer({ MEDIA_GC_INTERVAL_SECONDS: 0 });
  try {
    const users = await Promise.all(Array.from({ length: 10 }, () => register(t.url)));
    const size = 20 * MiB;
    globalThis.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const states = await Promise.all(
      users.map(async (u) => {
        const auth = { authorization: `Bearer ${u.accessToken}` };
        const c = await fetch(`${t.url}/v1/uploads`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ size, type: 'application/octet-stream' }) });
        const { id } = (await c.json()) as { id: string };
        let state = '';
        for (let off = 0; off < size; off += 8 * MiB) {
          const len = Math.min(8 * MiB, size - off);
          const r = await fetch(`${t.url}/v1/uploads/${id}`, {
            method: 'PATCH',
            headers: { ...auth, 'content-type': 'application/offset+octet-stream', 'upload-offset': String(off), 'content-length': String(len) },
            body: body(len),
            duplex: 'half',
          } as RequestInit);
          state = ((await r.json()) as { state: string }).state;
        }
        return state;
      }),
    );
    clearInterval(sampler);
    expect(states).toEqual(Array(10).fill('ready'));
    const growthMB = (peak - before) / MiB;
    expect(growthMB).toBeLessThan(100);
  } finally {
    await t.close();
  }
});
