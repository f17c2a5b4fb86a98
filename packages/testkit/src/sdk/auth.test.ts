/**
 * NatterAuth, the SDK's account helper, against a real server: sign-up and sign-in keep a session
 * in the given store, the access token is refreshed before it expires — once, however many
 * callers ask at the same time (refresh tokens rotate and a replayed one revokes the device) — and
 * a session the server no longer accepts is forgotten.
 */
import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemorySessionStore, NatterAuth, NatterClient, NatterHttpError, type AuthSession, type WebSocketFactory } from '@natter/client';
import { startTestServer, type TestServer } from '../harness.js';

let t: TestServer;
beforeEach(async () => {
  t = await startTestServer({ ACCESS_TOKEN_TTL_SECONDS: 30 });
});
afterEach(async () => {
  await t.close();
});

let n = 0;
const name = () => `auth${Date.now().toString(36).slice(-5)}${++n}`;
const PASSWORD = 'correct horse battery';

/** Counts the refresh calls that reach the server. */
function countingFetch(): { fetch: typeof fetch; refreshes: () => number } {
  let refreshes = 0;
  return {
    fetch: (input, init) => {
      if (String(input).endsWith('/v1/auth/refresh')) refreshes++;
      return fetch(input, init);
    },
    refreshes: () => refreshes,
  };
}

/** Makes the stored access token one that expires in a second, as if the app was reopened later. */
function expireSoon(store: MemorySessionStore): void {
  const s = store.load()!;
  store.save({ ...s, accessTokenExpiresAt: Date.now() + 1000 });
}

describe('NatterAuth', () => {
  it('registers, keeps the session in its store, and a second instance on that store is signed in', async () => {
    const store = new MemorySessionStore();
    const auth = new NatterAuth({ baseUrl: t.url, store });
    const username = name();
    const s = await auth.register({ username, password: PASSWORD, displayName: 'Erin', deviceName: 'laptop' });
    expect(s.userId).toMatch(/^u_/);
    expect(store.load()?.refreshToken).toBe(s.refreshToken);
    const me = await new NatterAuth({ baseUrl: t.url, store }).me();
    expect(me).toMatchObject({ id: s.userId, username, displayName: 'Erin' });
    const devices = await auth.devices();
    expect(devices).toEqual([expect.objectContaining({ id: s.deviceId, name: 'laptop', current: true })]);
  });

  it('refreshes an expiring access token once for concurrent callers, and the device stays valid', async () => {
    const counter = countingFetch();
    const store = new MemorySessionStore();
    const first = await new NatterAuth({ baseUrl: t.url, store }).register({ username: name(), password: PASSWORD });
    expireSoon(store);
    // Reopened (a reloaded page) with an access token about to expire: every caller wants a fresh one.
    const auth = new NatterAuth({ baseUrl: t.url, store, fetch: counter.fetch });
    const tokens = await Promise.all(Array.from({ length: 8 }, () => auth.accessToken()));
    expect(counter.refreshes()).toBe(1);
    expect(new Set(tokens).size).toBe(1);
    // Had two refreshes raced, the second would have replayed a rotated token and revoked the device.
    expect((await auth.me()).id).toBe(first.userId);
    const client = new NatterClient({ url: t.wsUrl, token: () => auth.accessToken(), WebSocket: WebSocket as unknown as WebSocketFactory });
    try {
      await client.connect();
      expect(client.userId).toBe(first.userId);
    } finally {
      client.close();
    }
  });

  it('two instances on one store (two tabs) never present a rotated refresh token', async () => {
    const store = new MemorySessionStore();
    const s = await new NatterAuth({ baseUrl: t.url, store }).register({ username: name(), password: PASSWORD });
    expireSoon(store);
    const tabA = new NatterAuth({ baseUrl: t.url, store });
    const tabB = new NatterAuth({ baseUrl: t.url, store });
    await tabB.session();
    await tabA.accessToken(); // tab A rotates the refresh token
    expireSoon(store);
    // Tab B still holds the old refresh token in memory; it must take tab A's from the store.
    await tabB.accessToken();
    expect((await tabB.me()).id).toBe(s.userId);
    expect((await tabA.me()).id).toBe(s.userId);
  });

  it('signs in with the password, rejects a wrong one with its code, and forgets a revoked session', async () => {
    const username = name();
    const owner = new NatterAuth({ baseUrl: t.url });
    await owner.register({ username, password: PASSWORD });
    const wrong = new NatterAuth({ baseUrl: t.url });
    await expect(wrong.login({ username, password: 'not the password at all' })).rejects.toMatchObject({ code: 'invalid_credentials', status: 401 });
    expect(await wrong.session()).toBeNull();

    const store = new MemorySessionStore();
    const s2 = await new NatterAuth({ baseUrl: t.url, store }).login({ username, password: PASSWORD, deviceName: 'phone' });
    await owner.revokeDevice(s2.deviceId);
    expireSoon(store);
    const second = new NatterAuth({ baseUrl: t.url, store });
    const changes: (AuthSession | null)[] = [];
    second.onChange((s) => changes.push(s));
    // Its refresh token no longer works: the session is dropped so the app shows the sign-in screen.
    await expect(second.accessToken()).rejects.toBeInstanceOf(NatterHttpError);
    expect(await second.session()).toBeNull();
    expect(store.load()).toBeNull();
    expect(changes.at(-1)).toBeNull();
  });

  it('logs out: the server revokes the device and the store is emptied', async () => {
    const store = new MemorySessionStore();
    const auth = new NatterAuth({ baseUrl: t.url, store });
    const s = await auth.register({ username: name(), password: PASSWORD });
    await auth.logout();
    expect(store.load()).toBeNull();
    const res = await fetch(`${t.url}/v1/me`, { headers: { authorization: `Bearer ${s.accessToken}` } });
    expect(res.status).toBe(401);
  });
});
