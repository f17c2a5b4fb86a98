/**
 * The WebSocket gateway against a real server on port 0: the auth handshake and its deadline,
 * Origin checks, frame limits and hostile input, heartbeats, closing revoked devices' live
 * sockets, the slow-consumer policy, and the metrics that count all of it.
 */
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '@natter/server';
import { api, perTest, RawClient, register } from '../harness.js';

const PASSWORD = 'correct horse battery';
const { start, defer } = perTest();

/** Opens a raw client that is closed (if still open) after the test. */
async function open(url: string, options: WebSocket.ClientOptions = {}): Promise<RawClient> {
  const c = await RawClient.open(url, options);
  defer(() => c.ws.terminate());
  return c;
}

async function authed(url: string, token: string): Promise<RawClient> {
  const c = await RawClient.authed(url, token);
  defer(() => c.ws.terminate());
  return c;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function login(base: string, username: string): Promise<{ accessToken: string; refreshToken: string; deviceId: string }> {
  const r = await api(base, 'POST', '/v1/auth/login', { username, password: PASSWORD });
  expect(r.status).toBe(200);
  return r.body;
}

/** Asserts the connection still answers requests. */
async function expectUsable(c: RawClient): Promise<void> {
  const r = await c.request({ type: 'ping' });
  expect(r.type).toBe('result');
  expect(c.closeCode).toBeNull();
}

/** The next error frame (in arrival order). */
function nextError(c: RawClient): Promise<any> {
  return c.waitFor((f) => f.type === 'error');
}

async function metricsText(base: string): Promise<string> {
  const res = await fetch(base + '/metrics');
  return res.text();
}

function sample(text: string, name: string, labels: string): number {
  const prefix = labels === '' ? `${name} ` : `${name}{${labels}}`;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

/** Attempts an upgrade and reports the HTTP status (101 when the socket opened). */
function tryUpgrade(url: string, options: WebSocket.ClientOptions = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => {
      ws.terminate();
      resolve({ status: 101, body: '' });
    });
    ws.once('unexpected-response', (req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    ws.once('error', reject);
  });
}

class ManualClock implements Clock {
  t = Date.now();
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): { cancel(): void } {
    return systemClock.setTimeout(fn, ms);
  }
}

