/**
 * `natter doctor`: checks what a server started here would need, and says in words what is wrong
 * and what to do: the configuration (the same validation as start-up), the data directory and the
 * free space on its disk, the database (opened read-only: doctor never creates or migrates one),
 * the bus, and whether a server answers at --url. Exit code 1 when anything failed.
 */
import { accessSync, constants, existsSync, statfsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { ConfigError, loadConfig, openBus, type Config } from '@natter/server';

export type Verdict = 'ok' | 'warn' | 'FAIL' | 'info';
export interface Finding {
  verdict: Verdict;
  what: string;
  detail: string;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** The nearest directory that exists at or above `path`. */
function existing(path: string): string {
  let p = resolve(path);
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  return p;
}

function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from ${what} within ${ms / 1000} s`)), ms);
    }),
  ]);
}

const reason = (err: unknown): string => {
  const e = err as { message?: string; code?: string; cause?: { message?: string; code?: string } };
  const parts = [e.message, e.cause?.message ?? e.cause?.code].filter((x) => x && x !== e.message);
  return parts.join(': ') || String(err);
};

function checkDisk(config: Config): Finding[] {
  const out: Finding[] = [];
  const dir = config.dataDir;
  const base = existing(dir);
  try {
    accessSync(base, constants.W_OK);
    out.push({ verdict: 'ok', what: 'data directory', detail: existsSync(dir) ? `${dir} is writable` : `${dir} does not exist yet; it will be created (in ${base}, writable)` });
  } catch {
    out.push({ verdict: 'FAIL', what: 'data directory', detail: `${base} is not writable by this user: the server cannot keep its database or secret there (DATA_DIR)` });
  }
  try {
    const s = statfsSync(base);
    const free = s.bavail * s.bsize;
    const shown = `${(free / GiB).toFixed(1)} GiB free on the disk of ${base}`;
    if (free < 100 * MiB) out.push({ verdict: 'FAIL', what: 'disk', detail: `${shown}: too little; a full disk stops every write` });
    else if (free < GiB) out.push({ verdict: 'warn', what: 'disk', detail: `${shown}: the SQLite database and its WAL grow with every message` });
    else out.push({ verdict: 'ok', what: 'disk', detail: shown });
  } catch (err) {
    out.push({ verdict: 'warn', what: 'disk', detail: `cannot tell the free space of ${base} (${reason(err)})` });
  }
  return out;
}

async function checkDatabase(config: Config): Promise<Finding> {
  const url = config.DATABASE_URL;
  if (url === undefined || url.startsWith('sqlite:')) {
    const path = url ? resolve(url.slice('sqlite:'.length)) : join(config.dataDir, 'natter.db');
    if (path.endsWith(':memory:')) return { verdict: 'info', what: 'database', detail: 'SQLite in memory: everything is lost when the process stops' };
    if (!existsSync(path)) return { verdict: 'ok', what: 'database', detail: `SQLite at ${path}: not created yet; the server creates it at first start` };
    try {
      const db = new Database(path, { readonly: true, fileMustExist: true });
      try {
        const check = db.pragma('quick_check', { simple: true });
        const version = (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }).v;
        if (check !== 'ok') return { verdict: 'FAIL', what: 'database', detail: `SQLite at ${path} is damaged (quick_check: ${String(check)}); restore it from a backup` };
        return { verdict: 'ok', what: 'database', detail: `SQLite at ${path}, schema version ${version ?? 'none'}, integrity check passed` };
      } finally {
        db.close();
      }
    } catch (err) {
      return { verdict: 'FAIL', what: 'database', detail: `cannot read the SQLite database at ${path}: ${reason(err)}` };
    }
  }
  const safe = url.replace(/\/\/[^/@\s]*@/, '//***@');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await within(6000, 'PostgreSQL', client.connect());
    const v = await client.query<{ server_version: string }>('SHOW server_version');
    const schema = config.DATABASE_SCHEMA ?? 'public';
    const t = await client.query<{ n: string }>(`SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'schema_migrations'`, [schema]);
    const ready = Number(t.rows[0]?.n ?? 0) > 0;
    return {
      verdict: 'ok',
      what: 'database',
      detail: `PostgreSQL ${v.rows[0]?.server_version ?? ''} at ${safe}${ready ? `, Natter's tables in schema ${schema}` : `; schema ${schema} has no Natter tables yet (the server creates them at first start)`}`,
    };
  } catch (err) {
    return { verdict: 'FAIL', what: 'database', detail: `cannot connect to PostgreSQL at ${safe}: ${reason(err)}. Is it running, and do DATABASE_URL's user, password and database exist?` };
  } finally {
    await client.end().catch(() => {});
  }
}

async function checkBus(config: Config): Promise<Finding> {
  const url = config.BUS_URL;
  if (url === undefined || url.startsWith('memory:')) {
    return { verdict: 'ok', what: 'bus', detail: 'in-process (one server process; set BUS_URL=redis://… or nats://… to run several)' };
  }
  const safe = url.replace(/\/\/[^/@\s]*@/, '//***@');
  try {
    const bus = await within(6000, safe, openBus(config));
    await bus.close();
    return { verdict: 'ok', what: 'bus', detail: `connected to ${safe}` };
  } catch (err) {
    const kind = url.startsWith('nats') ? 'NATS (nats-server -js)' : 'Redis';
    return { verdict: 'FAIL', what: 'bus', detail: `cannot connect to ${safe}: ${reason(err)}. Is ${kind} running there?` };
  }
}

async function checkServer(url: string): Promise<Finding> {
  try {
    const res = await within(3000, url, fetch(new URL('/healthz', url)));
    return res.ok
      ? { verdict: 'ok', what: 'server', detail: `a Natter server answers at ${url}` }
      : { verdict: 'warn', what: 'server', detail: `${url}/healthz answered ${res.status}` };
  } catch {
    return { verdict: 'info', what: 'server', detail: `no server answers at ${url} (fine if you have not started it: natter serve)` };
  }
}

/** Runs every check; never throws. */
export async function doctor(serverUrl: string, env: NodeJS.ProcessEnv = process.env): Promise<Finding[]> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const lines = err.message.replace(/^invalid configuration:\n/, '').trim();
    return [{ verdict: 'FAIL', what: 'configuration', detail: `the server would not start:\n${lines}` }, await checkServer(serverUrl)];
  }
  const out: Finding[] = [
    { verdict: 'ok', what: 'configuration', detail: `valid; HOST=${config.HOST} PORT=${config.PORT}, REGISTRATION=${config.REGISTRATION}, admin API ${config.ADMIN_API_KEY ? 'on' : 'off (ADMIN_API_KEY unset)'}` },
    ...config.warnings.map((w): Finding => ({ verdict: 'warn', what: 'configuration', detail: w })),
  ];
  if (config.HOST === '0.0.0.0' || config.HOST === '::') {
    out.push({ verdict: 'info', what: 'exposure', detail: `HOST=${config.HOST} listens on every interface${config.REGISTRATION === 'open' ? ' with open registration: anyone who reaches this machine can create an account' : ''}` });
  }
  out.push(...checkDisk(config), await checkDatabase(config), await checkBus(config), await checkServer(serverUrl));
  return out;
}

export function formatFindings(findings: Finding[]): string {
  return findings.map((f) => `${f.verdict.padEnd(5)} ${f.what}: ${f.detail.replace(/\n/g, '\n      ')}`).join('\n') + '\n';
}
