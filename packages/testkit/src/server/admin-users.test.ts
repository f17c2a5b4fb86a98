/**
 * Operators' user administration over the wire (issue 20): REGISTRATION=invite with codes from the
 * admin API, and disabling a user — no login, no minted tokens, its sessions cut — then enabling it.
 */
import { describe, expect, it } from 'vitest';
import { ADMIN_KEY, api, perTest, RawClient, register } from '../harness.js';

const { start } = perTest();
const admin = { 'x-admin-key': ADMIN_KEY };
const password = 'correct horse battery';

describe('REGISTRATION=invite', () => {
  it('registers with an unused invite code only, once per code; a failed registration does not spend it', async () => {
    const t = await start({ REGISTRATION: 'invite' });
    const none = await api(t.url, 'POST', '/v1/auth/register', { username: 'ann', password });
    expect(none.status).toBe(403);
    expect(none.body.error.message).toContain('invite code');

    const invite = await api(t.url, 'POST', '/v1/admin/invites', {}, admin);
    expect(invite.status).toBe(201);
    expect(invite.body.code).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(invite.body.expiresAt).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    expect((await api(t.url, 'POST', '/v1/admin/invites', {})).status).toBe(401);

    expect((await api(t.url, 'POST', '/v1/auth/register', { username: 'ann', password, inviteCode: 'made-up' })).status).toBe(403);
    await api(t.url, 'POST', '/v1/admin/users', { username: 'taken' }, admin);
    const clash = await api(t.url, 'POST', '/v1/auth/register', { username: 'taken', password, inviteCode: invite.body.code });
    expect(clash.status).toBe(409);

    const ok = await api(t.url, 'POST', '/v1/auth/register', { username: 'ann', password, inviteCode: invite.body.code });
    expect(ok.status).toBe(201);
    expect(ok.body.user.username).toBe('ann');
    const again = await api(t.url, 'POST', '/v1/auth/register', { username: 'ben', password, inviteCode: invite.body.code });
    expect(again.status).toBe(403);
    expect(again.body.error.message).toContain('unknown, used or expired');
  });

  it('REGISTRATION=open ignores invite codes; closed refuses even with one', async () => {
    const open = await start();
    expect((await api(open.url, 'POST', '/v1/auth/register', { username: 'ann', password, inviteCode: 'anything' })).status).toBe(201);
    const closed = await start({ REGISTRATION: 'closed' });
    const invite = await api(closed.url, 'POST', '/v1/admin/invites', { expiresInHours: null }, admin);
    expect(invite.body.expiresAt).toBeNull();
    expect((await api(closed.url, 'POST', '/v1/auth/register', { username: 'ann', password, inviteCode: invite.body.code })).status).toBe(403);
  });
});

describe('admin: users', () => {
  it('lists users a page at a time', async () => {
    const t = await start();
    for (const name of ['u1x', 'u2x', 'u3x']) await register(t.url, name);
    const page = await api(t.url, 'GET', '/v1/admin/users?limit=2', undefined, admin);
    expect(page.status).toBe(200);
    expect(page.body.users).toHaveLength(2);
    expect(page.body.users[0]).toMatchObject({ disabledAt: null });
    expect(page.body.users[0].passwordHash).toBeUndefined();
    const rest = await api(t.url, 'GET', `/v1/admin/users?limit=2&after=${page.body.next}`, undefined, admin);
    expect(rest.body.users).toHaveLength(1);
    expect(rest.body.next).toBeNull();
    expect(new Set([...page.body.users, ...rest.body.users].map((u: { username: string }) => u.username))).toEqual(new Set(['u1x', 'u2x', 'u3x']));
    expect((await api(t.url, 'GET', '/v1/admin/users', undefined, { 'x-admin-key': 'wrong-key-wrong-key-wrong' })).status).toBe(401);
  });

  it('a disabled user cannot log in or get tokens and its live socket is closed; enabled, it logs in again', async () => {
    const t = await start();
    const ann = await register(t.url, 'ann');
    const ws = await RawClient.authed(t.wsUrl, ann.accessToken);

    const off = await api(t.url, 'POST', '/v1/admin/users/ann/disable', undefined, admin);
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ id: ann.userId, username: 'ann' });
    expect(off.body.disabledAt).toEqual(expect.any(Number));
    expect(await ws.waitClosed()).toBeGreaterThanOrEqual(3000);
    expect((await api(t.url, 'GET', '/v1/me', undefined, { authorization: `Bearer ${ann.accessToken}` })).status).toBe(401);
    const login = await api(t.url, 'POST', '/v1/auth/login', { username: 'ann', password });
    expect(login.status).toBe(403);
    expect(login.body.error.message).toBe('this account is disabled');
    expect((await api(t.url, 'POST', '/v1/auth/login', { username: 'ann', password: 'wrong password here' })).status).toBe(401);
    expect((await api(t.url, 'POST', `/v1/admin/users/${ann.userId}/tokens`, {}, admin)).status).toBe(403);
    expect((await api(t.url, 'POST', '/v1/auth/refresh', { refreshToken: ann.refreshToken })).status).toBe(401);

    const on = await api(t.url, 'POST', `/v1/admin/users/${ann.userId}/enable`, undefined, admin);
    expect(on.body.disabledAt).toBeNull();
    expect((await api(t.url, 'POST', '/v1/auth/login', { username: 'ann', password })).status).toBe(200);
    expect((await api(t.url, 'POST', '/v1/admin/users/nobody/disable', undefined, admin)).status).toBe(404);
  });
});
