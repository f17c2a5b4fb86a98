/**
 * Accounts over the real HTTP API: register, login and its brute-force limits, refresh
 * rotation with reuse detection, token expiry and forgery, logout, devices, password change,
 * profile, the admin API, body limits, health, metrics, and that no secret reaches the logs.
 * Each test runs against a real server on port 0 with its own SQLite file.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createLogger, loadConfig, startNatter, systemClock, type Clock } from '@natter/server';
import { ADMIN_KEY, api, perTest, RawClient, register } from '../harness.js';

const PASSWORD = 'correct horse battery';
const { start, defer } = perTest();

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const admin = (key = ADMIN_KEY) => ({ 'x-admin-key': key });

let names = 0;
const uniqueName = (prefix = 'u') => `${prefix}${++names}_${Date.now().toString(36)}`;

/** A clock the test moves by hand; timers still run on real time. */
class ManualClock implements Clock {
  t = Date.UTC(2030, 0, 1);
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): { cancel(): void } {
    return systemClock.setTimeout(fn, ms);
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

async function login(base: string, username: string, password = PASSWORD, headers: Record<string, string> = {}) {
  return api(base, 'POST', '/v1/auth/login', { username, password }, headers);
}

async function metricsText(base: string): Promise<string> {
  const res = await fetch(base + '/metrics');
  expect(res.status).toBe(200);
  return res.text();
}

/** The value of one sample line in Prometheus text, or 0 if absent. */
function sample(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('register', () => {
  it('creates a user and a first device, 201, with working tokens and no password hash', async () => {
    const t = await start();
    const name = uniqueName('Reg');
    const r = await api(t.url, 'POST', '/v1/auth/register', { username: name, password: PASSWORD, displayName: 'Reg One', deviceName: 'phone' });
    expect(r.status).toBe(201);
    expect(r.body.user).toEqual({ id: expect.stringMatching(/^u_/), username: name, displayName: 'Reg One', avatarUrl: null });
    expect(r.body.tokens).toMatchObject({ userId: r.body.user.id, deviceId: expect.stringMatching(/^d_/) });
    expect(typeof r.body.tokens.accessToken).toBe('string');
    expect(typeof r.body.tokens.refreshToken).toBe('string');
    expect(r.body.tokens.accessTokenExpiresAt).toBeGreaterThan(Date.now());
    expect(JSON.stringify(r.body)).not.toMatch(/argon2|passwordHash|password_hash/i);
    const me = await api(t.url, 'GET', '/v1/me', undefined, bearer(r.body.tokens.accessToken));
    expect(me.status).toBe(200);
    expect(me.body).toEqual(r.body.user);
  });

  it('refuses a taken username with 409 username_taken, case-insensitively', async () => {
    const t = await start();
    const name = uniqueName('Taken');
    await register(t.url, name);
    for (const variant of [name, name.toLowerCase(), name.toUpperCase()]) {
      const r = await api(t.url, 'POST', '/v1/auth/register', { username: variant, password: PASSWORD });
      expect(r.status).toBe(409);
      expect(r.body.error).toMatchObject({ code: 'username_taken', retryable: false });
    }
  });

  it('validates username and password with invalid_request naming the field', async () => {
    const t = await start();
    const cases: [unknown, string][] = [
      [{ username: 'ab', password: PASSWORD }, 'body.username'],
      [{ username: 'has space', password: PASSWORD }, 'body.username'],
      [{ username: 'x'.repeat(33), password: PASSWORD }, 'body.username'],
      [{ username: uniqueName(), password: 'short' }, 'body.password'],
      [{ username: uniqueName(), password: 'p'.repeat(257) }, 'body.password'],
      [{ username: uniqueName() }, 'body.password'],
      [{ username: 42, password: PASSWORD }, 'body.username'],
    ];
    for (const [body, field] of cases) {
      const r = await api(t.url, 'POST', '/v1/auth/register', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('invalid_request');
      expect(r.body.error.message).toContain(field);
    }
  });

  it.each<Record<string, string | boolean>>([{ REGISTRATION: 'closed' }, { REGISTRATION_OPEN: false }])('is refused with 403 forbidden with %j, while the admin API still creates users', async (setting) => {
    const t = await start(setting);
    const r = await api(t.url, 'POST', '/v1/auth/register', { username: uniqueName(), password: PASSWORD });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('forbidden');
    const created = await api(t.url, 'POST', '/v1/admin/users', { username: uniqueName(), password: PASSWORD }, admin());
    expect(created.status).toBe(201);
  });
});

describe('login', () => {
  it('opens a new device for the right password, whatever the username case', async () => {
    const t = await start();
    const u = await register(t.url, uniqueName('Case'));
    const r = await login(t.url, u.username.toUpperCase());
    expect(r.status).toBe(200);
    expect(r.body.userId).toBe(u.userId);
    expect(r.body.deviceId).not.toBe(u.deviceId);
    const me = await api(t.url, 'GET', '/v1/me', undefined, bearer(r.body.accessToken));
    expect(me.body.username).toBe(u.username);
  });

  it('gives the same answer for an unknown user and a wrong password', async () => {
    const t = await start();
    const u = await register(t.url);
    const wrong = await login(t.url, u.username, 'not the password');
    const unknown = await login(t.url, uniqueName('ghost'), 'not the password');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_credentials');
    expect(unknown.status).toBe(wrong.status);
    expect(unknown.body).toEqual(wrong.body);
  });

  it('locks an account after LOGIN_ATTEMPTS_PER_ACCOUNT failures: 429 rate_limited with Retry-After, even for the right password', async () => {
    const t = await start({ LOGIN_ATTEMPTS_PER_ACCOUNT: 3 });
    const u = await register(t.url);
    const other = await register(t.url);
    // Case variants count against the same account.
    for (const name of [u.username, u.username.toUpperCase(), u.username.toLowerCase()]) {
      expect((await login(t.url, name, 'wrong password')).body.error.code).toBe('invalid_credentials');
    }
    const res = await fetch(t.url + '/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: u.username, password: PASSWORD }),
    });
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(900);
    const body = (await res.json()) as { error: { code: string; retryable: boolean; details: { retryAfterMs: number } } };
    expect(body.error).toMatchObject({ code: 'rate_limited', retryable: true });
    expect(body.error.details.retryAfterMs).toBeGreaterThan(0);
    // Another account from the same address is not affected.
    expect((await login(t.url, other.username)).status).toBe(200);
    // Existing sessions of the locked account keep working.
    expect((await api(t.url, 'GET', '/v1/me', undefined, bearer(u.accessToken))).status).toBe(200);
  });

  it('resets the account counter after a successful login', async () => {
    const t = await start({ LOGIN_ATTEMPTS_PER_ACCOUNT: 3 });
    const u = await register(t.url);
    for (let i = 0; i < 2; i++) expect((await login(t.url, u.username, 'wrong password')).status).toBe(401);
    expect((await login(t.url, u.username)).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await login(t.url, u.username, 'wrong password')).status).toBe(401);
    expect((await login(t.url, u.username)).status).toBe(200);
  });

  it('locks an IP after LOGIN_ATTEMPTS_PER_IP failures across accounts; X-Forwarded-For is not trusted by default', async () => {
    const t = await start({ LOGIN_ATTEMPTS_PER_ACCOUNT: 100, LOGIN_ATTEMPTS_PER_IP: 3 });
    const u = await register(t.url);
    for (let i = 0; i < 3; i++) {
      const r = await login(t.url, uniqueName('spray'), 'wrong password', { 'x-forwarded-for': `10.0.0.${i + 1}` });
      expect(r.body.error.code).toBe('invalid_credentials');
    }
    const blocked = await login(t.url, u.username, PASSWORD, { 'x-forwarded-for': '10.9.9.9' });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('rate_limited');
  });
});

describe('refresh rotation', () => {
  it('rotates: the new refresh token works, and the new access token works', async () => {
    const t = await start();
    const u = await register(t.url);
    const r1 = await api(t.url, 'POST', '/v1/auth/refresh', { refreshToken: u.refreshToken });
    expect(r1.status).toBe(200);
    expect(r1.body).toMatchObject({ userId: u.userId, deviceId: u.deviceId });
    expect(r1.body.refreshToken).not.toBe(u.refreshToken);
    expect((await api(t.url, 'GET', '/v1/me', undefined, bearer(r1.body.accessToken))).status).toBe(200);
    const r2 = await api(t.url, 'POST', '/v1/auth/refresh', { refreshToken: r1.body.refreshToken });
    expect(r2.status).toBe(200);
    expect(r2.body.deviceId).toBe(u.deviceId);
  });

  it('treats a reused refresh token as theft: device_revoked, and the whole device is signed out', async () => {
    const t = await start();
    const u = await register(t.url);
    const second = await login(t.url, u.username);
    const rotated = await api(t.url, 'POST', '/v1/auth/refresh', { refreshToken: u.refreshToken });
    expect(rotated.status).toBe(200);

    const replay = await api(t.url, 'POST', '/v1/auth/refresh', { refreshToken: u.refreshToken });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('device_revoked');

    // Even the newest refresh token of that device is dead now, and so are its access tokens.
    const newest = await api(t.url, 'POST', '/v1/auth/refresh', { refreshToken: rotated.body.refreshToken });
    expect(newest.status).toBe(401);
    expect(newest.body.error.code).toBe('device_revoked');
    for (const token of [u.accessToken, rotated.body.accessToken as string]) {
      const me = await api(t.url, 'GET', '/v1/me', undefined, bearer(token));
      expect(me.status).toBe(401);
      expect(me.body.error.code).toBe('device_revoked');
    }
    // The user's other device is untouched.
    expect((await api(t.url, 'GET', '/v1/me', undefined, bearer(second.body.accessToken))).status).toBe(200);
    const devices = await api(t.url, 'GET', '/v1/me/devices', undefined, bearer(second.body.accessToken));
    expect(devices.body.devices.map((d: { id: string }) => d.id)).toEqual([second.body.deviceId]);
  });

  it('rejects malformed and unknown refresh tokens with invalid_token', async () => {
    const t = await start();
    await register(t.url);
    for (const refreshToken of ['garbage', 'd_doesnotexist.secret', '.x', 'x.', 'd_' + 'x'.repeat(300) + '.y']) {
      const r = await api(t.url, 'POST', '/v1/auth/refresh', { refreshToken });
      expect(r.status, refreshToken).toBe(401);
      expect(r.body.error.code).toBe('invalid_token');
    }
    const missing = await api(t.url, 'POST', '/v1/auth/refresh', {});
    expect(missing.body.error.code).toBe('invalid_request');
  });
});

describe('access tokens', () => {
  it('expire after ACCESS_TOKEN_TTL_SECONDS (token_expired), and a refresh gives a working one', async () => {
    const clock = new ManualClock();
    const t = await start({}, { clock });
    const u = await register(t.url);
    clock.advance(899_000);
    expect((await api(t.url, 'GET', '/v1/me', undefined, bearer(u.accessToken))).status).toBe(200);
    clock.advance(2_000);
    const expired = await api(t.url, 'GET', '/v1/me', undefined, bearer(u.accessToken));
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe('token_expired');
    const r = await api(t.url, 'POST', '/v1/auth/refresh', { refreshToken: u.refreshToken });
    expect(r.status).toBe(200);
    expect((await api(t.url, 'GET', '/v1/me', undefined, bearer(r.body.accessToken))).status).toBe(200);
  });

  it('refresh tokens expire after REFRESH_TOKEN_TTL_DAYS', async () => {
    const clock = new ManualClock();
    const t = await start({ REFRESH_TOKEN_TTL_DAYS: 1 }, { clock });
    const u = await register(t.url);
    clock.advance(86_400_000 + 1000);
    const r = await api(t.url, 'POST', '/v1/auth/refresh', { refreshToken: u.refreshToken });
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('token_expired');
  });

  it('rejects forged and tampered tokens with invalid_token', async () => {
    const t = await start();
    const u = await register(t.url);
    const victim = await register(t.url);
    const now = Math.floor(Date.now() / 1000);
    const sign = (secret: string, claims: Record<string, unknown>, opts: { sub?: string; iss?: string; aud?: string } = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(opts.sub ?? victim.userId)
        .setIssuer(opts.iss ?? 'natter')
        .setAudience(opts.aud ?? 'natter')
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .sign(new TextEncoder().encode(secret));

    const [header, payload, signature] = u.accessToken.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const realSecret = readFileSync(join(t.dataDir, 'jwt-secret'), 'utf8').trim();

    const forged: [string, string][] = [
      ['another secret', await sign('x'.repeat(48), { did: victim.deviceId })],
      ['payload swapped to another user', `${header}.${b64url({ ...claims, sub: victim.userId, did: victim.deviceId })}.${signature}`],
      ['signature flipped', `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`],
      ['alg none', `${b64url({ alg: 'none', typ: 'JWT' })}.${payload}.`],
      ['not a JWT', 'hello'],
      // Signed with the real key but not a token this server would issue.
      ['device of another user', await sign(realSecret, { did: victim.deviceId }, { sub: u.userId })],
      ['missing device claim', await sign(realSecret, {})],
      ['wrong issuer', await sign(realSecret, { did: victim.deviceId }, { iss: 'someone-else' })],
      ['wrong audience', await sign(realSecret, { did: victim.deviceId }, { aud: 'other-app' })],
      ['unknown device', await sign(realSecret, { did: 'd_nope' })],
    ];
    // Sanity check: the real key and claims do make a token the server accepts.
    const genuine = await sign(realSecret, { did: victim.deviceId });
    expect((await api(t.url, 'GET', '/v1/me', undefined, bearer(genuine))).body.id).toBe(victim.userId);

    for (const [what, token] of forged) {
      const r = await api(t.url, 'GET', '/v1/me', undefined, bearer(token));
      expect(r.status, what).toBe(401);
      expect(r.body.error.code, what).toBe('invalid_token');
    }
    const none = await api(t.url, 'GET', '/v1/me');
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('invalid_token');
    const basic = await api(t.url, 'GET', '/v1/me', undefined, { authorization: 'Basic dXNlcjpwYXNz' });
    expect(basic.body.error.code).toBe('invalid_token');
  });
});

describe('logout and devices', () => {
  it('logout signs out only that device: its access and refresh tokens fail with device_revoked', async () => {
    const t = await start();
    const u = await register(t.url);
    const other = await login(t.url, u.username);
    const out = await api(t.url, 'POST', '/v1/auth/logout', undefined, bearer(u.accessToken));
    expect(out.status).toBe(204);
    const me = await api(t.url, 'GET', '/v1/me', undefined, bearer(u.accessToken));
    expect(me.status).toBe(401);
    expect(me.body.error.code).toBe('device_revoked');
    const refresh = await api(t.url, 'POST', '/v1/auth/refresh', { refreshToken: u.refreshToken });
    expect(refresh.body.error.code).toBe('device_revoked');
    expect((await api(t.url, 'GET', '/v1/me', undefined, bearer(other.body.accessToken))).status).toBe(200);
    const again = await api(t.url, 'POST', '/v1/auth/logout', undefined, bearer(u.accessToken));
    expect(again.body.error.code).toBe('device_revoked');
  });

  it('lists the caller\'s live devices, marking the current one', async () => {
    const t = await start();
    const name = uniqueName();
    const reg = await api(t.url, 'POST', '/v1/auth/register', { username: name, password: PASSWORD, deviceName: 'phone' });
    const second = await api(t.url, 'POST', '/v1/auth/login', { username: name, password: PASSWORD, deviceName: 'laptop' });
    const stranger = await register(t.url);
    const r = await api(t.url, 'GET', '/v1/me/devices', undefined, bearer(reg.body.tokens.accessToken));
    expect(r.status).toBe(200);
    const byId = new Map<string, { name: string; current: boolean }>(r.body.devices.map((d: { id: string }) => [d.id, d]));
    expect(byId.size).toBe(2);
    expect(byId.get(reg.body.tokens.deviceId)).toMatchObject({ name: 'phone', current: true });
    expect(byId.get(second.body.deviceId)).toMatchObject({ name: 'laptop', current: false });
    expect(byId.has(stranger.deviceId)).toBe(false);
    expect(JSON.stringify(r.body)).not.toMatch(/refresh|hash/i);
  });

  it('revokes one of the caller\'s devices, but answers 404 not_found for anyone else\'s', async () => {
    const t = await start();
    const u = await register(t.url);
    const second = await login(t.url, u.username);
    const stranger = await register(t.url);

    const theirs = await api(t.url, 'DELETE', `/v1/me/devices/${stranger.deviceId}`, undefined, bearer(u.accessToken));
    expect(theirs.status).toBe(404);
    expect(theirs.body.error.code).toBe('not_found');
    expect((await api(t.url, 'GET', '/v1/me', undefined, bearer(stranger.accessToken))).status).toBe(200);
    // Same answer as for a device that does not exist at all.
    const ghost = await api(t.url, 'DELETE', '/v1/me/devices/d_doesnotexist', undefined, bearer(u.accessToken));
    expect(ghost.status).toBe(404);
    expect(ghost.body).toEqual(theirs.body);

    const mine = await api(t.url, 'DELETE', `/v1/me/devices/${second.body.deviceId}`, undefined, bearer(u.accessToken));
    expect(mine.status).toBe(204);
    const revoked = await api(t.url, 'GET', '/v1/me', undefined, bearer(second.body.accessToken));
    expect(revoked.body.error.code).toBe('device_revoked');
    const list = await api(t.url, 'GET', '/v1/me/devices', undefined, bearer(u.accessToken));
    expect(list.body.devices.map((d: { id: string }) => d.id)).toEqual([u.deviceId]);
    const twice = await api(t.url, 'DELETE', `/v1/me/devices/${second.body.deviceId}`, undefined, bearer(u.accessToken));
    expect(twice.status).toBe(404);
    const bad = await api(t.url, 'DELETE', '/v1/me/devices/not%20an%20id', undefined, bearer(u.accessToken));
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
    const anon = await api(t.url, 'DELETE', `/v1/me/devices/${u.deviceId}`);
    expect(anon.status).toBe(401);
  });
});

describe('password change', () => {
  it('refuses a wrong current password with 403 wrong_password and changes nothing', async () => {
    const t = await start();
    const u = await register(t.url);
    const other = await login(t.url, u.username);
    const r = await api(t.url, 'POST', '/v1/me/password', { currentPassword: 'not it at all', newPassword: 'brand new password' }, bearer(u.accessToken));
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('wrong_password');
    expect((await api(t.url, 'GET', '/v1/me', undefined, bearer(other.body.accessToken))).status).toBe(200);
    expect((await login(t.url, u.username)).status).toBe(200);
    expect((await login(t.url, u.username, 'brand new password')).status).toBe(401);
  });

  it('rate-limits guesses of the current password like logins', async () => {
    const t = await start({ LOGIN_ATTEMPTS_PER_ACCOUNT: 3 });
    const u = await register(t.url);
    for (let i = 0; i < 3; i++) {
      const r = await api(t.url, 'POST', '/v1/me/password', { currentPassword: `guess ${i}`, newPassword: 'brand new password' }, bearer(u.accessToken));
      expect(r.body.error.code).toBe('wrong_password');
    }
    const right = await api(t.url, 'POST', '/v1/me/password', { currentPassword: PASSWORD, newPassword: 'brand new password' }, bearer(u.accessToken));
    expect(right.status).toBe(429);
    expect(right.body.error.code).toBe('rate_limited');
    expect((await login(t.url, u.username)).status).toBe(200);
  });

  it('changes the password and signs out every other device, keeping the current one', async () => {
    const t = await start();
    const u = await register(t.url);
    const other = await login(t.url, u.username);
    const third = await login(t.url, u.username);
    const r = await api(t.url, 'POST', '/v1/me/password', { currentPassword: PASSWORD, newPassword: 'brand new password' }, bearer(u.accessToken));
    expect(r.status).toBe(204);
    for (const d of [other.body, third.body]) {
      const me = await api(t.url, 'GET', '/v1/me', undefined, bearer(d.accessToken));
      expect(me.body.error.code).toBe('device_revoked');
      const refresh = await api(t.url, 'POST', '/v1/auth/refresh', { refreshToken: d.refreshToken });
      expect(refresh.body.error.code).toBe('device_revoked');
    }
    expect((await api(t.url, 'GET', '/v1/me', undefined, bearer(u.accessToken))).status).toBe(200);
    expect((await api(t.url, 'POST', '/v1/auth/refresh', { refreshToken: u.refreshToken })).status).toBe(200);
    expect((await login(t.url, u.username)).body.error.code).toBe('invalid_credentials');
    expect((await login(t.url, u.username, 'brand new password')).status).toBe(200);
  });

  it('validates the new password', async () => {
    const t = await start();
    const u = await register(t.url);
    const r = await api(t.url, 'POST', '/v1/me/password', { currentPassword: PASSWORD, newPassword: 'short' }, bearer(u.accessToken));
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'invalid_request', message: expect.stringContaining('body.newPassword') });
    expect((await login(t.url, u.username)).status).toBe(200);
  });
});

