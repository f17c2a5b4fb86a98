/**
 * Group management across two Natter nodes on one PostgreSQL schema and Redis: a member whose
 * socket is on the other node gets every group change live, a joiner by invite code on the
 * other node starts receiving at once, and a mute decided on one node holds for a send on the other.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RedisBus } from '@natter/server';
import { RawClient, register, startTestServer, type TestServer } from '../harness.js';

const PG_URL = process.env.NATTER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schemas: string[] = [];
let nodes: TestServer[] = [];

afterEach(async () => {
  for (const n of nodes) await n.close();
  nodes = [];
});
afterAll(async () => {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await c.end();
});

async function twoNodes(): Promise<[TestServer, TestServer]> {
  const schema = `natter_gk_${randomBytes(6).toString('hex')}`;
  schemas.push(schema);
  const jwt = randomBytes(32).toString('hex');
  for (let i = 0; i < 2; i++) {
    const bus = await RedisBus.connect(process.env.NATTER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
    nodes.push(await startTestServer({ DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema, JWT_SECRET: jwt }, { bus }));
  }
  return nodes as [TestServer, TestServer];
}

describe('groups on two nodes (PostgreSQL + Redis)', () => {
  it('changes, joins by code and mutes hold across nodes', async () => {
    const [a, b] = await twoNodes();
    const [alice, bob, dave] = [await register(a.url), await register(a.url), await register(a.url)];
    const ca = await RawClient.authed(a.wsUrl, alice.accessToken);
    const cb = await RawClient.authed(b.wsUrl, bob.accessToken);
    const cd = await RawClient.authed(b.wsUrl, dave.accessToken);
    try {
      const g = (await ca.request({ type: 'conversation.create', title: 'Across', members: [bob.userId] })).data;
      await cb.waitFor((f) => f.type === 'conversation' && f.conversation.id === g.id);

      await ca.request({ type: 'group.update', conversationId: g.id, patch: { announcement: 'hello nodes' } });
      const upd = await cb.waitFor((f) => f.type === 'message' && f.message.body.event === 'group.updated');
      expect(upd.message.body.changes).toEqual({ announcement: 'hello nodes' });

      const code = (await ca.request({ type: 'group.invite.create', conversationId: g.id })).data.code;
      const joined = await cd.request({ type: 'group.join', code });
      expect(joined.data.members).toContain(dave.userId);
      await ca.request({ type: 'send', conversationId: g.id, clientMsgId: 'after-join', msgType: 'text', body: { text: 'welcome' } });
      await cd.waitFor((f) => f.type === 'message' && f.message.body.text === 'welcome');

      await ca.request({ type: 'group.mute', conversationId: g.id, userId: bob.userId, seconds: 600 });
      await cb.waitFor((f) => f.type === 'conversation' && f.conversation.membership.mutedUntil > Date.now());
      const refused = await cb.request({ type: 'send', conversationId: g.id, clientMsgId: 'muted-1', msgType: 'text', body: { text: 'no' } });
      expect(refused.error.code).toBe('muted');
      await ca.request({ type: 'group.dissolve', conversationId: g.id });
      await cd.waitFor((f) => f.type === 'message' && f.message.body.event === 'group.dissolved');
      const ended = await cd.request({ type: 'send', conversationId: g.id, clientMsgId: 'ended-1', msgType: 'text', body: { text: 'no' } });
      expect(ended.error.code).toBe('group_dissolved');
    } finally {
      ca.close();
      cb.close();
      cd.close();
    }
  }, 30_000);
});
