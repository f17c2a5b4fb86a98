/**
 * Micro-benchmark of `sync` for a user in many conversations (issue 21): a user in N groups
 * (default 1,000), each with a few messages from someone else, some read. Measures, at the
 * Store (what the server's `sync` does besides decoding the token and encoding the answer,
 * which is measured too, as JSON.stringify of each page):
 * - a full sync from scratch (every page of 100 views, with previews, counts and the total);
 * - an incremental sync after 10 of the conversations got a message (one page);
 * - an incremental sync with nothing changed (the total badge alone).
 * Prints wall ms and process CPU ms (user + system) per sync, median of `rounds`. On SQLite the
 * store runs in this process, so CPU is the whole server-side cost; on PostgreSQL it is this
 * process's share only (the database's own CPU is not counted).
 *
 *   node bench/dist/micro/sync-1000.js [conversations=1000] [rounds=5] [postgres-url]
 * With a PostgreSQL URL it runs on PostgreSQL in a fresh schema (dropped at the end), else on
 * SQLite in a temp dir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresStore, SqliteStore, type NewMessage, type Store } from '@natter/server';

const N = Number(process.argv[2] ?? 1000);
const rounds = Number(process.argv[3] ?? 5);
const pgUrl = process.argv[4];
const schema = `natter_bench_sync_${Date.now().toString(36)}`;
const dir = mkdtempSync(join(tmpdir(), 'natter-sync-'));
const store: Store = pgUrl
  ? await PostgresStore.open({ connectionString: pgUrl, schema, poolMax: 4 })
  : new SqliteStore({ path: join(dir, 'natter.db'), durability: 'normal' });
const now = Date.now();
let ids = 0;
const id = (p: string) => `${p}${(ids++).toString(36).padStart(8, '0')}`;

for (const u of ['me', 'other']) await store.createUser({ id: u, username: u, passwordHash: null, displayName: null, avatarUrl: null, createdAt: now });
const convs: string[] = [];
for (let i = 0; i < N; i++) {
  const c = await store.createConversation({
    id: id('c'),
    kind: 'group',
    title: `group ${i}`,
    createdBy: 'other',
    members: [
      { userId: 'other', role: 'owner' },
      { userId: 'me', role: 'member' },
    ],
    createdMessageId: id('m'),
    createdAt: now,
  });
  convs.push(c.state.id);
}
const send = (conversationId: string, text: string): NewMessage => ({
  id: id('m'),
  conversationId,
  senderId: 'other',
  type: 'text',
  body: JSON.stringify({ text }),
  clientMsgId: id('k'),
  replyTo: null,
  createdAt: Date.now(),
});
// Five messages in each, in batches of 100 as the committer would hand them over.
for (let k = 0; k < 5; k++) {
  for (let i = 0; i < N; i += 100) await store.appendMessages(convs.slice(i, i + 100).map((c) => send(c, `message ${k} in ${c}`)));
}
// A third read to the end, so counts differ.
for (let i = 0; i < N; i += 3) await store.markRead('me', convs[i]!, 6);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(
  name: string,
  run: () => Promise<{ pages: number; views: number; total: number }>,
  before: () => Promise<unknown> = async () => {},
): Promise<void> {
  const wall: number[] = [];
  const cpu: number[] = [];
  let last = { pages: 0, views: 0, total: 0 };
  for (let r = 0; r < rounds; r++) {
    await before();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    last = await run();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  console.log(
    `${name.padEnd(34)} wall ${median(wall).toFixed(1).padStart(7)} ms  cpu ${median(cpu).toFixed(1).padStart(7)} ms  ` +
      `(pages ${last.pages}, views ${last.views}, totalUnread ${last.total})`,
  );
}

/** Follows pages from `since` as the server's sync does, encoding each as its answer would be. */
async function syncFrom(since: number): Promise<{ pages: number; views: number; total: number; version: number }> {
  let version = since;
  let pages = 0;
  let views = 0;
  let total = 0;
  for (;;) {
    const page = await store.changesSince('me', version, 100);
    JSON.stringify({ type: 'result', id: 1, data: { conversations: page.conversations, token: 'v1.x', hasMore: page.hasMore, totalUnread: page.totalUnread } });
    pages++;
    views += page.conversations.length;
    total = page.totalUnread;
    version = page.version;
    if (!page.hasMore) return { pages, views, total, version };
  }
}

console.log(`sync for a user in ${N} conversations on ${pgUrl ? 'PostgreSQL' : 'SQLite'} (median of ${rounds})`);
await measure('full sync (from scratch)', () => syncFrom(0));
let version = (await syncFrom(0)).version;
await measure(
  'incremental, 10 changed',
  async () => {
    const r = await syncFrom(version);
    version = r.version;
    return r;
  },
  // The sends are not timed: only the sync that follows them.
  () => store.appendMessages(convs.slice(0, 10).map((c) => send(c, 'new'))),
);
await measure('incremental, nothing changed', () => syncFrom(version));

await store.close();
rmSync(dir, { recursive: true, force: true });
if (pgUrl) {
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await c.end();
}
