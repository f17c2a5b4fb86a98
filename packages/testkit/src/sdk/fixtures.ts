/**
 * Set-up shared by the SDK tests against a real server (groups, message actions, delete for me):
 * a server per test and the NatterClients made on it, users made through the admin API, rate
 * budgets no test's bursts reach, and the waits and error-code reads those tests use.
 */
import WebSocket from 'ws';
import { afterEach } from 'vitest';
import type { Message } from '@natter/protocol';
import { NatterClient, type MemoryCache, type WebSocketFactory } from '@natter/client';
import { api, ADMIN_KEY, perTest, type TestServer } from '../harness.js';

/** Budgets high enough that a test's bursts of requests are never refused. */
export const ROOMY = { USER_WRITES_PER_SECOND: 100_000, USER_WRITE_BURST: 100_000, CONNECTION_WRITES_PER_SECOND: 100_000, CONNECTION_WRITE_BURST: 100_000 };

/**
 * Servers (`servers.start`) and clients (`client`) for one test, cleaned up after it: the
 * clients closed first, then the servers. Call once at the top of a test file (it adds hooks).
 */
export function perTestSdk(): { servers: ReturnType<typeof perTest>; client(t: TestServer, token: string, cache?: MemoryCache): NatterClient } {
  // Registered before the clients' hook, so it runs after it (vitest runs after-hooks as a stack).
  const servers = perTest();
  const clients: NatterClient[] = [];
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  return {
    servers,
    /** A client with quick reconnects (20 ms, up to 200 ms), not connected yet. */
    client(t, token, cache) {
      const c = new NatterClient({ url: t.wsUrl, token, WebSocket: WebSocket as unknown as WebSocketFactory, backoff: { initialMs: 20, maxMs: 200 }, ...(cache && { cache }) });
      clients.push(c);
      return c;
    },
  };
}

let userCounter = 0;
/** A user made through the admin API (no password hashing), with an access token; `prefix` starts the username. */
export async function adminUser(t: TestServer, prefix: string): Promise<{ userId: string; token: string }> {
  const created = await api(t.url, 'POST', '/v1/admin/users', { username: `${prefix}${++userCounter}_${Date.now().toString(36)}` }, { 'x-admin-key': ADMIN_KEY });
  const tokens = await api(t.url, 'POST', `/v1/admin/users/${created.body.id}/tokens`, {}, { 'x-admin-key': ADMIN_KEY });
  return { userId: created.body.id, token: tokens.body.accessToken };
}

/** Waits until `cond` holds, checking every 10 ms; fails after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The error code a rejected promise carries ('ok' when it resolves). */
export const codeOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (err: { code?: string }) => err.code ?? 'unknown',
  );

/** The message with this id in the client's cache, tombstones included. */
export const cached = async (c: NatterClient, conversationId: string, id: string): Promise<Message | undefined> =>
  (await c.cache.getMessages(conversationId)).find((m) => m.id === id);
