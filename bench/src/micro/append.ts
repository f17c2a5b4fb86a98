/**
 * Micro-benchmark of the SQLite store's group commit in the shape of the direct workload:
 * P direct conversations, batches holding one message per conversation. Prints µs of CPU per
 * stored message and bytes written to the WAL per message. Used to compare storage layouts;
 * the ratios against peers come from the real workloads.
 *
 *   node bench/dist/micro/append.js [pairs=100] [batches=400] [dir]
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '@natter/server';
import { clientMsgId } from '../lib/marker.js';

const pairs = Number(process.argv[2] ?? 100);
const batches = Number(process.argv[3] ?? 400);
const dir = process.argv[4] ?? mkdtempSync(join(tmpdir(), 'natter-append-'));
const store = new SqliteStore({ path: join(dir, 'natter.db'), durability: 'normal' });
const now = Date.now();
let ids = 0;
const id = () => `${(now + ids).toString(36)}-${(ids++).toString(36).padStart(8, '0')}`;

const convs: string[] = [];
const senders: string[][] = [];
for (let p = 0; p < pairs; p++) {
  const users = [0, 1].map((k) => `u${p}x${k}`);
  for (const u of users) await store.createUser({ id: u, username: u, passwordHash: null, displayName: null, avatarUrl: null, createdAt: now });
  const c = await store.openDirect(users[0]!, users[1]!, () => ({
    id: id(),
    kind: 'direct',
    title: null,
    createdBy: users[0]!,
    members: users.map((userId) => ({ userId, role: 'member' as const })),
    createdMessageId: id(),
    createdAt: now,
  }));
  convs.push(c.state.id);
  senders.push(users);
}

const body = JSON.stringify({ text: 'x'.repeat(64) });
const run = async (n: number) => {
  for (let b = 0; b < n; b++) {
    const batch = convs.map((conversationId, p) => ({
      id: id(),
      conversationId,
      senderId: senders[p]![b & 1]!,
      type: 'text' as const,
      body,
      clientMsgId: clientMsgId('micro', p, ids),
      replyTo: null,
      createdAt: now,
    }));
    await store.appendMessages(batch);
  }
};
await run(100); // warm-up: pages cached, WAL grown
const wal = join(dir, 'natter.db-wal');
const wchar = () => Number(/wchar: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1]);
const w0 = wchar();
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
await run(batches);
const cpu = process.cpuUsage(cpu0);
const written = wchar() - w0;
const wallUs = Number(process.hrtime.bigint() - t0) / 1e3;
const msgs = batches * pairs;
console.log(
  JSON.stringify({
    pairs,
    batches,
    cpuUsPerMsg: +((cpu.user + cpu.system) / msgs).toFixed(2),
    wallUsPerMsg: +(wallUs / msgs).toFixed(2),
    writtenKBPerMsg: +(written / msgs / 1024).toFixed(2),
    walMB: +(statSync(wal).size / 2 ** 20).toFixed(1),
  }),
);
await store.close();
if (process.argv[4] === undefined) rmSync(dir, { recursive: true, force: true });
