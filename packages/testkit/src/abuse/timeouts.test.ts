/**
 * Abuse suite, issue 18 finding 4 and the socket caps of finding 7: slow and idle HTTP clients
 * are cut within the configured timeouts, the process holds at most MAX_CONNECTIONS sockets,
 * and one user or one address cannot hold more WebSockets than allowed — while WebSockets
 * themselves are not cut by the HTTP timeouts.
 */
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { CLOSE_CODES } from '@natter/protocol';
import { perTest, RawClient, register } from '../harness.js';

const { start, defer } = perTest();

async function rawSocket(port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  s.on('error', () => {});
  await new Promise((resolve) => s.once('connect', resolve));
  defer(() => void s.destroy());
  return s;
}

/** Milliseconds until the server ends the socket, and what it sent before that. */
function whenClosed(s: Socket, started: number): Promise<{ ms: number; text: string }> {
  let text = '';
  s.on('data', (d) => (text += d.toString()));
  return new Promise((resolve) => s.once('close', () => resolve({ ms: Date.now() - started, text })));
}

describe('finding 4: slow requests time out', () => {
  it('a body dripping a byte every 200 ms is cut within HTTP_REQUEST_TIMEOUT_MS', async () => {
    const t = await start({
      HTTP_REQUEST_TIMEOUT_MS: 2000,
      HTTP_HEADERS_TIMEOUT_MS: 1000,
      HTTP_IDLE_TIMEOUT_MS: 60_000,
    });
    const s = await rawSocket(t.server.port);
    const started = Date.now();
    const closed = whenClosed(s, started);
    s.write(
      'POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{',
    );
    const drip = setInterval(() => s.writable && s.write(' '), 200);
    defer(() => clearInterval(drip));
    const { ms, text } = await closed;
    clearInterval(drip);
    expect(ms).toBeGreaterThanOrEqual(1900);
    // The timeout plus node's check interval (a quarter of the headers timeout, at most 1 s).
    expect(ms).toBeLessThan(3500);
    expect(text).toMatch(/^HTTP\/1\.1 408/);
  });

  it('headers dripping a byte every 200 ms are cut within HTTP_HEADERS_TIMEOUT_MS', async () => {
    const t = await start({ HTTP_REQUEST_TIMEOUT_MS: 5000, HTTP_HEADERS_TIMEOUT_MS: 1000 });
    const s = await rawSocket(t.server.port);
    const closed = whenClosed(s, Date.now());
    s.write('GET /healthz HTTP/1.1\r\n');
    const drip = setInterval(() => s.writable && s.write('X'), 200);
    defer(() => clearInterval(drip));
    const { ms } = await closed;
    clearInterval(drip);
    expect(ms).toBeLessThan(2500);
  });

  it('a connection that sends nothing is closed after HTTP_IDLE_TIMEOUT_MS', async () => {
    const t = await start({ HTTP_IDLE_TIMEOUT_MS: 1000, HTTP_REQUEST_TIMEOUT_MS: 30_000 });
    const s = await rawSocket(t.server.port);
    const { ms } = await whenClosed(s, Date.now());
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(2500);
  });

  it('WebSockets are not cut by the HTTP timeouts (their heartbeat keeps them)', async () => {
    const t = await start({
      HTTP_IDLE_TIMEOUT_MS: 1000,
      HTTP_REQUEST_TIMEOUT_MS: 1000,
      HTTP_HEADERS_TIMEOUT_MS: 1000,
    });
    const u = await register(t.url);
    const c = await RawClient.authed(t.wsUrl, u.accessToken);
    defer(() => c.close());
    await new Promise((r) => setTimeout(r, 2500));
    expect(c.closeCode).toBeNull();
    expect((await c.request({ type: 'ping' })).type).toBe('result');
  });
});