describe('profile', () => {
  it('updates display name and avatar, visible to other users; username cannot be changed this way', async () => {
    const t = await start();
    const u = await register(t.url);
    const peer = await register(t.url);
    const r = await api(
      t.url,
      'PATCH',
      '/v1/me',
      { displayName: '  Ada L.  ', avatarUrl: 'https://cdn.example/a.png', username: 'hijacked' },
      bearer(u.accessToken),
    );
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ id: u.userId, username: u.username, displayName: 'Ada L.', avatarUrl: 'https://cdn.example/a.png' });
    const seen = await api(t.url, 'GET', `/v1/users/${u.userId}`, undefined, bearer(peer.accessToken));
    expect(seen.body).toEqual(r.body);
    // A partial patch leaves other fields; null clears.
    const cleared = await api(t.url, 'PATCH', '/v1/me', { avatarUrl: null }, bearer(u.accessToken));
    expect(cleared.body).toMatchObject({ displayName: 'Ada L.', avatarUrl: null });
  });

  it('rejects bad profile values with invalid_request and keeps the old ones', async () => {
    const t = await start();
    const u = await register(t.url);
    await api(t.url, 'PATCH', '/v1/me', { displayName: 'Keep' }, bearer(u.accessToken));
    const cases: [unknown, string][] = [
      [{ displayName: '   ' }, 'body.displayName'],
      [{ displayName: 'x'.repeat(65) }, 'body.displayName'],
      [{ displayName: 12 }, 'body.displayName'],
      [{ avatarUrl: 'javascript:alert(1)' }, 'body.avatarUrl'],
      [{ avatarUrl: 'ftp://files.example/a.png' }, 'body.avatarUrl'],
      [{ avatarUrl: 'not a url' }, 'body.avatarUrl'],
      [{ avatarUrl: 'https://x.example/' + 'a'.repeat(2100) }, 'body.avatarUrl'],
    ];
    for (const [body, field] of cases) {
      const r = await api(t.url, 'PATCH', '/v1/me', body, bearer(u.accessToken));
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('invalid_request');
      expect(r.body.error.message).toContain(field);
    }
    const me = await api(t.url, 'GET', '/v1/me', undefined, bearer(u.accessToken));
    expect(me.body).toMatchObject({ displayName: 'Keep', avatarUrl: null });
  });
});

