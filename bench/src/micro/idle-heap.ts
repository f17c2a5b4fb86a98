/**
 * Micro-benchmark of the JS heap an idle authenticated connection holds on the server (issue 17's
 * idle target): the real server (startNatter, default single-process configuration: SQLite in a
 * fresh data directory, memory bus and ephemeral store) runs in this process; N users, each with
 * one device token, are made through the admin API; a child process opens one WebSocket per user,
 * authenticates and sends one `ping`, then holds them. The heap is read after a full GC before
 * and after (process.memoryUsage().heapUsed), and with `snapshots` two heap snapshots are taken
 * and compared: own sizes summed per constructor (objects), per shape of string (runs of id-like
 * characters folded), or per kind (arrays, code, ...), the biggest growths per connection first.
 * RSS also counts the sockets' buffers and is what the idle workload reports; this isolates the
 * part the server's own maps and objects hold.
 *
 * `natter` picks the server: the work tree's packages/server/dist as built (`worktree`, the
 * default) or any commit, built like the bench's `--natter <rev>` (lib/natter-build.ts), to
 * compare two commits by alternating runs (the figures move by ±100 B per connection between runs).
 *
 *   node --expose-gc bench/dist/micro/idle-heap.js [connections=1500] [snapshots=1] [top=25] [natter=worktree]
 */
import { fork, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeHeapSnapshot } from 'node:v8';
import * as workTreeServer from '@natter/server';
import { prepareNatter } from '../lib/natter-build.js';
import { forEachLimit } from '../lib/pool.js';
import { NatterWs } from '../targets/natter-ws.js';

const SELF = fileURLToPath(import.meta.url);

