/**
 * Contacts across two Natter nodes on one PostgreSQL schema and Redis: a friend request made on
 * one node reaches the recipient's socket on the other, a block made on one node closes the
 * direct conversation for a sender on the other, and the per-user search budget is one budget
 * whichever node answers.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RedisBus } from '@natter/server';
import { api, RawClient, register, startTestServer, type TestServer } from '../harness.js';

const PG_URL = process.env.NATTER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schemas: string[] = [];
afterAll(async () => {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await c.end();
});

describe('contacts on two nodes (PostgreSQL + Redis)', () => {
  let nodes: TestServer[] = [];
  const sockets: RawClient[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    for (const n of nodes) await n.close();
    nodes = [];
  });

  async function twoNodes(extra: Record<string, string | number> = {}): Promise<[TestServer, TestServer]> {
    const schema = `natter_kc_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    const jwt = randomBytes(32).toString('hex');
    for (let i = 0; i < 2; i++) {
      const bus = await RedisBus.connect(process.env.NATTER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
      nodes.push(await startTestServer({ DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema, JWT_SECRET: jwt, USER_SEARCH_MIN_ACCOUNT_AGE_SECONDS: 0, ...extra }, { bus }));
    }
    return nodes as [TestServer, TestServer];
  }

  const socket = async (url: string, token: string) => {
    const s = await RawClient.authed(url, token);
    sockets.push(s);
    return s;
  };

  it('pushes requests and acceptances to the other node; a block there closes the direct conversation here', async () => {
    const [a, b] = await twoNodes();
    const alice = await register(a.url);
    const bob = await register(a.url);
    const onA = await socket(a.wsUrl, alice.accessToken);
    const onB = await socket(b.wsUrl, bob.accessToken);
    expect((await onA.request({ type: 'contacts.request', userId: bob.userId })).data).toEqual({ status: 'requested' });
    const got = await onB.waitFor((f) => f.type === 'contact');
    expect(got.event).toMatchObject({ kind: 'request.received', user: { id: alice.userId } });
    await onB.request({ type: 'contacts.accept', userId: alice.userId });
    expect((await onA.waitFor((f) => f.type === 'contact' && f.event.kind === 'request.accepted')).event.user.id).toBe(bob.userId);

    const conv = (await onB.request({ type: 'conversation.direct', userId: alice.userId })).data;
    await onA.request({ type: 'contacts.block', userId: bob.userId });
    const refused = await onB.request({ type: 'send', conversationId: conv.id, clientMsgId: 'after-block', msgType: 'text', body: { text: 'hi' } });
    expect(refused.error.code).toBe('not_found');
    // Bob's devices heard of the acceptance (their own), never of the block.
    expect(onB.frames.filter((f) => f.type === 'contact').map((f) => f.event.kind)).toEqual(['request.accepted']);
  });

  it('counts searches on both nodes against one budget', async () => {
    const [a, b] = await twoNodes({ USER_SEARCHES_PER_HOUR: 2 });
    const u = await register(a.url);
    const auth = { authorization: `Bearer ${u.accessToken}` };
    expect((await api(a.url, 'GET', '/v1/users/search?prefix=abc', undefined, auth)).status).toBe(200);
    expect((await api(b.url, 'GET', '/v1/users/search?prefix=abc', undefined, auth)).status).toBe(200);
    expect((await api(a.url, 'GET', '/v1/users/search?prefix=abc', undefined, auth)).status).toBe(429);
  });
});