describe('admin API', () => {
  it('refuses a missing or wrong X-Admin-Key with 401 invalid_api_key', async () => {
    const t = await start();
    const body = { username: uniqueName() };
    for (const headers of [{}, admin('wrong'), admin(ADMIN_KEY + 'x'), admin(ADMIN_KEY.toUpperCase()), bearer(ADMIN_KEY)]) {
      const r = await api(t.url, 'POST', '/v1/admin/users', body, headers);
      expect(r.status, JSON.stringify(headers)).toBe(401);
      expect(r.body.error.code).toBe('invalid_api_key');
    }
    const u = await register(t.url);
    const mint = await api(t.url, 'POST', `/v1/admin/users/${u.userId}/tokens`, {}, admin('wrong'));
    expect(mint.body.error.code).toBe('invalid_api_key');
    // A user's access token is not an admin key either.
    const asUser = await api(t.url, 'POST', `/v1/admin/users/${u.userId}/tokens`, {}, { ...bearer(u.accessToken), 'x-admin-key': u.accessToken });
    expect(asUser.body.error.code).toBe('invalid_api_key');
  });

  it('creates users and mints tokens that work over HTTP and on the WebSocket', async () => {
    const t = await start();
    const name = uniqueName('App');
    const created = await api(t.url, 'POST', '/v1/admin/users', { username: name, displayName: 'App User' }, admin());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ username: name, displayName: 'App User', avatarUrl: null });
    const dup = await api(t.url, 'POST', '/v1/admin/users', { username: name.toLowerCase() }, admin());
    expect(dup.body.error.code).toBe('username_taken');

    const minted = await api(t.url, 'POST', `/v1/admin/users/${created.body.id}/tokens`, { deviceName: 'backend-session' }, admin());
    expect(minted.status).toBe(201);
    expect(minted.body.userId).toBe(created.body.id);
    expect((await api(t.url, 'GET', '/v1/me', undefined, bearer(minted.body.accessToken))).body.username).toBe(name);
    const ws = await RawClient.authed(t.wsUrl, minted.body.accessToken);
    defer(() => ws.close());
    const ping = await ws.request({ type: 'ping' });
    expect(ping.type).toBe('result');

    // A user created without a password cannot log in with any password.
    expect((await login(t.url, name, '')).status).toBe(400);
    expect((await login(t.url, name, 'anything at all')).body.error.code).toBe('invalid_credentials');

    const ghost = await api(t.url, 'POST', '/v1/admin/users/u_doesnotexist/tokens', {}, admin());
    expect(ghost.status).toBe(404);
    expect(ghost.body.error.code).toBe('not_found');
  });

  it('creates users with a password who can then log in', async () => {
    const t = await start();
    const name = uniqueName();
    expect((await api(t.url, 'POST', '/v1/admin/users', { username: name, password: PASSWORD }, admin())).status).toBe(201);
    expect((await login(t.url, name)).status).toBe(200);
    const bad = await api(t.url, 'POST', '/v1/admin/users', { username: 'a b' }, admin());
    expect(bad.body.error.code).toBe('invalid_request');
  });

  it('is disabled when ADMIN_API_KEY is unset', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'natter-test-'));
    const config = loadConfig({}, { PORT: 0, HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATA_DIR: dataDir });
    expect(config.ADMIN_API_KEY).toBeUndefined();
    const server = await startNatter(config);
    defer(async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    });
    for (const key of ['', 'anything', ADMIN_KEY]) {
      const r = await api(server.url, 'POST', '/v1/admin/users', { username: uniqueName() }, admin(key));
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('invalid_api_key');
    }
  });
});

