/**
 * Abuse suite, issue 18 finding 7 (the low findings): one regression test for each that was
 * fixed — display names, token caching, aborted uploads, malformed paths, placeholder and weak
 * secrets, file modes, the /metrics settings and sync tokens that reveal nothing.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, createLogger, loadConfig } from '@natter/server';
import { api, ADMIN_KEY, perTest, RawClient, register } from '../harness.js';

const { start, defer } = perTest();
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('display names', () => {
  it.each([
    ['a right-to-left override', 'alice\u202Egnp.exe'],
    ['a zero-width space', 'ad\u200Bmin'],
    ['NUL', 'bob\u0000'],
  ])('refuses %s at registration and in a profile update', async (_what, name) => {
    const t = await start();
    const r = await api(t.url, 'POST', '/v1/auth/register', {
      username: 'newcomer',
      password: 'correct horse battery',
      displayName: name,
    });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/^body\.displayName: /);
    const u = await register(t.url);
    const p = await api(t.url, 'PATCH', '/v1/me', { displayName: name }, bearer(u.accessToken));
    expect(p.body.error.code).toBe('invalid_request');
    expect((await api(t.url, 'GET', '/v1/me', undefined, bearer(u.accessToken))).body.displayName).toBeNull();
  });

  it('accepts names in any script, with emoji sequences', async () => {
    const t = await start();
    const u = await register(t.url);
    const p = await api(
      t.url,
      'PATCH',
      '/v1/me',
      { displayName: 'مريم 👨\u200D👩\u200D👧 ❤\uFE0F' },
      bearer(u.accessToken),
    );
    expect(p.status).toBe(200);
  });
});

describe('HTTP hygiene', () => {
  it('token responses carry Cache-Control: no-store', async () => {
    const t = await start();
    const headers = { 'content-type': 'application/json' };
    const reg = await fetch(t.url + '/v1/auth/register', {
      method: 'POST',
      headers,
      body: JSON.stringify({ username: 'cached', password: 'correct horse battery' }),
    });
    const { tokens } = (await reg.json()) as { tokens: { refreshToken: string; userId: string } };
    const login = await fetch(t.url + '/v1/auth/login', {
      method: 'POST',
      headers,
      body: JSON.stringify({ username: 'cached', password: 'correct horse battery' }),
    });
    const refresh = await fetch(t.url + '/v1/auth/refresh', {
      method: 'POST',
      headers,
      body: JSON.stringify({ refreshToken: tokens.refreshToken }),
    });
    const minted = await fetch(`${t.url}/v1/admin/users/${tokens.userId}/tokens`, {
      method: 'POST',
      headers: { ...headers, 'x-admin-key': ADMIN_KEY },
      body: '{}',
    });
    for (const res of [reg, login, refresh, minted]) {
      expect(res.status).toBeLessThan(300);
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('a client aborting an upload is not logged as an error nor counted as internal', async () => {
    const lines: string[] = [];
    const t = await start(
      { LOG_LEVEL: 'info' },
      { logger: createLogger('info', { write: (s: string) => void lines.push(s) }) },
    );
    const s = connect(t.server.port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    s.write(
      'POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"username":',
    );
    await new Promise((r) => setTimeout(r, 150));
    s.destroy();
    await new Promise((r) => setTimeout(r, 300));
    expect(lines.filter((l) => JSON.parse(l).level >= 50)).toEqual([]);
    expect(await (await fetch(t.url + '/metrics')).text()).not.toContain('code="internal"');
  });

  it("a malformed percent-encoded path gets Natter's error shape without the path echoed", async () => {
    const t = await start();
    const res = await fetch(t.url + '/v1/users/%E0%A4%A-marker');
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({
      error: { code: 'invalid_request', message: 'the request path is not valid', retryable: false },
    });
    expect(text).not.toContain('marker');
  });
});

describe('/metrics', () => {
  it('with METRICS_PORT it is served on its own listener and not on the main port', async () => {
    const t = await start({ METRICS_PORT: 0 });
    expect((await fetch(t.url + '/metrics')).status).toBe(404);
    const res = await fetch(t.server.metricsUrl + '/metrics');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('natter_');
    expect(t.server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:/);
  });

  it('with METRICS_TOKEN it answers only with the bearer token', async () => {
    const token = 'k3Y9-metrics-T0ken-Zq81vW';
    const t = await start({ METRICS_TOKEN: token });
    expect((await fetch(t.url + '/metrics')).status).toBe(401);
    expect((await fetch(t.url + '/metrics', { headers: bearer('wrong-token-wrong-token') })).status).toBe(
      401,
    );
    expect((await fetch(t.url + '/metrics', { headers: bearer(token) })).status).toBe(200);
  });
});

describe('secrets and files', () => {
  it.each([
    ['ADMIN_API_KEY', 'change-me-to-at-least-24-characters'],
    ['JWT_SECRET', 'a'.repeat(32)],
    ['JWT_SECRET', '…at-least-32-characters…'.padEnd(32, '…')],
  ])('refuses to start with the placeholder %s=%j, without echoing it', (key, value) => {
    let err: unknown;
    try {
      loadConfig({ [key]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(key);
    expect((err as Error).message).not.toContain(value);
  });

  it('starts with a weak secret but warns about it in the log', async () => {
    const lines: string[] = [];
    await start(
      { LOG_LEVEL: 'warn', JWT_SECRET: 'abcabcabcabcabcabcabcabcabcabcab12' },
      { logger: createLogger('warn', { write: (s: string) => void lines.push(s) }) },
    );
    const warnings = lines
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .filter((l) => l.level === 40);
    expect(warnings.some((w) => /JWT_SECRET/.test(w.msg))).toBe(true);
    expect(lines.join('\n')).not.toContain('abcabcabcabc');
  });

  it('a fresh DATA_DIR is 0700 and its database 0600', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'natter-modes-'));
    defer(() => rmSync(parent, { recursive: true, force: true }));
    const dataDir = join(parent, 'data');
    const t = await start({ DATA_DIR: dataDir, DATABASE_URL: `sqlite:${join(dataDir, 'natter.db')}` });
    await register(t.url);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'natter.db')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'natter.db-wal')).mode & 0o777).toBe(0o600);
    // The search index holds every message's trigrams.
    expect(statSync(join(dataDir, 'natter.db-search')).mode & 0o777).toBe(0o600);
  });
});

describe('sync tokens', () => {
  it('do not reveal the server-wide change counter; v1 tokens from before still work', async () => {
    const t = await start();
    const [me, a, b] = [await register(t.url), await register(t.url), await register(t.url)];
    const c = await RawClient.authed(t.wsUrl, me.accessToken);
    defer(() => c.close());
    const first = (await c.request({ type: 'sync' })).data.token as string;
    // Others chat; my view does not change, and nothing in my token tells me they did.
    const other = await RawClient.authed(t.wsUrl, a.accessToken);
    defer(() => other.close());
    const conv = (await other.request({ type: 'conversation.direct', userId: b.userId })).data;
    for (let i = 0; i < 5; i++)
      await other.request({
        type: 'send',
        conversationId: conv.id,
        clientMsgId: `m${i}`,
        msgType: 'text',
        body: { text: 'hi' },
      });
    const second = (await c.request({ type: 'sync', since: first })).data;
    expect(second.conversations).toEqual([]);
    for (const token of [first, second.token as string]) {
      expect(token).toMatch(/^v2\./);
      expect(token).not.toMatch(/^v1\.|\.\d+$/);
    }
    expect((await c.request({ type: 'sync', since: 'v1.0' })).type).toBe('result');
  });
});
