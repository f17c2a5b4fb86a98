/**
 * Cluster: the same fan-out clients at the same fixed rates against Natter in cluster mode as one
 * process and as three (node:cluster workers on one port), on PostgreSQL with a Redis bus and
 * with a NATS bus. Each configuration gets a PostgreSQL database of its own, so that database's
 * statistics (xact_commit) and backends (pg_stat_activity) are this run's alone: besides sends/s
 * and p99, it reports server CPU per message summed over every Natter process, and PostgreSQL's
 * own CPU (its backends' /proc stats; not the WAL writer or checkpointer) and commits/s.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connectorFor } from '../targets/index.js';
import { NatterTarget } from '../targets/natter.js';
import { FanoutSession, type FanoutOptions, type TrialResult } from './fanout.js';
import { round, type RunRecord } from './common.js';

const PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const BUSES = {
  redis: process.env.BENCH_BUS_URL ?? 'redis://127.0.0.1:6379',
  nats: process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222',
} as const;

export interface ClusterOptions extends Omit<FanoutOptions, 'drainS' | 'maxUnacked'> {
  rates: number[];
  processes: number[];
  buses: (keyof typeof BUSES)[];
}

const psql = (sql: string, url = PG_URL): string => execFileSync('psql', [url, '-Atq', '-c', sql], { encoding: 'utf8' }).trim();
const onDatabase = (db: string) => {
  const u = new URL(PG_URL);
  u.pathname = `/${db}`;
  return u.toString();
};

/** CPU seconds (user + system) of one process, from /proc/PID/stat; 0 once it is gone. */
function procCpuS(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/** PostgreSQL's side of one trial: its backends' CPU and the commits in the run's database. */
class PgProbe {
  private cpu0 = new Map<number, number>();
  private commits0 = 0;
  private t0 = 0;
  constructor(private readonly db: string) {}
  private backends(): number[] {
    return psql(`SELECT pid FROM pg_stat_activity WHERE datname = '${this.db}' AND backend_type = 'client backend'`)
      .split('\n')
      .filter(Boolean)
      .map(Number);
  }
  private commits(): number {
    return Number(psql(`SELECT pg_stat_clear_snapshot(); SELECT xact_commit FROM pg_stat_database WHERE datname = '${this.db}'`).split('\n').at(-1));
  }
  start(): void {
    this.cpu0 = new Map(this.backends().map((p) => [p, procCpuS(p)]));
    this.commits0 = this.commits();
    this.t0 = performance.now();
  }
  stop(): { pgCpu: number; pgCommitsPerS: number } {
    const wallS = (performance.now() - this.t0) / 1000;
    let cpu = 0;
    for (const p of new Set([...this.cpu0.keys(), ...this.backends()])) cpu += Math.max(0, procCpuS(p) - (this.cpu0.get(p) ?? procCpuS(p)));
    // Backends that closed during the trial are lost to this sum; the pool keeps its connections open.
    return { pgCpu: round((100 * cpu) / wallS), pgCommitsPerS: Math.round((this.commits() - this.commits0) / wallS) };
  }
}

/** Every (processes, bus) configuration, every rate: one record each. */
export async function runCluster(o: ClusterOptions, emit: (r: RunRecord) => void, progress: (m: string) => void, rep: number): Promise<void> {
  const rooms = FanoutSession.roomMembers(o);
  for (const bus of o.buses) {
    for (const processes of o.processes) {
      const db = `bench_${randomBytes(4).toString('hex')}`;
      psql(`CREATE DATABASE ${db}`);
      let t: NatterTarget | null = null;
      try {
        progress(`cluster: ${processes} process(es), PostgreSQL + ${bus}`);
        t = await NatterTarget.startCluster(processes, { databaseUrl: onDatabase(db), busUrl: BUSES[bus] });
        const ids = await t.setup(o.clients, rooms, 'group');
        const session = new FanoutSession(t, connectorFor(t.endpoint()), ids, { ...o, drainS: 5, maxUnacked: 256 });
        await session.open();
        try {
          for (const rate of o.rates) {
            const pg = new PgProbe(db);
            pg.start();
            const r: TrialResult = await session.run(rate);
            const p = pg.stop();
            const perMsg = (cpuPct: number) => round((10 * cpuPct) / Math.max(1, r.sentPerS), 3);
            emit({
              workload: 'cluster',
              config: `${o.clients}x${o.groupSize} @${rate}/s, ${processes}p + ${bus}`,
              target: t.name,
              rep,
              ...r,
              processes,
              serverCpuMsPerMsg: perMsg(r.serverCpu),
              ...p,
              pgCpuMsPerMsg: perMsg(p.pgCpu),
              pgCommitsPerMsg: round(p.pgCommitsPerS / Math.max(1, r.sentPerS), 2),
            });
          }
        } finally {
          session.close();
        }
      } finally {
        await t?.stop();
        try {
          psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
        } catch {
          progress(`cluster: could not drop database ${db}; drop it by hand`);
        }
      }
    }
  }
}
