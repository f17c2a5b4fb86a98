/**
 * The SDK installs like a published package (issue 20): `npm pack` of @natter/protocol and
 * @natter/client, `npm install <the tarballs> ws` in an empty folder outside the monorepo (the
 * registry gives ws, uuid and zod, and @types/ws for the TypeScript check), and the README's example runs there against a live server —
 * with the Node build and with the browser bundle. The installed types check with `tsc` too.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { perTest } from '../harness.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const { start } = perTest();

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment without what `npm test` sets for its own scripts (npm_config_workspace and the like). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, ...extra };
}

function run(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = cleanEnv()): Promise<Run> {
  return new Promise((done) => {
    execFile(file, args, { cwd, env, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      done({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    );
  });
}

const npm = (args: string[], cwd: string) => run(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, cwd);

let work: string;
let app: string;
let tarballs: string[];

describe('npm pack of @natter/protocol and @natter/client', () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'natter-pack-'));
    app = join(work, 'app');
    const packed = await npm(['pack', '--json', '--pack-destination', work, '-w', '@natter/protocol', '-w', '@natter/client'], ROOT);
    if (packed.code !== 0) throw new Error(`npm pack failed:\n${packed.stderr}`);
    tarballs = readdirSync(work)
      .filter((f) => f.endsWith('.tgz'))
      .map((f) => join(work, f));
    cpSync(join(ROOT, 'examples/chat.mjs'), join(app, 'chat.mjs'));
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'natter-pack-check', private: true, type: 'module' }));
    const installed = await npm(['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs, 'ws', '@types/ws'], app);
    if (installed.code !== 0) throw new Error(`npm install of the tarballs failed:\n${installed.stderr}`);
  }, 300_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('ship the builds, types and the browser bundle, and no sources or tests', () => {
    expect(tarballs.map((t) => t.slice(work.length + 1)).sort()).toEqual(['natter-client-0.1.0.tgz', 'natter-protocol-0.1.0.tgz']);
    const client = join(app, 'node_modules/@natter/client');
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/natter-client.browser.js', 'package.json']) expect(existsSync(join(client, f)), f).toBe(true);
    expect(existsSync(join(client, 'src'))).toBe(false);
    expect(readdirSync(join(client, 'dist')).filter((f) => f.includes('.test.') || f.endsWith('.map') || f.endsWith('.tsbuildinfo'))).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(client, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.private).toBeUndefined();
    expect(pkg.peerDependenciesMeta).toEqual({ ws: { optional: true } });
    // The browser bundle is one file: no import left to resolve, no Node built-in, no zod.
    const bundle = readFileSync(join(client, 'dist/natter-client.browser.js'), 'utf8');
    expect(bundle).not.toMatch(/^\s*import\s/m);
    expect(bundle).not.toMatch(/from\s*["'](node:|ws|zod|uuid|@natter)/);
    expect(bundle).not.toContain('ZodError');
  });

  it('runs the README example with the Node build, from an empty folder, against a live server', async () => {
    const t = await start();
    const first = await run(process.execPath, ['chat.mjs'], app, cleanEnv({ NATTER_URL: t.url }));
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^bob got #2: hi bob \(/m);

    // The same example on the browser bundle (the `./browser` export), with ws standing in for the browser's WebSocket.
    const browserCopy = readFileSync(join(app, 'chat.mjs'), 'utf8').replace("from '@natter/client'", "from '@natter/client/browser'");
    expect(browserCopy).toContain("'@natter/client/browser'");
    writeFileSync(join(app, 'chat-browser.mjs'), browserCopy);
    const second = await run(process.execPath, ['chat-browser.mjs'], app, cleanEnv({ NATTER_URL: t.url }));
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^bob got #3: hi bob \(/m);
  }, 120_000);

  it('never loads zod at run time: the SDK imports @natter/protocol/wire', async () => {
    // With zod taken out of node_modules, the SDK still imports, builds a client and makes ids.
    writeFileSync(
      join(app, 'no-zod.mjs'),
      `const { NatterClient, newClientMsgId } = await import('@natter/client');
new NatterClient({ url: 'ws://127.0.0.1:9/v1/ws', token: 'x', WebSocket: class { close() {} } });
console.log(newClientMsgId().length);
`,
    );
    const zod = join(app, 'node_modules/zod');
    expect(existsSync(zod)).toBe(true);
    renameSync(zod, `${zod}.away`);
    try {
      const r = await run(process.execPath, ['no-zod.mjs'], app);
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('36');
    } finally {
      renameSync(`${zod}.away`, zod);
    }
  });

  it('type-checks a TypeScript consumer with the installed declarations', async () => {
    writeFileSync(
      join(app, 'check.mts'),
      `import WebSocket from 'ws';
import { NatterClient, type Message, type ErrorCode, backoffDelay } from '@natter/client';
// The ws package fits the client's WebSocket option as it is, without a cast.
export const client = new NatterClient({ url: 'ws://localhost:8080/v1/ws', token: 't', WebSocket });
const code: ErrorCode = 'rate_limited';
const delay: number = backoffDelay(1, { initialMs: 100, maxMs: 1000 });
export function show(m: Message): string { return m.type === 'text' ? String(m.seq) : code + delay; }
export type C = NatterClient;
`,
    );
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const r = await run(process.execPath, [tsc, '--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', 'check.mts'], app);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  }, 60_000);
});