describe('authentication', () => {
  it('closes a connection that sends no auth within AUTH_TIMEOUT_MS with 3500, and only that one', async () => {
    // Long enough for the good connection's auth on a loaded CI machine (200 ms was not).
    const t = await start({ AUTH_TIMEOUT_MS: 1000 });
    const u = await register(t.url);
    const good = await authed(t.wsUrl, u.accessToken);
    const idle = await open(t.wsUrl);
    const opened = Date.now();
    expect(await idle.waitClosed(5000)).toBe(3500);
    expect(Date.now() - opened).toBeGreaterThanOrEqual(900);
    // The authenticated connection is past its own deadline by now and stays open.
    await expectUsable(good);
  });

  it('answers frames before auth with not_authenticated (echoing the id) and keeps the connection usable', async () => {
    const t = await start();
    const u = await register(t.url);
    const c = await open(t.wsUrl);
    for (const frame of [
      { type: 'sync' },
      { type: 'send', conversationId: 'c_x', clientMsgId: 'k1', msgType: 'text', body: { text: 'hi' } },
      { type: 'conversation.direct', userId: u.userId },
    ]) {
      const r = await c.request(frame);
      expect(r.type).toBe('error');
      expect(r.error).toMatchObject({ code: 'not_authenticated', retryable: false });
    }
    // ping is allowed before auth (clients measure latency while connecting).
    await expectUsable(c);
    const auth = await c.request({ type: 'auth', token: u.accessToken });
    expect(auth.data).toMatchObject({ userId: u.userId, deviceId: u.deviceId, protocolVersion: expect.any(Number) });
    expect((await c.request({ type: 'sync' })).type).toBe('result');
  });

  it('lets frames pipelined right behind auth wait for it instead of failing', async () => {
    const t = await start();
    const u = await register(t.url);
    const c = await open(t.wsUrl);
    c.send({ type: 'auth', id: 'a', token: u.accessToken });
    c.send({ type: 'sync', id: 's' });
    c.send({ type: 'conversation.direct', id: 'd', userId: u.userId });
    expect((await c.waitFor((f) => f.id === 'a')).type).toBe('result');
    expect((await c.waitFor((f) => f.id === 's')).type).toBe('result');
    const d = await c.waitFor((f) => f.id === 'd');
    expect(d.type === 'result' || d.error.code !== 'not_authenticated').toBe(true);
  });

  it('answers a bad token with an error echoing the id, then closes with 3501', async () => {
    const t = await start();
    const c = await open(t.wsUrl);
    const r = await c.request({ type: 'auth', token: 'not-a-token' });
    expect(r.error).toMatchObject({ code: 'invalid_token', retryable: false });
    expect(await c.waitClosed()).toBe(3501);
  });

  it('counts failed auths in natter_errors_total (regression: socket auth failures were not counted)', async () => {
    const t = await start();
    const u = await register(t.url);
    const bad = await open(t.wsUrl);
    await bad.request({ type: 'auth', token: 'not-a-token' });
    expect(await bad.waitClosed()).toBe(3501);
    await api(t.url, 'POST', '/v1/auth/logout', undefined, bearer(u.accessToken));
    const revoked = await open(t.wsUrl);
    revoked.send({ type: 'auth', token: u.accessToken });
    expect((await nextError(revoked)).error.code).toBe('device_revoked');
    expect(await revoked.waitClosed()).toBe(3502);
    const m = await metricsText(t.url);
    expect(sample(m, 'natter_errors_total', 'code="invalid_token"')).toBe(1);
    expect(sample(m, 'natter_errors_total', 'code="device_revoked"')).toBe(1);
    expect(sample(m, 'natter_frames_in_total', 'type="auth"')).toBe(2);
    expect(sample(m, 'natter_connection_closes_total', 'reason="invalid_token"')).toBe(1);
  });

  it('answers an expired token with token_expired and closes with 3501', async () => {
    const clock = new ManualClock();
    const t = await start({}, { clock });
    const u = await register(t.url);
    clock.t += 901_000;
    const c = await open(t.wsUrl);
    const r = await c.request({ type: 'auth', token: u.accessToken });
    expect(r.error.code).toBe('token_expired');
    expect(await c.waitClosed()).toBe(3501);
  });

  it('answers a revoked device\'s token with device_revoked and closes with 3502', async () => {
    const t = await start();
    const u = await register(t.url);
    expect((await api(t.url, 'POST', '/v1/auth/logout', undefined, bearer(u.accessToken))).status).toBe(204);
    const c = await open(t.wsUrl);
    const r = await c.request({ type: 'auth', token: u.accessToken });
    expect(r.error.code).toBe('device_revoked');
    expect(await c.waitClosed()).toBe(3502);
  });

  it('answers a second auth with already_authenticated and stays open, whatever the second token', async () => {
    const t = await start();
    const u = await register(t.url);
    const other = await register(t.url);
    const c = await authed(t.wsUrl, u.accessToken);
    for (const token of [u.accessToken, other.accessToken, 'garbage']) {
      const r = await c.request({ type: 'auth', token });
      expect(r.error.code).toBe('already_authenticated');
    }
    await expectUsable(c);
    // Still the first user.
    const sync = await c.request({ type: 'conversation.direct', userId: other.userId });
    expect([...sync.data.members].sort()).toEqual([u.userId, other.userId].sort());
  });

  it('keeps waiting for a valid auth after an auth frame with a wrong field type', async () => {
    const t = await start();
    const u = await register(t.url);
    const c = await open(t.wsUrl);
    const r = await c.request({ type: 'auth', token: 42 });
    expect(r.error.code).toBe('invalid_request');
    expect((await c.request({ type: 'auth', token: u.accessToken })).type).toBe('result');
  });
});

