/**
 * Micro-benchmark of what a live-room send waits for before it is posted (Rooms.send): its
 * mute check and its two rate windows in the Ephemeral store (the sender's and the room's, which
 * every send takes), on Redis and on NATS. Three store instances stand for three processes,
 * each taking a third of the room's sends from 20 senders; prints the wait's p50/p99/max and the
 * calls that gave up after the store's timeout (the send then goes out unchecked).
 *
 * Pass another build's server to compare two commits on the same host at the same time
 * (bench/RESULTS.md, issue 25, "NATS at 500/s"):
 *
 *   node bench/dist/micro/room-send-checks.js [sends/s=500] [seconds=10] [server dist index.js …]
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

interface Eph {
  get(key: string): Promise<string | null>;
  increment(key: string, by: number, windowMs: number): Promise<{ count: number }>;
  close(): Promise<void>;
}
type Server = { createEphemeral(url: string, o: { prefix: string }): Promise<Eph> };

const rate = Number(process.argv[2] ?? 500);
const seconds = Number(process.argv[3] ?? 10);
const servers = process.argv.length > 4 ? process.argv.slice(4) : ['@natter/server'];
const URLS = { redis: process.env.BENCH_BUS_URL ?? 'redis://127.0.0.1:6379', nats: process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222' };
const PROCESSES = 3;
const SENDERS = 20;

const pct = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;

async function run(server: Server, url: string): Promise<{ p50: number; p99: number; max: number; gaveUp: number; n: number }> {
  const room = `r_bench${Math.random().toString(36).slice(2, 10)}`;
  const stores = await Promise.all(Array.from({ length: PROCESSES }, () => server.createEphemeral(url, { prefix: 'natter-bench-rooms' })));
  const waits: number[] = [];
  let gaveUp = 0;
  const inFlight: Promise<void>[] = [];
  const started = performance.now();
  let sent = 0;
  try {
    while (performance.now() - started < seconds * 1000) {
      const due = Math.floor(((performance.now() - started) / 1000) * rate) + 1;
      for (; sent < due; sent++) {
        const eph = stores[sent % PROCESSES]!;
        const user = `u_${sent % SENDERS}`;
        const t0 = performance.now();
        // Rooms.send's checks, in its order: mute, the sender's window, the room's window.
        inFlight.push(
          (async () => {
            try {
              await eph.get(`room:${room}:mute:${user}`);
              await eph.increment(`room:${room}:rate:${user}`, 1, 10_000);
              await eph.increment(`room:${room}:rate`, 1, 1000);
            } catch {
              gaveUp++;
            }
            waits.push(performance.now() - t0);
          })(),
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.all(inFlight);
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
  waits.sort((a, b) => a - b);
  return { p50: pct(waits, 0.5), p99: pct(waits, 0.99), max: waits.at(-1) ?? 0, gaveUp, n: waits.length };
}

console.log(`| server | store | sends | wait p50 ms | p99 ms | max ms | gave up (timeout) |`);
console.log(`|---|---|---:|---:|---:|---:|---:|`);
for (const s of servers) {
  const server = (await import(s.startsWith('@') ? s : pathToFileURL(resolve(s)).href)) as Server;
  for (const [name, url] of Object.entries(URLS)) {
    const r = await run(server, url);
    console.log(`| ${s} | ${name} | ${r.n} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(1)} | ${r.gaveUp} |`);
  }
}
