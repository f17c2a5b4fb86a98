/**
 * Abuse suite, issue 18 findings 2, 3, 5 and 7 (the limiter parts): password guessing against
 * the limits, attacked the way the outside review did. Each test is the attack and the
 * assertion that it no longer works. A `401 invalid_credentials` is only ever answered after
 * an argon2 verification, so counting them counts verifications.
 */
import { describe, expect, it } from 'vitest';
import { api, ADMIN_KEY, perTest, register } from '../harness.js';

const { start } = perTest();
const PASSWORD = 'correct horse battery';
const from = (ip: string) => ({ 'x-forwarded-for': ip });

function login(base: string, username: string, password: string, headers: Record<string, string> = {}) {
  return api(base, 'POST', '/v1/auth/login', { username, password }, headers);
}

function tally(results: { status: number; body: any }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) {
    const key = r.status === 200 ? 'ok' : String(r.body?.error?.code);
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

describe('finding 2: login limits hold under concurrency', () => {
  it('150 concurrent wrong logins for one account from one address: at most LOGIN_ATTEMPTS_PER_ACCOUNT verifications', async () => {
    const t = await start({ LOGIN_ATTEMPTS_PER_ACCOUNT: 10 });
    const u = await register(t.url);
    const results = await Promise.all(
      Array.from({ length: 150 }, (_, i) => login(t.url, u.username, `wrong guess ${i}`)),
    );
    const counts = tally(results);
    expect(counts.invalid_credentials).toBeLessThanOrEqual(10);
    expect(counts.invalid_credentials! + counts.rate_limited!).toBe(150);
  });

  it('150 concurrent wrong logins for 150 accounts from one address: at most LOGIN_ATTEMPTS_PER_IP verifications', async () => {
    const t = await start({ LOGIN_ATTEMPTS_PER_IP: 20 });
    const results = await Promise.all(
      Array.from({ length: 150 }, (_, i) => login(t.url, `nobody_${i}`, 'wrong guess')),
    );
    const counts = tally(results);
    expect(counts.invalid_credentials).toBeLessThanOrEqual(20);
    expect(counts.invalid_credentials! + counts.rate_limited!).toBe(150);
  });

  it('150 concurrent wrong password changes: at most LOGIN_ATTEMPTS_PER_ACCOUNT verifications', async () => {
    const t = await start({ LOGIN_ATTEMPTS_PER_ACCOUNT: 5 });
    const u = await register(t.url);
    const auth = { authorization: `Bearer ${u.accessToken}` };
    const results = await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        api(
          t.url,
          'POST',
          '/v1/me/password',
          { currentPassword: `guess ${i}`, newPassword: 'a brand new secret' },
          auth,
        ),
      ),
    );
    const counts = tally(results);
    expect(counts.wrong_password).toBeLessThanOrEqual(5);
    expect(counts.wrong_password! + counts.rate_limited!).toBe(150);
  });
});

