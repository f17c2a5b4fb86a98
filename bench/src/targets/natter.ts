/**
 * Natter as a target: the real server (packages/server/dist/main.js) in its default single-
 * process configuration with durable SQLite in a fresh data directory (`natter`), or in cluster
 * mode (`natter-cluster`): two worker processes behind node:cluster on one port, PostgreSQL in
 * a fresh schema of the local `test` database, Redis as the bus. Users and tokens are made
 * through the admin API (no password hashing), conversations through REST.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { ACK_DELAY_MS } from '@natter/protocol';
import type { NatterBuild } from '../lib/natter-build.js';
import { forEachLimit } from '../lib/pool.js';
import { freePort, sleep, spawnChild, stopChild, waitHttp } from '../lib/proc.js';
import { NatterWs } from './natter-ws.js';
import type { AckCadence, BenchClient, Connect, Endpoint, Handlers, RunningTarget } from './target.js';

const SERVER_PKG = fileURLToPath(new URL('../../../packages/server/package.json', import.meta.url));

/** The server build to run (see lib/natter-build.ts); set once by the CLI. */
export const natterBuild: NatterBuild & { nodeArgs: string[] } = { main: '', describe: 'not prepared', nodeArgs: [] };
/** The build `natter-b` runs when it is not natter's (`--natter-b <rev>`): two commits in lockstep. */
export const natterBBuild: { build: NatterBuild | null } = { build: null };

export interface NatterUser {
  id: string;
  token: string;
}

/** Where cluster mode finds its services (the machine's own; override for another setup). */
const CLUSTER_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CLUSTER_BUS_URL = process.env.BENCH_BUS_URL ?? 'redis://127.0.0.1:6379';
export const CLUSTER_WORKERS = 2;

export interface CommitTotals {
  commits: number;
  messages: number;
  sendBuckets: Map<number, number>;
  commitBuckets: Map<number, number>;
  queueBuckets: Map<number, number>;
  /** Seconds the SQLite thread has been busy (NaN on a build without the metric). */
  sqliteBusyS: number;
  /** The main thread's garbage-collection pauses (prom-client's default metric): seconds in all, and how many took over 10 ms. */
  gcS: number;
  gcOver10ms: number;
  /**
   * The event loop's longest delay since the previous scrape (prom-client's monitor, a 10 ms timer,
   * so the figure includes up to 10 ms of its own interval; a scrape resets it).
   */
  loopLagMaxS: number;
}

/** Summed over the kinds of pause (minor, major, incremental, weak callbacks). */
function gcTotals(metrics: string): { gcS: number; gcOver10ms: number } {
  let gcS = 0;
  let gcOver10ms = 0;
  for (const m of metrics.matchAll(/^nodejs_gc_duration_seconds_sum\{[^}]*\} (\S+)$/gm)) gcS += Number(m[1]);
  for (const m of metrics.matchAll(/^nodejs_gc_duration_seconds_count\{kind="([^"]+)"\} (\S+)$/gm)) {
    const under = new RegExp(`^nodejs_gc_duration_seconds_bucket\\{le="0.01",kind="${m[1]}"\\} (\\S+)$`, 'm').exec(metrics);
    gcOver10ms += Number(m[2]) - Number(under?.[1] ?? m[2]);
  }
  return { gcS, gcOver10ms };
}

/** The environment `natter-b` adds to the default configuration (`--natter-b-env K=V,K=V`). */
export const natterBEnv: Record<string, string> = {};

export class NatterTarget implements RunningTarget {
  readonly version: string;
  users: NatterUser[] = [];
  private child!: ChildProcess & { stderrTail: () => string };
  /** Cluster mode: where its schema lives. */
  private databaseUrl = CLUSTER_DATABASE_URL;
  private readonly adminKey = randomBytes(24).toString('base64url');

  private constructor(
    readonly name: 'natter' | 'natter-b' | 'natter-cluster',
    readonly port: number,
    readonly dataDir: string,
    private readonly env: Record<string, string>,
    /** Cluster mode: the PostgreSQL schema dropped again at stop(). */
    private readonly schema: string | null = null,
    workers = 1,
  ) {
    const pkg = JSON.parse(readFileSync(SERVER_PKG, 'utf8')) as { version: string };
    const storage = schema
      ? `cluster mode: ${workers} worker processes, PostgreSQL (synchronous commit), ${(env.BUS_URL ?? '').split(':')[0]} bus`
      : name === 'natter-b' && Object.keys(env).length > 0
        ? `SQLite, default durability with ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')}`
        : 'SQLite, default durability';
    this.version = `natter ${pkg.version}, ${this.build.describe} (node ${process.version}, ${storage})`;
  }

