/**
 * Test harness: a real Natter server on port 0 with its SQLite file in a fresh temp dir, and
 * small helpers to register users and open raw WebSocket connections. Used by the black-box
 * server tests, the SDK's tests, the cluster tests and the reliability scenarios.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import WebSocket from 'ws';
import { afterEach } from 'vitest';
import { loadConfig, startNatter, type NatterDeps, type NatterServer } from '@natter/server';

export interface TestServer {
  server: NatterServer;
  url: string;
  wsUrl: string;
  dataDir: string;
  close(): Promise<void>;
}

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';

export async function startTestServer(overrides: Record<string, string | number | boolean> = {}, deps: NatterDeps = {}): Promise<TestServer> {
  const dataDir = (overrides.DATA_DIR as string | undefined) ?? mkdtempSync(join(tmpdir(), 'natter-test-'));
  // NATTER_TEST_DATABASE_URL=postgres://… runs the same suites on PostgreSQL, one schema per server.
  const pgUrl = process.env.NATTER_TEST_DATABASE_URL;
  const schema = pgUrl && overrides.DATABASE_URL === undefined ? `natter_h_${randomBytes(6).toString('hex')}` : undefined;
  const db = schema ? { DATABASE_URL: pgUrl!, DATABASE_SCHEMA: schema } : {};
  // Every test user registers from 127.0.0.1: the per-address registration limit would stop a suite.
  const config = loadConfig(
    {},
    { PORT: 0, HOST: '127.0.0.1', LOG_LEVEL: 'silent', ADMIN_API_KEY: ADMIN_KEY, REGISTRATIONS_PER_IP_PER_HOUR: 1_000_000, ...db, ...overrides, DATA_DIR: dataDir },
  );
  const server = await startNatter(config, deps);
  return {
    server,
    url: server.url,
    wsUrl: server.url.replace(/^http/, 'ws') + '/v1/ws',
    dataDir,
    async close() {
      await server.close();
      if (overrides.DATA_DIR === undefined) rmSync(dataDir, { recursive: true, force: true });
      if (schema) {
        const c = new pg.Client({ connectionString: pgUrl });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await c.end();
      }
    },
  };
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  userId: string;
  deviceId: string;
}

export async function api(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // leave as text
  }
  return { status: res.status, body: parsed };
}

let counter = 0;
/** Registers a fresh user and returns its first device's tokens. */
export async function register(base: string, name = `user${++counter}_${Date.now().toString(36)}`, password = 'correct horse battery'): Promise<Tokens & { username: string }> {
  const r = await api(base, 'POST', '/v1/auth/register', { username: name, password });
  if (r.status !== 201) throw new Error(`register failed: ${r.status} ${JSON.stringify(r.body)}`);
  return { ...(r.body.tokens as Tokens), username: name };
}

/** A raw WebSocket with a queue of received frames, for protocol-level tests. */
export class RawClient {
  readonly frames: any[] = [];
  closeCode: number | null = null;
  private waiters: (() => void)[] = [];
  private nextId = 1;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()));
      this.wake();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.wake();
    });
    ws.on('error', () => {});
  }

  static async open(url: string, options: WebSocket.ClientOptions = {}): Promise<RawClient> {
    const ws = new WebSocket(url, options);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    return new RawClient(ws);
  }

  static async authed(url: string, token: string): Promise<RawClient> {
    const c = await RawClient.open(url);
    const r = await c.request({ type: 'auth', token });
    if (r.type !== 'result') throw new Error(`auth failed: ${JSON.stringify(r)}`);
    return c;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Sends a request with a fresh id and waits for its result or error frame. */
  async request(frame: Record<string, unknown>, timeoutMs = 5000): Promise<any> {
    const id = this.nextId++;
    this.send({ ...frame, id });
    return this.waitFor((f) => (f.type === 'result' || f.type === 'error') && f.id === id, timeoutMs);
  }

  /** Waits for (and removes from the queue) the first frame matching `pred`. */
  async waitFor(pred: (f: any) => boolean, timeoutMs = 5000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex(pred);
      if (i >= 0) return this.frames.splice(i, 1)[0];
      if (this.closeCode !== null) throw new Error(`closed (${this.closeCode}) while waiting`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for frame');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async waitClosed(timeoutMs = 5000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.closeCode === null) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for close');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.closeCode;
  }

  close(): void {
    this.ws.close();
  }
}

/**
 * Servers and other resources that live for one test: `start()` a server, `defer()` anything
 * else; all are cleaned up after each test, newest first.
 */
export function perTest(): {
  start(overrides?: Record<string, string | number | boolean>, deps?: NatterDeps): Promise<TestServer>;
  defer(cleanup: () => Promise<void> | void): void;
} {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const f of cleanups.splice(0).reverse()) await f();
  });
  return {
    async start(overrides = {}, deps = {}) {
      const t = await startTestServer(overrides, deps);
      cleanups.push(() => t.close());
      return t;
    },
    defer: (cleanup) => void cleanups.push(cleanup),
  };
}
