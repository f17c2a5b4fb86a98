/**
 * The `natter` command (issue 20), run as a user runs it — packages/cli/bin/natter.js (the built CLI) in a
 * child process — against live servers: every command has a test here. `npm test` builds first.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '@natter/server';
import { ADMIN_KEY, api, perTest, register } from '../harness.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const CLI = join(ROOT, 'packages/cli/bin/natter.js');
const { start, defer } = perTest();
const password = 'correct horse battery';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment without anything of the caller's that the CLI or the server would read. */
function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const settings = new Set(Object.keys(configSchema.shape));
  for (const [k, v] of Object.entries(process.env)) if (!settings.has(k) && !k.startsWith('NATTER_')) env[k] = v;
  return { ...env, LOG_FORMAT: 'json', ...extra };
}

/** A running `natter …`; `done` settles when it exits. */
function spawnCli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: baseEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (b: Buffer) => (out.stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out.stderr += b.toString()));
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, ...out })));
  const waitFor = async (where: 'stdout' | 'stderr', pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const m = out[where].match(pattern);
      if (m) return m;
      if (child.exitCode !== null || Date.now() > until) throw new Error(`no ${pattern} on ${where}; stdout: ${out.stdout}\nstderr: ${out.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, done, waitFor, out };
}

const natter = (args: string[], env: Record<string, string> = {}) => spawnCli(args, env).done;

const tmp: string[] = [];
afterEach(() => {
  for (const d of tmp.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'natter-cli-'));
  tmp.push(d);
  return d;
};

describe('natter serve', () => {
  it('--help lists every setting of the configuration schema, with its option', async () => {
    const r = await natter(['serve', '--help']);
    expect(r.code).toBe(0);
    for (const name of Object.keys(configSchema.shape)) {
      expect(r.stdout, name).toContain(`${name}:`);
      if (name !== 'ADMIN_API_KEY') expect(r.stdout, name).toContain(`--${name.toLowerCase().replace(/_/g, '-')} <value>`);
    }
    expect(r.stdout).toContain('REGISTRATION: open | invite | closed (default "open")');
  });

  it('starts the server with options winning over the environment, and stops on SIGTERM', async () => {
    const dir = tempDir();
    const s = spawnCli(['serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dir, '--registration', 'invite'], { REGISTRATION: 'closed' });
    defer(() => void s.child.kill('SIGKILL'));
    const [, url] = await s.waitFor('stdout', /natter listening at (http:\/\/127\.0\.0\.1:\d+)/);
    expect(s.out.stdout).toContain('registration invite');
    expect((await api(url!, 'GET', '/healthz')).status).toBe(200);
    s.child.kill('SIGTERM');
    expect((await s.done).code).toBe(0);
  }, 60_000);

  it('says which setting is wrong and exits 2', async () => {
    const r = await natter(['serve', '--port', 'eighty']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/PORT: .*\(got "eighty"\)/);
  });
});

describe('natter user, invite and token (admin API)', () => {
  it('user create, list, disable and enable', async () => {
    const t = await start();
    const env = { NATTER_URL: t.url, ADMIN_API_KEY: ADMIN_KEY };
    const created = await natter(['user', 'create', 'carol', '--password', password, '--display-name', 'Carol C'], env);
    expect(created.stderr).toBe('');
    expect(created.stdout).toMatch(/^created carol \(id u_[\w-]+\)$/m);
    const appUser = await natter(['user', 'create', 'dan'], env);
    expect(appUser.stdout).toContain('no password');

    const list = await natter(['user', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+USERNAME\s+CREATED\s+DISABLED$/);
    expect(list.stdout).toMatch(/^u_\S+\s+carol\s+\d{4}-/m);
    const json = (await natter(['user', 'list', '--json'], env)).stdout.trim().split('\n').map((l) => JSON.parse(l) as { username: string });
    expect(json.map((u) => u.username).sort()).toEqual(['carol', 'dan']);

    const disabled = await natter(['user', 'disable', 'carol'], env);
    expect(disabled.stdout).toMatch(/^carol \(id u_\S+\) is disabled since \d{4}-/);
    expect((await api(t.url, 'POST', '/v1/auth/login', { username: 'carol', password })).status).toBe(403);
    expect((await natter(['user', 'list'], env)).stdout).toMatch(/carol\s+\S+ \S+\s+\d{4}-\d\d-\d\d \d\d:\d\d$/m);
    const enabled = await natter(['user', 'enable', 'carol'], env);
    expect(enabled.stdout).toMatch(/is enabled$/m);
    expect((await api(t.url, 'POST', '/v1/auth/login', { username: 'carol', password })).status).toBe(200);
  }, 60_000);

  it('says what the server answered: a wrong admin key, an unknown user, no server', async () => {
    const t = await start();
    const wrong = await natter(['user', 'list'], { NATTER_URL: t.url, ADMIN_API_KEY: 'not-the-key-not-the-key-not' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe('natter: GET /v1/admin/users?limit=500: 401 invalid_api_key: missing or wrong X-Admin-Key\n');
    const missing = await natter(['user', 'disable', 'nobody'], { NATTER_URL: t.url, ADMIN_API_KEY: ADMIN_KEY });
    expect(missing.stderr).toContain('404 not_found');
    const noKey = await natter(['user', 'list'], { NATTER_URL: t.url });
    expect(noKey.stderr).toContain('set ADMIN_API_KEY');
    const down = await natter(['--url', 'http://127.0.0.1:9', 'user', 'list'], { ADMIN_API_KEY: ADMIN_KEY });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('cannot reach the server at http://127.0.0.1:9');
  }, 60_000);

  it('invite create prints a code that registers one account on REGISTRATION=invite', async () => {
    const t = await start({ REGISTRATION: 'invite' });
    const r = await natter(['invite', 'create', '--expires-in-hours', '2'], { NATTER_URL: t.url, ADMIN_API_KEY: ADMIN_KEY });
    expect(r.code).toBe(0);
    const code = r.stdout.trim();
    expect(r.stderr).toMatch(/^valid until \d{4}-/);
    expect((await api(t.url, 'POST', '/v1/auth/register', { username: 'erin', password, inviteCode: code })).status).toBe(201);
    expect((await api(t.url, 'POST', '/v1/auth/register', { username: 'fay', password, inviteCode: code })).status).toBe(403);
    const forever = await natter(['invite', 'create', '--no-expiry'], { NATTER_URL: t.url, ADMIN_API_KEY: ADMIN_KEY });
    expect(forever.stderr).toBe('valid until used\n');
  }, 60_000);

  it('token mint prints tokens that work, for a user named by username', async () => {
    const t = await start();
    const gus = await register(t.url, 'gus');
    const r = await natter(['token', 'mint', 'gus', '--device-name', 'ops laptop'], { NATTER_URL: t.url, ADMIN_API_KEY: ADMIN_KEY });
    expect(r.code).toBe(0);
    const tokens = JSON.parse(r.stdout) as { accessToken: string; refreshToken: string; userId: string };
    expect(tokens.userId).toBe(gus.userId);
    const me = await api(t.url, 'GET', '/v1/me', undefined, { authorization: `Bearer ${tokens.accessToken}` });
    expect(me.body.username).toBe('gus');
    const devices = await api(t.url, 'GET', '/v1/me/devices', undefined, { authorization: `Bearer ${tokens.accessToken}` });
    expect(devices.body.devices.map((d: { name: string }) => d.name)).toContain('ops laptop');
  }, 60_000);
});

describe('natter send and tail', () => {
  it('send delivers to @user as a logged-in user; tail shows the history, then new messages live, until Ctrl-C', async () => {
    const t = await start();
    await register(t.url, 'alice', password);
    await register(t.url, 'bob', password);
    const env = { NATTER_URL: t.url, ADMIN_API_KEY: ADMIN_KEY };

    const first = await natter(['send', '@bob', 'hi', 'bob', '--user', 'alice', '--password', password], env);
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(/^sent #2 to c_[\w-]+$/m);

    // Bob follows his chat with alice, signed in through the admin key.
    const tail = spawnCli(['tail', '@alice', '--user', 'bob', '-n', '5'], env);
    defer(() => void tail.child.kill('SIGKILL'));
    await tail.waitFor('stderr', /following c_/);
    expect(tail.out.stdout).toMatch(/^\d\d:\d\d:\d\d #1 \[conversation\.created by alice\]\n\d\d:\d\d:\d\d #2 alice: hi bob\n$/);

    const second = await natter(['send', '@bob', 'are you there?'], { ...env, NATTER_USER: 'alice', NATTER_PASSWORD: password });
    expect(second.stdout).toMatch(/^sent #3 /m);
    await tail.waitFor('stdout', /#3 alice: are you there\?\n/);
    tail.child.kill('SIGINT');
    const ended = await tail.done;
    expect(ended.code).toBe(0);

    // The CLI's own sessions are signed out when a command ends: only the registrations' devices remain.
    const login = await api(t.url, 'POST', '/v1/auth/login', { username: 'alice', password });
    const devices = await api(t.url, 'GET', '/v1/me/devices', undefined, { authorization: `Bearer ${login.body.accessToken}` });
    expect(devices.body.devices.map((d: { name: string | null }) => d.name)).not.toContain('natter cli');
  }, 90_000);

  it('says how to sign in when it cannot', async () => {
    const t = await start();
    const r = await natter(['send', 'c_x', 'hello'], { NATTER_URL: t.url });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('say who you are');
  });
});

describe('natter doctor', () => {
  it('finds nothing wrong on a fresh machine, and reads an existing database without changing it', async () => {
    const dir = tempDir();
    const fresh = await natter(['--url', 'http://127.0.0.1:9', 'doctor'], { DATA_DIR: join(dir, 'data') });
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toMatch(/^ok +configuration: valid/m);
    expect(fresh.stdout).toMatch(/^ok +database: SQLite at .*not created yet/m);
    expect(fresh.stdout).toMatch(/^ok +disk: [\d.]+ GiB free/m);
    expect(fresh.stdout).toMatch(/^info +server: no server answers at http:\/\/127\.0\.0\.1:9/m);
    expect(fresh.stdout).toMatch(/nothing wrong found\n$/);

    // SQLite named explicitly: the harness would otherwise use NATTER_TEST_DATABASE_URL when set.
    const used = { DATA_DIR: join(dir, 'used'), DATABASE_URL: `sqlite:${join(dir, 'used', 'natter.db')}` };
    const t = await start(used);
    const checked = await natter(['--url', t.url, 'doctor'], used);
    expect(checked.code).toBe(0);
    expect(checked.stdout).toMatch(/^ok +database: SQLite at .*natter\.db, schema version \d+, integrity check passed/m);
    expect(checked.stdout).toMatch(/^ok +server: a Natter server answers at/m);
  }, 60_000);

  it('says in words what is wrong: a bad setting, an unreachable database or bus', async () => {
    const bad = await natter(['doctor'], { PORT: 'eighty', REGISTRATION: 'sometimes' });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^FAIL +configuration: the server would not start:/m);
    expect(bad.stdout).toMatch(/PORT: .*eighty/);
    expect(bad.stdout).toMatch(/REGISTRATION: .*sometimes/);

    const dir = tempDir();
    const down = await natter(['--url', 'http://127.0.0.1:9', 'doctor'], {
      DATA_DIR: dir,
      DATABASE_URL: 'postgres://natter:secret@127.0.0.1:9/natter',
      BUS_URL: 'redis://127.0.0.1:9',
    });
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/^FAIL +database: cannot connect to PostgreSQL at postgres:\/\/\*\*\*@127\.0\.0\.1:9\/natter: .*Is it running/m);
    expect(down.stdout).toMatch(/^FAIL +bus: cannot connect to redis:\/\/127\.0\.0\.1:9: .*Is Redis running there\?/m);
    expect(down.stdout).not.toContain('secret');
    expect(down.stdout).toMatch(/2 problems found\n$/);
  }, 60_000);
});