type ToClients = { url: string; tokens: string[] };
type FromClients = { ok: number; failed: number; firstError: string };

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 1500);
  const snapshots = (process.argv[3] ?? '1') !== '0';
  const top = Number(process.argv[4] ?? 25);
  const which = process.argv[5] ?? 'worktree';
  const { startNatter, loadConfig } =
    which === 'worktree'
      ? workTreeServer
      : ((await import(pathToFileURL(join(dirname(prepareNatter(which, (m) => process.stderr.write(`${m}\n`)).main), 'index.js')).href)) as typeof workTreeServer);
  const dir = mkdtempSync(join(tmpdir(), 'natter-idle-heap-'));
  const adminKey = randomBytes(24).toString('base64url');
  const server = await startNatter(
    loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dir,
      ADMIN_API_KEY: adminKey,
      ACCESS_TOKEN_TTL_SECONDS: '86400',
      MAX_CONNECTIONS: '0',
      WS_MAX_PER_ADDRESS: '0',
      LOG_LEVEL: 'warn',
    }),
  );
  const clients = fork(SELF, ['--clients'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const tokens = await makeUsers(server.url, adminKey, n);
    // One connection opened and closed first: code paths compiled and lazily built once per process are in the baseline.
    await warmUp(server.url, tokens);
    const before = await settledHeap();
    const snap0 = snapshots ? writeHeapSnapshot(join(dir, 'before.heapsnapshot')) : '';
    const ready = new Promise<FromClients>((resolve) => clients.once('message', (m: FromClients) => resolve(m)));
    clients.send({ url: `${server.url.replace(/^http/, 'ws')}/v1/ws`, tokens } satisfies ToClients);
    const r = await ready;
    if (r.failed > 0) process.stderr.write(`${r.failed} connections failed, first: ${r.firstError}\n`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = await settledHeap();
    const perConn = (after - before) / r.ok;
    console.log(`${which}, connections ${r.ok}: heapUsed ${mb(before)} → ${mb(after)} MB, ${Math.round(perConn)} B of JS heap per connection`);
    if (snapshots) {
      const snap1 = writeHeapSnapshot(join(dir, 'after.heapsnapshot'));
      printDiff(sizesByName(snap0), sizesByName(snap1), r.ok, top);
    }
  } finally {
    clients.kill('SIGTERM');
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function makeUsers(url: string, adminKey: string, n: number): Promise<string[]> {
  const post = async <T>(path: string, body: unknown): Promise<T> => {
    const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-admin-key': adminKey }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const tokens = new Array<string>(n + 1);
  // One more than measured: the warm-up's.
  await forEachLimit(n + 1, 16, async (k) => {
    const user = await post<{ id: string }>('/v1/admin/users', { username: `idle_${k}` });
    tokens[k] = (await post<{ accessToken: string }>(`/v1/admin/users/${user.id}/tokens`, { deviceName: 'idle' })).accessToken;
  });
  return tokens;
}

async function warmUp(url: string, tokens: string[]): Promise<void> {
  const { conn } = await NatterWs.open(`${url.replace(/^http/, 'ws')}/v1/ws`, tokens.pop()!);
  await conn.request('ping', {});
  await new Promise<void>((resolve) => {
    conn.ws.once('close', () => resolve());
    conn.close();
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
}

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    globalThis.gc!();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

const mb = (b: number) => (b / 2 ** 20).toFixed(1);

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

const GENERIC = new Set(['Object', 'Map', 'Set', 'Array', 'system / Context']);

type Sizes = Map<string, { bytes: number; count: number; sample: string }>;

/**
 * Own sizes summed per group: constructor name for objects, a folded shape for strings, and for
 * arrays and other internals the object and property that hold them (a Map's hash table shows as
 * "(array) Map.table").
 */
function sizesByName(file: string): Sizes {
  const s = JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshot;
  const { node_fields: fields, node_types, edge_fields, edge_types } = s.snapshot.meta;
  const types = node_types[0];
  const width = fields.length;
  const TYPE = fields.indexOf('type');
  const NAME = fields.indexOf('name');
  const SIZE = fields.indexOf('self_size');
  const EDGES = fields.indexOf('edge_count');
  const ewidth = edge_fields.length;
  const ETYPE = edge_fields.indexOf('type');
  const ENAME = edge_fields.indexOf('name_or_index');
  const ETO = edge_fields.indexOf('to_node');
  const etypes = edge_types[0];
  const count = s.nodes.length / width;
  // The first strong retainer of each node: its node index and the edge's name.
  const owner = new Int32Array(count).fill(-1);
  const ownerEdge = new Array<string>(count);
  for (let node = 0, e = 0; node < count; node++) {
    const end = e + s.nodes[node * width + EDGES]! * ewidth;
    for (; e < end; e += ewidth) {
      const etype = etypes[s.edges[e + ETYPE]!];
      if (etype === 'weak' || etype === 'shortcut') continue;
      const to = s.edges[e + ETO]! / width;
      if (owner[to] !== -1) continue;
      owner[to] = node;
      const ename = etype === 'element' || etype === 'hidden' ? '' : String(s.strings[s.edges[e + ENAME]!]);
      ownerEdge[to] = ename === '' || /^\d+$/.test(ename) ? `[${etype}]` : ename;
    }
  }
  const label = (node: number) => {
    const type = types[s.nodes[node * width + TYPE]!]!;
    const name = s.strings[s.nodes[node * width + NAME]!]!;
    return type === 'object' ? name : `(${type}) ${name.slice(0, 30)}`;
  };
  // Up the retainers while they are plain containers: "in Registry.byUser.table", not "in Map.table".
  const path = (node: number) => {
    let p = '';
    for (let hops = 0; hops < 4 && owner[node] !== -1; hops++) {
      p = `.${ownerEdge[node]}${p}`;
      node = owner[node]!;
      const l = label(node);
      if (!GENERIC.has(l) && !l.startsWith('(array)') && !l.startsWith('(hidden)')) break;
    }
    return `in ${label(node)}${p}`;
  };
  const out: Sizes = new Map();
  for (let node = 0; node < count; node++) {
    const i = node * width;
    const type = types[s.nodes[i + TYPE]!]!;
    const name = s.strings[s.nodes[i + NAME]!]!;
    let key: string;
    if (type === 'object' || type === 'hidden') key = GENERIC.has(name) ? `${name} ${path(node)}` : name;
    else if (type === 'string' || type === 'concatenated string' || type === 'sliced string') {
      // Ids, tokens and numbers folded so that one shape of key per user sums up.
      key = `"${name.slice(0, 60).replace(/[A-Za-z0-9_-]{6,}/g, '…')}"`;
    } else if (type === 'closure') key = `${name || '(anonymous)'}() ${path(node)}`;
    else if (owner[node] !== -1) key = `(${type}) ${name.slice(0, 30)} ${path(node)}`;
    else key = `(${type}) ${name.slice(0, 30)}`;
    const e = out.get(key);
    if (e) {
      e.bytes += s.nodes[i + SIZE]!;
      e.count++;
    } else out.set(key, { bytes: s.nodes[i + SIZE]!, count: 1, sample: type.includes('string') ? name.slice(0, 60) : '' });
  }
  return out;
}

function printDiff(before: Sizes, after: Sizes, n: number, top: number): void {
  const rows: { key: string; bytes: number; count: number; sample: string }[] = [];
  let total = 0;
  for (const [key, a] of after) {
    const b = before.get(key) ?? { bytes: 0, count: 0, sample: '' };
    rows.push({ key, bytes: (a.bytes - b.bytes) / n, count: (a.count - b.count) / n, sample: a.sample });
    total += a.bytes - b.bytes;
  }
  for (const [key, b] of before) if (!after.has(key)) rows.push({ key, bytes: -b.bytes / n, count: -b.count / n, sample: '' }), (total -= b.bytes);
  rows.sort((x, y) => y.bytes - x.bytes);
  // Compiled code and its feedback grow with how long the server has run, not with connections.
  const code = rows.filter((r) => r.key.startsWith('(code)')).reduce((sum, r) => sum + r.bytes, 0);
  console.log(
    `snapshot diff: ${Math.round(total / n)} B per connection in all, ${Math.round(total / n - code)} B without compiled code; the top ${top} (B and objects per connection):`,
  );
  for (const r of rows.slice(0, top)) console.log(`${r.bytes.toFixed(0).padStart(7)} B ${r.count.toFixed(2).padStart(6)}  ${r.key}${r.sample && r.sample !== r.key.slice(1, -1) ? `  e.g. ${JSON.stringify(r.sample)}` : ''}`);
}

function runClients(): void {
  process.on('disconnect', () => process.exit(0));
  process.once('message', (m: ToClients) => {
    const held: NatterWs[] = [];
    let failed = 0;
    let firstError = '';
    void forEachLimit(m.tokens.length, 50, async (i) => {
      try {
        const { conn } = await NatterWs.open(m.url, m.tokens[i]!);
        await conn.request('ping', {});
        held.push(conn);
      } catch (err) {
        if (failed++ === 0) firstError = err instanceof Error ? err.message : String(err);
      }
    }).then(() => process.send?.({ ok: held.length, failed, firstError } satisfies FromClients));
  });
}

if (process.argv[2] === '--clients') runClients();
else if (typeof globalThis.gc !== 'function') {
  // Run again with the flag: the numbers need a full collection before each reading.
  const r = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, SELF, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
} else await main();