describe('Origin check', () => {
  it('rejects the upgrade from an origin not in ALLOWED_ORIGINS with HTTP 403, accepts listed, same-host and absent origins', async () => {
    const t = await start({ ALLOWED_ORIGINS: 'https://good.example' });
    const evil = await tryUpgrade(t.wsUrl, { origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    expect(JSON.parse(evil.body).error.code).toBe('origin_not_allowed');
    // Look-alikes are not the allowed origin.
    for (const origin of ['https://good.example.evil.example', 'http://good.example', 'https://good.example:8443', 'null']) {
      expect((await tryUpgrade(t.wsUrl, { origin })).status, origin).toBe(403);
    }
    expect((await tryUpgrade(t.wsUrl, { origin: 'https://good.example' })).status).toBe(101);
    expect((await tryUpgrade(t.wsUrl)).status).toBe(101);
    expect((await tryUpgrade(t.wsUrl, { origin: t.url })).status).toBe(101);
    const m = await metricsText(t.url);
    expect(sample(m, 'natter_errors_total', 'code="origin_not_allowed"')).toBe(5);
  });

  it('answers an upgrade on another path with 404', async () => {
    const t = await start();
    expect((await tryUpgrade(t.wsUrl + 'x')).status).toBe(404);
    expect((await tryUpgrade(t.url.replace(/^http/, 'ws') + '/ws')).status).toBe(404);
  });
});

describe('hostile and malformed frames', () => {
  it('closes a connection sending a frame over MAX_FRAME_BYTES with 1009; everyone else keeps working', async () => {
    const t = await start({ MAX_FRAME_BYTES: 1024, MAX_TEXT_LENGTH: 1, MAX_CUSTOM_BODY_BYTES: 16 });
    const u = await register(t.url);
    const bystander = await authed(t.wsUrl, u.accessToken);
    const c = await authed(t.wsUrl, u.accessToken);
    // A frame of exactly the limit is fine.
    const base = JSON.stringify({ type: 'ping', id: 1, pad: '' });
    const exact = JSON.stringify({ type: 'ping', id: 1, pad: 'x'.repeat(1024 - base.length) });
    expect(Buffer.byteLength(exact)).toBe(1024);
    c.send(exact);
    expect((await c.waitFor((f) => f.id === 1)).type).toBe('result');
    c.send(JSON.stringify({ type: 'ping', id: 2, pad: 'x'.repeat(2000) }));
    expect(await c.waitClosed()).toBe(1009);
    await expectUsable(bystander);
    const fresh = await authed(t.wsUrl, u.accessToken);
    await expectUsable(fresh);
  });

  it('answers each bad frame with a stable code, echoing the id when it could be read, and stays usable', async () => {
    const t = await start();
    const u = await register(t.url);
    const c = await authed(t.wsUrl, u.accessToken);
    const cases: [string, string, string | number | undefined][] = [
      ['this is not json', 'malformed', undefined],
      ['{"type":"ping","id":5', 'malformed', undefined],
      ['', 'malformed', undefined],
      ['[{"type":"ping","id":1}]', 'malformed', undefined],
      ['null', 'malformed', undefined],
      ['42', 'malformed', undefined],
      ['"ping"', 'malformed', undefined],
      ['{"id":11}', 'unknown_type', 11],
      ['{"type":"nope","id":12}', 'unknown_type', 12],
      ['{"type":"__proto__","id":13}', 'unknown_type', 13],
      ['{"type":"constructor","id":14}', 'unknown_type', 14],
      ['{"type":"toString","id":"s15"}', 'unknown_type', 's15'],
      ['{"type":7,"id":16}', 'unknown_type', 16],
      ['{"type":"send","id":17,"conversationId":123,"clientMsgId":"k","msgType":"text","body":{"text":"x"}}', 'invalid_request', 17],
      ['{"type":"send","id":18,"conversationId":"c_1","clientMsgId":"k","msgType":"sticker","body":{}}', 'invalid_request', 18],
      ['{"type":"ack","id":19,"conversationId":"c_1","seq":-1}', 'invalid_request', 19],
      ['{"type":"ack","id":20,"conversationId":"c_1","seq":"5"}', 'invalid_request', 20],
      ['{"type":"messages","id":21,"conversationId":"../etc","limit":5}', 'invalid_request', 21],
      ['{"type":"sync","id":22,"limit":100000}', 'invalid_request', 22],
      // Ids that cannot be echoed safely are dropped, but the frame still gets its error.
      ['{"type":"nope","id":-1}', 'unknown_type', undefined],
      ['{"type":"nope","id":{"a":1}}', 'unknown_type', undefined],
      [`{"type":"nope","id":"${'x'.repeat(65)}"}`, 'unknown_type', undefined],
      ['{"type":"nope","id":1.5}', 'unknown_type', undefined],
    ];
    for (const [raw, code, id] of cases) {
      c.send(raw);
      const e = await nextError(c);
      expect(e.error.code, raw).toBe(code);
      expect(e.error.retryable, raw).toBe(false);
      if (id === undefined) expect(e, raw).not.toHaveProperty('id');
      else expect(e.id, raw).toBe(id);
      expect(c.frames, raw).toEqual([]);
    }
    c.ws.send(Buffer.from([0x7b, 0x7d, 0x00, 0xff]), { binary: true });
    expect((await nextError(c)).error.code).toBe('malformed');
    await expectUsable(c);

    const m = await metricsText(t.url);
    expect(sample(m, 'natter_errors_total', 'code="malformed"')).toBe(8);
    expect(sample(m, 'natter_errors_total', 'code="unknown_type"')).toBe(10);
    expect(sample(m, 'natter_errors_total', 'code="invalid_request"')).toBe(6);
    expect(sample(m, 'natter_frames_in_total', 'type="invalid"')).toBe(24);
  });

  it('rejects deeply nested frames with invalid_request (regression: a deep custom body came back as internal, retryable)', async () => {
    const t = await start({ MAX_FRAME_BYTES: 1024 * 1024 });
    const u = await register(t.url);
    const peer = await register(t.url);
    const c = await authed(t.wsUrl, u.accessToken);
    const conv = await c.request({ type: 'conversation.direct', userId: peer.userId });
    const conversationId = conv.data.id as string;
    const nest = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
    c.send(`{"type":"ping","id":1,"x":${nest(200_000)}}`);
    expect((await c.waitFor((f) => f.id === 1)).error).toMatchObject({ code: 'invalid_request', retryable: false });
    c.send(`{"type":"send","id":2,"conversationId":"${conversationId}","clientMsgId":"deep","msgType":"custom","body":${nest(10_000)}}`);
    expect((await c.waitFor((f) => f.id === 2)).error).toMatchObject({ code: 'invalid_request', retryable: false });
    // Nothing was stored, and ordinary nesting is still fine.
    const history = await c.request({ type: 'messages', conversationId, after: 0 });
    expect(history.data.messages.filter((m: { type: string }) => m.type !== 'system')).toEqual([]);
    const ok = await c.request({ type: 'send', conversationId, clientMsgId: 'shallow', msgType: 'custom', body: JSON.parse(nest(20)) });
    expect(ok.type).toBe('result');
    await expectUsable(c);
  });
});

describe('acks without an id', () => {
  it('are taken on the spot for entries delivered on the socket and counted, not timed; others are answered as before', async () => {
    const t = await start();
    const alice = await register(t.url);
    const bob = await register(t.url);
    const a = await authed(t.wsUrl, alice.accessToken);
    const b = await authed(t.wsUrl, bob.accessToken);
    const conv = (await a.request({ type: 'conversation.direct', userId: bob.userId })).data;
    const sent = (await a.request({ type: 'send', conversationId: conv.id, clientMsgId: 'k1', msgType: 'text', body: { text: 'hi' } })).data;
    await b.waitFor((f) => f.type === 'message' && f.message.seq === sent.seq);
    // The SDK's ack: no answer; alice is told bob's device has it (a delivery receipt).
    b.send({ type: 'ack', conversationId: conv.id, seq: sent.seq });
    const receipt = await a.waitFor((f) => f.type === 'receipt');
    expect(receipt.receipt).toMatchObject({ conversationId: conv.id, kind: 'delivered', userId: bob.userId, seq: sent.seq });
    b.send({ type: 'ack', conversationId: conv.id, seq: sent.seq });
    // Past what was delivered: the full path, which the store refuses.
    b.send({ type: 'ack', conversationId: conv.id, seq: sent.seq + 5 });
    expect((await nextError(b)).error.code).toBe('invalid_position');
    await expectUsable(b);
    const m = await metricsText(t.url);
    expect(sample(m, 'natter_frames_in_total', 'type="ack"')).toBe(3);
    expect(sample(m, 'natter_frame_duration_seconds_count', 'type="ack"')).toBe(1);
    expect(sample(m, 'natter_errors_total', 'code="invalid_position"')).toBe(1);
  });
});

describe('heartbeat', () => {
  it('closes a client that does not answer pings with 3001 within a few intervals; a normal client stays', async () => {
    const t = await start({ HEARTBEAT_INTERVAL_MS: 100 });
    const u = await register(t.url);
    const healthy = await authed(t.wsUrl, u.accessToken);
    const deaf = await open(t.wsUrl, { autoPong: false });
    const deafAuthed = await open(t.wsUrl, { autoPong: false });
    expect((await deafAuthed.request({ type: 'auth', token: u.accessToken })).type).toBe('result');
    const opened = Date.now();
    expect(await deaf.waitClosed(2000)).toBe(3001);
    expect(await deafAuthed.waitClosed(2000)).toBe(3001);
    expect(Date.now() - opened).toBeLessThan(1000);
    // A negative needs time: the healthy client has now lived through several intervals.
    await new Promise((r) => setTimeout(r, 350));
    await expectUsable(healthy);
    const m = await metricsText(t.url);
    expect(sample(m, 'natter_connection_closes_total', 'reason="heartbeat_timeout"')).toBe(2);
  });
});

describe('heartbeat at scale', () => {
  it('pings the sockets a slice at a time, serving the event loop between slices, and every client still answers', async () => {
    const t = await start({ HEARTBEAT_INTERVAL_MS: 400 });
    const n = 600;
    const clients: RawClient[] = [];
    for (let i = 0; i < n; i += 100) clients.push(...(await Promise.all(Array.from({ length: 100 }, () => open(t.wsUrl)))));
    // The server's sockets are ws WebSockets in this process: count their pings, and where a
    // callback queued on the event loop at the first ping of a heartbeat ran among them.
    const ping = WebSocket.prototype.ping;
    let pings = 0;
    let pingsWhenLoopRan = -1;
    WebSocket.prototype.ping = function (this: WebSocket, ...args: Parameters<WebSocket['ping']>) {
      if (pings++ === 0) setImmediate(() => (pingsWhenLoopRan = pings));
      return ping.apply(this, args);
    };
    try {
      const deadline = Date.now() + 5000;
      while (pings < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    } finally {
      WebSocket.prototype.ping = ping;
    }
    expect(pings).toBeGreaterThanOrEqual(n);
    // Not every socket in one turn of the loop: a heartbeat must not hold deliveries back.
    expect(pingsWhenLoopRan).toBeGreaterThan(0);
    expect(pingsWhenLoopRan).toBeLessThan(n);
    // A heartbeat later, every client answered its ping and is still open.
    await new Promise((r) => setTimeout(r, 900));
    expect(clients.filter((c) => c.closeCode !== null)).toHaveLength(0);
  });
});

describe('revocation closes live sockets', () => {
  async function setup() {
    const t = await start();
    const u = await register(t.url);
    const b = await login(t.url, u.username);
    const stranger = await register(t.url);
    const a1 = await authed(t.wsUrl, u.accessToken);
    const a2 = await authed(t.wsUrl, u.accessToken);
    const b1 = await authed(t.wsUrl, b.accessToken);
    const s1 = await authed(t.wsUrl, stranger.accessToken);
    return { t, u, b, stranger, a1, a2, b1, s1 };
  }

  it('DELETE /v1/me/devices/:id closes every socket of that device within 1 s with 3502; other devices stay', async () => {
    const { t, u, b, a1, a2, b1, s1 } = await setup();
    const started = Date.now();
    expect((await api(t.url, 'DELETE', `/v1/me/devices/${u.deviceId}`, undefined, bearer(b.accessToken))).status).toBe(204);
    expect(await a1.waitClosed(1000)).toBe(3502);
    expect(await a2.waitClosed(1000)).toBe(3502);
    expect(Date.now() - started).toBeLessThan(1000);
    await expectUsable(b1);
    await expectUsable(s1);
  });

  it('POST /v1/auth/logout closes that device\'s sockets with 3502; other devices stay', async () => {
    const { t, u, a1, a2, b1, s1 } = await setup();
    const started = Date.now();
    expect((await api(t.url, 'POST', '/v1/auth/logout', undefined, bearer(u.accessToken))).status).toBe(204);
    expect(await a1.waitClosed(1000)).toBe(3502);
    expect(await a2.waitClosed(1000)).toBe(3502);
    expect(Date.now() - started).toBeLessThan(1000);
    await expectUsable(b1);
    await expectUsable(s1);
  });

  it('a reused refresh token closes the device\'s live sockets', async () => {
    const { t, u, a1, b1 } = await setup();
    expect((await api(t.url, 'POST', '/v1/auth/refresh', { refreshToken: u.refreshToken })).status).toBe(200);
    expect((await api(t.url, 'POST', '/v1/auth/refresh', { refreshToken: u.refreshToken })).body.error.code).toBe('device_revoked');
    expect(await a1.waitClosed(1000)).toBe(3502);
    await expectUsable(b1);
  });

  it('a password change closes the other devices\' sockets and keeps the current one', async () => {
    const { t, b, a1, a2, b1, s1 } = await setup();
    const r = await api(t.url, 'POST', '/v1/me/password', { currentPassword: PASSWORD, newPassword: 'another long password' }, bearer(b.accessToken));
    expect(r.status).toBe(204);
    expect(await a1.waitClosed(1000)).toBe(3502);
    expect(await a2.waitClosed(1000)).toBe(3502);
    await expectUsable(b1);
    await expectUsable(s1);
  });
});

describe('slow consumer', () => {
  it('closes a socket that stops reading once its queue passes MAX_SEND_QUEUE_BYTES; others are served', async () => {
    const t = await start({ MAX_SEND_QUEUE_BYTES: 16 * 1024, MAX_FRAME_BYTES: 2 * 1024 * 1024, MAX_TEXT_LENGTH: 200_000 });
    const u = await register(t.url);
    const peer = await register(t.url);
    const healthy = await authed(t.wsUrl, peer.accessToken);
    const writer = await authed(t.wsUrl, u.accessToken);
    const conv = await writer.request({ type: 'conversation.direct', userId: peer.userId });
    const conversationId = conv.data.id as string;
    for (let i = 0; i < 5; i++) {
      const r = await writer.request({ type: 'send', conversationId, clientMsgId: `big${i}`, msgType: 'text', body: { text: String(i).repeat(190_000) } });
      expect(r.type).toBe('result');
    }
    const slow = await authed(t.wsUrl, u.accessToken);
    const socket = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    // Each answer is about 1 MB; the slow client asks for far more than any socket buffer holds.
    for (let i = 0; i < 60; i++) slow.send({ type: 'messages', id: 1000 + i, conversationId, after: 0 });

    const deadline = Date.now() + 10_000;
    let closes = 0;
    while (Date.now() < deadline) {
      closes = sample(await metricsText(t.url), 'natter_connection_closes_total', 'reason="slow_consumer"');
      if (closes > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(closes).toBe(1);
    // Meanwhile the others are served without delay.
    await expectUsable(healthy);
    await expectUsable(writer);
    const sent = await writer.request({ type: 'send', conversationId, clientMsgId: 'after', msgType: 'text', body: { text: 'still here' } });
    expect((await healthy.waitFor((f) => f.type === 'message' && f.message.seq === sent.data.seq)).message.body.text).toBe('still here');
    // Once it reads again, the slow client finds its connection gone.
    socket.resume();
    const code = await slow.waitClosed(5000);
    expect([3002, 1006]).toContain(code);
    expect(sample(await metricsText(t.url), 'natter_connections', '')).toBe(2);
  });
});