  /** `natter-b`: natter's configuration plus `env` (`--natter-b-env`), on natter's build or its own (`--natter-b`), for A/B runs in lockstep. */
  static async start(env: Record<string, string> = {}, name: 'natter' | 'natter-b' = 'natter'): Promise<NatterTarget> {
    const t = new NatterTarget(name, await freePort(), mkdtempSync(join(tmpdir(), 'natter-bench-')), env);
    await t.launch();
    return t;
  }

  /**
   * Cluster mode on this machine's PostgreSQL and Redis, in a schema of its own; `at` names
   * another database (the cluster workload gives each configuration its own) or bus.
   */
  static async startCluster(workers = CLUSTER_WORKERS, at: { databaseUrl?: string; busUrl?: string; env?: Record<string, string> } = {}): Promise<NatterTarget> {
    const schema = `bench_${randomBytes(4).toString('hex')}`;
    const env = {
      DATABASE_URL: at.databaseUrl ?? CLUSTER_DATABASE_URL,
      DATABASE_SCHEMA: schema,
      BUS_URL: at.busUrl ?? CLUSTER_BUS_URL,
      WORKERS: String(workers),
      JWT_SECRET: randomBytes(32).toString('base64url'),
      ...at.env,
    };
    const t = new NatterTarget('natter-cluster', await freePort(), mkdtempSync(join(tmpdir(), 'natter-bench-')), env, schema, workers);
    t.databaseUrl = env.DATABASE_URL;
    await t.launch();
    return t;
  }