describe('finding 3: no malicious lockout', () => {
  it("an attacker spending an account's attempts from one address does not lock the owner out of another", async () => {
    const t = await start({ TRUST_PROXY: true, LOGIN_ATTEMPTS_PER_ACCOUNT: 3 });
    const u = await register(t.url);
    for (let i = 0; i < 3; i++)
      expect((await login(t.url, u.username, 'wrong guess', from('203.0.113.66'))).body.error.code).toBe(
        'invalid_credentials',
      );
    // The attacker's address now waits, even with the right password…
    const attacker = await login(t.url, u.username, PASSWORD, from('203.0.113.66'));
    expect(attacker.status).toBe(429);
    expect(attacker.body.error.details.retryAfterMs).toBeGreaterThan(0);
    // …and keeping at it changes nothing for the owner, at home or anywhere else.
    for (let i = 0; i < 20; i++) await login(t.url, u.username, 'wrong guess', from('203.0.113.66'));
    expect((await login(t.url, u.username, PASSWORD, from('198.51.100.7'))).status).toBe(200);
    expect((await login(t.url, u.username, PASSWORD, from('192.0.2.1'))).status).toBe(200);
  });

  it('delays grow with each round of failures from the same address (progressive, not a fixed lock)', async () => {
    const t = await start({
      TRUST_PROXY: true,
      LOGIN_ATTEMPTS_PER_ACCOUNT: 2,
      LOGIN_DELAY_BASE_SECONDS: 1,
      LOGIN_DELAY_MAX_SECONDS: 600,
    });
    const u = await register(t.url);
    const round = async () => {
      for (let i = 0; i < 2; i++)
        expect((await login(t.url, u.username, 'wrong guess', from('203.0.113.9'))).status).toBe(401);
      const r = await login(t.url, u.username, 'wrong guess', from('203.0.113.9'));
      expect(r.status).toBe(429);
      return r.body.error.details.retryAfterMs as number;
    };
    const first = await round();
    expect(first).toBe(1000);
    await new Promise((r) => setTimeout(r, first + 100));
    expect(await round()).toBe(2000);
  });
});

describe('finding 7: separate key spaces and a registration limit', () => {
  it("logins with the username `password-change:<userId>` do not block that user's password change", async () => {
    const t = await start({ LOGIN_ATTEMPTS_PER_ACCOUNT: 3 });
    const u = await register(t.url);
    for (let i = 0; i < 10; i++) await login(t.url, `password-change:${u.userId}`, 'wrong guess');
    const r = await api(
      t.url,
      'POST',
      '/v1/me/password',
      { currentPassword: PASSWORD, newPassword: 'a brand new secret' },
      { authorization: `Bearer ${u.accessToken}` },
    );
    expect(r.status).toBe(204);
  });

  it('registrations are limited per address, before any password is hashed; other addresses can still register', async () => {
    const t = await start({ TRUST_PROXY: true, REGISTRATIONS_PER_IP_PER_HOUR: 3 });
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        api(
          t.url,
          'POST',
          '/v1/auth/register',
          { username: `spam_${i}`, password: PASSWORD },
          from('203.0.113.5'),
        ),
      ),
    );
    const counts = tally(results.map((r) => (r.status === 201 ? { status: 200, body: r.body } : r)));
    expect(counts.ok).toBe(3);
    expect(counts.rate_limited).toBe(27);
    const blocked = results.find((r) => r.status === 429)!;
    expect(blocked.body.error.details.retryAfterMs).toBeGreaterThan(0);
    expect(
      (
        await api(
          t.url,
          'POST',
          '/v1/auth/register',
          { username: 'someone_else', password: PASSWORD },
          from('198.51.100.1'),
        )
      ).status,
    ).toBe(201);
  });
});

describe('finding 5: common passwords', () => {
  it.each(['password', '12345678', 'Password', 'qwertyuiop', 'iloveyou'])(
    'refuses %j at registration, naming the field',
    async (pw) => {
      const t = await start();
      const r = await api(t.url, 'POST', '/v1/auth/register', { username: 'newcomer', password: pw });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('invalid_request');
      expect(r.body.error.message).toMatch(/^body\.password: .*common/);
    },
  );

  it('refuses a common password as a new password and for admin-created users', async () => {
    const t = await start();
    const u = await register(t.url);
    const change = await api(
      t.url,
      'POST',
      '/v1/me/password',
      { currentPassword: PASSWORD, newPassword: 'baseball' },
      { authorization: `Bearer ${u.accessToken}` },
    );
    expect(change.body.error.code).toBe('invalid_request');
    const created = await api(
      t.url,
      'POST',
      '/v1/admin/users',
      { username: 'shop_1', password: 'football' },
      { 'x-admin-key': ADMIN_KEY },
    );
    expect(created.body.error.code).toBe('invalid_request');
    expect((await login(t.url, u.username, PASSWORD)).status).toBe(200);
  });
});