describe('connection caps', () => {
  it('past MAX_CONNECTIONS new sockets are dropped at once, and served again when one closes', async () => {
    const t = await start({ MAX_CONNECTIONS: 5 });
    const held = await Promise.all(Array.from({ length: 5 }, () => rawSocket(t.server.port)));
    await new Promise((r) => setTimeout(r, 100));
    await expect(fetch(t.url + '/healthz')).rejects.toThrow();
    held[0]!.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect((await fetch(t.url + '/healthz')).status).toBe(200);
  });

  it('past WS_MAX_PER_ADDRESS the upgrade is answered 429 in Natter’s error shape', async () => {
    const t = await start({ WS_MAX_PER_ADDRESS: 3 });
    const open = await Promise.all(Array.from({ length: 3 }, () => RawClient.open(t.wsUrl)));
    await expect(RawClient.open(t.wsUrl)).rejects.toThrow('HTTP 429');
    const s = await rawSocket(t.server.port);
    const answer = whenClosed(s, Date.now());
    s.write(
      'GET /v1/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    const { text } = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 429/);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).error.code).toBe('rate_limited');
    open[0]!.close();
    await open[0]!.waitClosed();
    await new Promise((r) => setTimeout(r, 50));
    const again = await RawClient.open(t.wsUrl);
    again.close();
    for (const c of open.slice(1)) c.close();
  });

  it('past WS_MAX_PER_USER an auth is refused (rate_limited, close 3005); other users are unaffected; a slot frees on close', async () => {
    const t = await start({ WS_MAX_PER_USER: 2 });
    const [u, other] = [await register(t.url), await register(t.url)];
    const mine = [
      await RawClient.authed(t.wsUrl, u.accessToken),
      await RawClient.authed(t.wsUrl, u.accessToken),
    ];
    const third = await RawClient.open(t.wsUrl);
    const refused = await third.request({ type: 'auth', token: u.accessToken });
    expect(refused.error.code).toBe('rate_limited');
    expect(await third.waitClosed()).toBe(CLOSE_CODES.too_many_connections);
    const theirs = await RawClient.authed(t.wsUrl, other.accessToken);
    mine[0]!.close();
    await mine[0]!.waitClosed();
    await new Promise((r) => setTimeout(r, 50));
    const again = await RawClient.authed(t.wsUrl, u.accessToken);
    for (const c of [mine[1]!, theirs, again]) c.close();
  });

  // A user at the cap whose connection drops reconnects at once (what the SDK does on its own
  // 'close'): the server must not still count the gone connection. Rounds, because the race is
  // between the old socket's close reaching the server and the new auth; no pause in between.
  it('a user at WS_MAX_PER_USER whose connection closes (client close or abrupt destroy) gets back in at once', async () => {
    const t = await start({ WS_MAX_PER_USER: 2 });
    const u = await register(t.url);
    const mine = [await RawClient.authed(t.wsUrl, u.accessToken), await RawClient.authed(t.wsUrl, u.accessToken)];
    defer(() => mine.forEach((c) => c.ws.terminate()));
    const refusals: string[] = [];
    for (let round = 0; round < 40; round++) {
      const gone = mine.shift()!;
      const abrupt = round % 2 === 1;
      // Abrupt: the socket is destroyed without a close frame; the server notices the TCP end.
      if (abrupt) gone.ws.terminate();
      else gone.close();
      await gone.waitClosed();
      const next = await RawClient.open(t.wsUrl);
      const answer = await next.request({ type: 'auth', token: u.accessToken });
      if (answer.type !== 'result') refusals.push(`round ${round} (${abrupt ? 'destroy' : 'close'}): ${answer.error?.code}`);
      mine.push(next);
      // Still exactly the cap: a third connection is refused.
      if (round % 10 === 9) {
        const third = await RawClient.open(t.wsUrl);
        expect((await third.request({ type: 'auth', token: u.accessToken })).error?.code).toBe('rate_limited');
        await third.waitClosed();
      }
    }
    expect(refusals).toEqual([]);
  });

  it('WS_MAX_PER_USER holds for auths of one user that arrive at once: exactly the cap gets in', async () => {
    const t = await start({ WS_MAX_PER_USER: 2 });
    const u = await register(t.url);
    const clients = await Promise.all(Array.from({ length: 5 }, () => RawClient.open(t.wsUrl)));
    const answers = await Promise.all(clients.map((c) => c.request({ type: 'auth', token: u.accessToken })));
    expect(answers.filter((a) => a.type === 'result')).toHaveLength(2);
    expect(answers.filter((a) => a.error?.code === 'rate_limited')).toHaveLength(3);
    for (const c of clients) c.close();
  });
});