describe('HTTP hygiene', () => {
  it('answers malformed JSON with 400 malformed', async () => {
    const t = await start();
    for (const body of ['{"username": "a",', '{nope}', 'undefined']) {
      const r = await api(t.url, 'POST', '/v1/auth/login', body, { 'content-type': 'application/json' });
      expect(r.status, body).toBe(400);
      expect(r.body.error.code).toBe('malformed');
    }
    // JSON that is not an object is a validation error, not a crash.
    for (const body of ['null', '[]', '"text"', '42']) {
      const r = await api(t.url, 'POST', '/v1/auth/login', body);
      expect(r.status, body).toBe(400);
      expect(r.body.error.code).toBe('invalid_request');
    }
  });

  it('answers an oversized body with 413 too_large', async () => {
    const t = await start({ MAX_FRAME_BYTES: 4096, MAX_TEXT_LENGTH: 100, MAX_CUSTOM_BODY_BYTES: 1024 });
    const r = await api(t.url, 'POST', '/v1/auth/register', { username: 'big', password: 'x'.repeat(10_000) });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('too_large');
    // The server keeps serving.
    expect((await api(t.url, 'GET', '/healthz')).status).toBe(200);
  });

  it('answers a wrong content type with a stable error', async () => {
    const t = await start();
    const r = await api(t.url, 'POST', '/v1/auth/login', 'username=a&password=b', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_request');
  });

  it('answers an unknown route with 404 not_found in the error shape', async () => {
    const t = await start();
    for (const [method, path] of [
      ['GET', '/nope'],
      ['POST', '/v1/auth/nope'],
      ['PUT', '/v1/me'],
    ] as const) {
      const r = await api(t.url, method, path);
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.body).toEqual({ error: { code: 'not_found', message: expect.any(String), retryable: false } });
    }
  });

  it('serves GET /healthz', async () => {
    const t = await start();
    const r = await api(t.url, 'GET', '/healthz');
    expect(r).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('serves natter_ metrics and counts errors by code (regression: unknown routes were not counted)', async () => {
    const t = await start();
    const before = await metricsText(t.url);
    for (const name of ['natter_connections', 'natter_connections_authenticated', 'natter_frames_in_total', 'natter_errors_total', 'natter_http_request_duration_seconds']) {
      expect(before).toContain(`# TYPE ${name} `);
    }
    const u = await register(t.url);
    await login(t.url, u.username, 'wrong password');
    await login(t.url, u.username, 'wrong password');
    await api(t.url, 'POST', '/v1/auth/login', '{bad', { 'content-type': 'application/json' });
    await api(t.url, 'GET', '/definitely/not/here');
    await api(t.url, 'GET', '/v1/me', undefined, bearer('forged'));
    const after = await metricsText(t.url);
    expect(sample(after, 'natter_errors_total', 'code="invalid_credentials"')).toBe(2);
    expect(sample(after, 'natter_errors_total', 'code="malformed"')).toBe(1);
    expect(sample(after, 'natter_errors_total', 'code="not_found"')).toBe(1);
    expect(sample(after, 'natter_errors_total', 'code="invalid_token"')).toBe(1);
    expect(after).toMatch(/natter_http_request_duration_seconds_count\{route="\/v1\/auth\/login",status="401"\} 2/);
  });
});

describe('logs', () => {
  it('no password, token or admin key reaches the server logs during a full account lifecycle', async () => {
    const lines: string[] = [];
    const logger = createLogger('trace', { write: (s: string) => void lines.push(s) });
    const t = await start({ LOG_LEVEL: 'trace', LOGIN_ATTEMPTS_PER_ACCOUNT: 2 }, { logger });
    const secrets: string[] = [ADMIN_KEY, 'wrong-key-but-secret-ish', PASSWORD, 'second password 42', 'a wrong guess 77', 'admin made pass 9'];

    const u = await register(t.url);
    const loggedIn = await login(t.url, u.username);
    await login(t.url, u.username, 'a wrong guess 77');
    await login(t.url, u.username, 'a wrong guess 77');
    await login(t.url, u.username, 'a wrong guess 77'); // rate limited
    const rotated = await api(t.url, 'POST', '/v1/auth/refresh', { refreshToken: u.refreshToken });
    await api(t.url, 'POST', '/v1/auth/refresh', { refreshToken: u.refreshToken }); // reuse
    await api(t.url, 'POST', '/v1/me/password', { currentPassword: 'a wrong guess 77', newPassword: 'second password 42' }, bearer(loggedIn.body.accessToken));
    await api(t.url, 'POST', '/v1/me/password', { currentPassword: PASSWORD, newPassword: 'second password 42' }, bearer(loggedIn.body.accessToken));
    const created = await api(t.url, 'POST', '/v1/admin/users', { username: uniqueName(), password: 'admin made pass 9' }, admin());
    const minted = await api(t.url, 'POST', `/v1/admin/users/${created.body.id}/tokens`, {}, admin());
    await api(t.url, 'POST', '/v1/admin/users', { username: uniqueName() }, admin('wrong-key-but-secret-ish'));
    const ws = await RawClient.authed(t.wsUrl, minted.body.accessToken);
    await ws.request({ type: 'auth', token: loggedIn.body.accessToken });
    ws.close();
    const bad = await RawClient.open(t.wsUrl);
    bad.send({ type: 'auth', id: 1, token: u.accessToken });
    await bad.waitClosed();
    await api(t.url, 'POST', '/v1/auth/logout', undefined, bearer(loggedIn.body.accessToken));
    await t.close();

    secrets.push(u.accessToken, u.refreshToken, loggedIn.body.accessToken, loggedIn.body.refreshToken, rotated.body.refreshToken, minted.body.accessToken, minted.body.refreshToken);
    // The random half of a refresh token (after the device id) must not appear on its own either.
    for (const r of [u.refreshToken, loggedIn.body.refreshToken, minted.body.refreshToken]) secrets.push(r.slice(r.indexOf('.') + 1));
    const out = lines.join('');
    expect(out).toContain('natter listening');
    for (const s of secrets) expect(out, `log contains ${s.slice(0, 12)}…`).not.toContain(s);
  });
});