  private get build(): NatterBuild {
    return (this.name === 'natter-b' && natterBBuild.build) || natterBuild;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/v1/ws`;
  }

  /** Starts the server process on this target's port and data directory. */
  async launch(): Promise<void> {
    this.child = spawnChild(process.execPath, [...natterBuild.nodeArgs, this.build.main], {
      name: 'natter',
      env: {
        ...process.env,
        PORT: String(this.port),
        HOST: '127.0.0.1',
        DATA_DIR: this.dataDir,
        ADMIN_API_KEY: this.adminKey,
        // Tokens are minted once per target and reused across repetitions and restarts.
        ACCESS_TOKEN_TTL_SECONDS: '86400',
        // Every bench client connects from 127.0.0.1, tens of thousands at once in idle-many:
        // the per-address and per-process caps are for the open internet, not for this.
        MAX_CONNECTIONS: '0',
        WS_MAX_PER_ADDRESS: '0',
        ...this.env,
      },
    });
    // Three workers migrating and listening on a loaded 2-core host can take more than 20 s.
    await waitHttp(`${this.url}/healthz`, this.child, this.name === 'natter-cluster' ? 90_000 : 20_000);
    // Cluster mode answers once the first worker listens; the other is a moment behind.
    if (this.schema) await sleep(1500);
  }

  /** Stops the process (SIGTERM: graceful, closes every socket; SIGKILL: a crash). */
  async halt(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await stopChild(this.child, signal, 15_000);
  }

  /**
   * Cumulative figures from /metrics: commits, messages committed, and histograms (upper bound
   * in seconds → count at or below) of how long `send` frames took inside the server, how long
   * commits took and how long their oldest send queued before them, and the SQLite thread's
   * busy time.
   */
  async commitTotals(): Promise<CommitTotals> {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    const pick = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    const buckets = (name: string, labels = '') => {
      const out = new Map<number, number>();
      for (const m of text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"${labels}\\} (\\S+)$`, 'gm'))) {
        out.set(m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2]));
      }
      return out;
    };
    return {
      commits: pick('natter_commit_batch_size_count'),
      messages: pick('natter_commit_batch_size_sum'),
      sendBuckets: buckets('natter_frame_duration_seconds', ',type="send"'),
      commitBuckets: buckets('natter_commit_duration_seconds'),
      queueBuckets: buckets('natter_commit_queue_seconds'),
      sqliteBusyS: pick('natter_sqlite_thread_busy_seconds_total'),
      loopLagMaxS: pick('nodejs_eventloop_lag_max_seconds'),
      ...gcTotals(text),
    };
  }

  async restart(): Promise<void> {
    await this.halt('SIGTERM');
    await this.launch();
  }

  endpoint(): Endpoint {
    return { target: this.name === 'natter-cluster' ? 'natter' : this.name, host: '127.0.0.1', port: this.port, tokens: this.users.map((u) => u.token) };
  }

  private async http<T>(method: string, path: string, body: unknown, auth: { admin: true } | { token: string }): Promise<T> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if ('admin' in auth) headers['x-admin-key'] = this.adminKey;
    else headers.authorization = `Bearer ${auth.token}`;
    const res = await fetch(`${this.url}${path}`, { method, headers, body: JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
    return JSON.parse(text) as T;
  }

  /** Makes users until there are `n`, each with one device token. */
  async ensureUsers(n: number): Promise<void> {
    const start = this.users.length;
    if (n <= start) return;
    const made = new Array<NatterUser>(n - start);
    const tag = randomBytes(3).toString('hex');
    await forEachLimit(n - start, 24, async (k) => {
      const user = await this.http<{ id: string }>('POST', '/v1/admin/users', { username: `b${tag}_${start + k}` }, { admin: true });
      const tokens = await this.http<{ accessToken: string }>('POST', `/v1/admin/users/${user.id}/tokens`, { deviceName: 'bench' }, { admin: true });
      made[k] = { id: user.id, token: tokens.accessToken };
    });
    this.users.push(...made);
  }

  /** One more device (token) for an existing user. */
  async mintToken(user: number): Promise<string> {
    const u = this.users[user]!;
    return (await this.http<{ accessToken: string }>('POST', `/v1/admin/users/${u.id}/tokens`, { deviceName: 'bench-2' }, { admin: true })).accessToken;
  }

  async setup(users: number, rooms: number[][], kind: 'group' | 'direct'): Promise<string[]> {
    await this.ensureUsers(users);
    const ids = new Array<string>(rooms.length);
    await forEachLimit(rooms.length, 8, async (r) => {
      const members = rooms[r]!;
      const owner = this.users[members[0]!]!;
      if (kind === 'direct') {
        if (members.length !== 2) throw new Error('a direct conversation has two members');
        const c = await this.http<{ id: string }>('POST', '/v1/conversations/direct', { userId: this.users[members[1]!]!.id }, { token: owner.token });
        ids[r] = c.id;
      } else {
        const others = members.slice(1).map((m) => this.users[m]!.id);
        const c = await this.http<{ id: string }>('POST', '/v1/conversations', { title: `bench ${r}`, members: others }, { token: owner.token });
        ids[r] = c.id;
      }
    });
    return ids;
  }

  async stop(): Promise<void> {
    await this.halt('SIGTERM');
    rmSync(this.dataDir, { recursive: true, force: true });
    if (this.schema) {
      try {
        execFileSync('psql', [this.databaseUrl, '-q', '-c', `DROP SCHEMA IF EXISTS ${this.schema} CASCADE`], { stdio: 'ignore' });
      } catch {
        process.stderr.write(`natter-cluster: could not drop schema ${this.schema} (psql missing?); drop it by hand\n`);
      }
    }
  }
}

/** The SDK's ack delay (packages/client/src/sync.ts, `ackDelayMs`). */
export const SDK_ACK_DELAY_MS = ACK_DELAY_MS;

/** How a record names the ack cadence its Natter clients used. */
export const ackLabel = (acks: AckCadence | undefined): string => (acks === 'none' ? 'never' : `like the SDK (≤ ${SDK_ACK_DELAY_MS} ms, ping every heartbeat)`);

/**
 * Lean Natter clients for load: auth, then publishes and deliveries on the fast path; with
 * `acks: 'sdk'` (the default) they ack and ping like the SDK.
 */
export function natterConnect(e: Endpoint): Connect {
  const url = `ws://${e.host}:${e.port}/v1/ws`;
  const sdk = (e.acks ?? 'sdk') === 'sdk';
  return async (user: number, _rooms: string[], h: Handlers, localAddress?: string): Promise<BenchClient> => {
    const token = e.tokens?.[user];
    if (!token) throw new Error(`natter: no token for user ${user}`);
    // Membership was set up through REST; the server routes the user's conversations at auth.
    const { conn } = await NatterWs.open(url, token, {
      lean: h,
      ...(sdk && { ackDelayMs: SDK_ACK_DELAY_MS, ping: true }),
      ...(localAddress !== undefined && { localAddress }),
    });
    return {
      publish: (room, text, ack, clientMsgId) => conn.send(room, text, ack, clientMsgId),
      close: () => conn.close(),
      acksSent: () => conn.acksSent,
    };
  };
}
