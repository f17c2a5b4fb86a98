/**
 * Message search through the SDK against a real server (SQLite; with NATTER_TEST_DATABASE_URL,
 * PostgreSQL): Chinese and English text, only what the user may see (a left member finds nothing
 * sent after leaving, an outsider finds nothing), filters, cursor pages, the REST route, and the
 * per-user limit (docs/search.md).
 */
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { NatterClient, type WebSocketFactory } from '@natter/client';
import { api, register, startTestServer, type TestServer } from '../harness.js';

const servers: TestServer[] = [];
const clients: NatterClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});

async function server(overrides: Record<string, string | number | boolean> = {}): Promise<TestServer> {
  const s = await startTestServer(overrides);
  servers.push(s);
  return s;
}

async function client(t: TestServer, token: string): Promise<NatterClient> {
  const c = new NatterClient({ url: t.wsUrl, token, WebSocket: WebSocket as unknown as WebSocketFactory, backoff: { initialMs: 20, maxMs: 200 } });
  clients.push(c);
  await c.connect();
  return c;
}

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { code?: string }) => e.code,
  );
/** Sends a few ms apart, so that creation times (the page order) follow the order of sending. */
const apart = () => new Promise((r) => setTimeout(r, 3));
const texts = (r: { messages: { body: unknown }[] }) => r.messages.map((m) => (m.body as { text: string }).text);

describe('message search', () => {
  it('finds Chinese and English text in what each user may see, with filters and cursor pages', async () => {
    const t = await server();
    const [a, b, c] = [await register(t.url), await register(t.url), await register(t.url)];
    const alice = await client(t, a.accessToken);
    const bob = await client(t, b.accessToken);
    const carol = await client(t, c.accessToken);
    const group = await alice.createGroup({ title: 'Plans', members: [b.userId, c.userId] });
    const direct = await alice.openDirect(b.userId);

    await alice.sendText(group.id, 'The quarterly report is due Friday');
    await apart();
    await bob.sendText(group.id, '季度报告周五截止，请大家准备');
    await apart();
    await carol.sendText(group.id, 'I will draft the REPORT tonight');
    await apart();
    const secret = await alice.sendText(direct.id, 'Private report: 机密报告');

    // English, case-insensitively; Chinese by substring, three characters and more or fewer.
    expect(texts(await bob.search('report'))).toEqual(['Private report: 机密报告', 'I will draft the REPORT tonight', 'The quarterly report is due Friday']);
    expect(texts(await carol.search('report'))).toEqual(['I will draft the REPORT tonight', 'The quarterly report is due Friday']);
    expect(texts(await carol.search('周五截止'))).toEqual(['季度报告周五截止，请大家准备']);
    expect(texts(await carol.search('报告'))).toEqual(['季度报告周五截止，请大家准备']);
    expect(texts(await bob.search('报告'))).toEqual(['Private report: 机密报告', '季度报告周五截止，请大家准备']);
    expect(texts(await bob.search('report 机密'))).toEqual(['Private report: 机密报告']);

    // Filters.
    expect(texts(await bob.search('report', { conversationId: group.id, senderId: a.userId }))).toEqual(['The quarterly report is due Friday']);
    expect(texts(await bob.search('report', { after: secret.createdAt - 1 }))).toEqual(['Private report: 机密报告']);
    expect(texts(await bob.search('report', { before: secret.createdAt, conversationId: direct.id }))).toEqual([]);

    // Pages of one, newest first, until nextCursor is null.
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 5; i++) {
      const page = await bob.search('report', { limit: 1, ...(cursor !== undefined && { cursor }) });
      seen.push(...texts(page));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(['Private report: 机密报告', 'I will draft the REPORT tonight', 'The quarterly report is due Friday']);

    // Carol leaves: what was said after is not hers to find; what she saw still is.
    await carol.leave(group.id);
    await alice.sendText(group.id, 'report addendum 报告附录');
    expect(texts(await carol.search('report'))).toEqual(['I will draft the REPORT tonight', 'The quarterly report is due Friday']);
    expect(texts(await carol.search('附录'))).toEqual([]);
    expect(texts(await bob.search('附录'))).toEqual(['report addendum 报告附录']);

    // An outsider finds nothing, even naming the conversation.
    const d = await register(t.url);
    const dave = await client(t, d.accessToken);
    expect(texts(await dave.search('report'))).toEqual([]);
    expect(texts(await dave.search('报告', { conversationId: group.id }))).toEqual([]);

    // The same over REST.
    const rest = await api(t.url, 'GET', `/v1/search?q=${encodeURIComponent('季度 报告')}&limit=5`, undefined, { authorization: `Bearer ${b.accessToken}` });
    expect(rest.status).toBe(200);
    expect(texts(rest.body)).toEqual(['季度报告周五截止，请大家准备']);
    expect(rest.body.nextCursor).toBeNull();
    expect((await api(t.url, 'GET', '/v1/search?q=report')).status).toBe(401);

    // Bad input.
    expect(await code(bob.search('   '))).toBe('invalid_request');
    expect(await code(bob.search('report', { cursor: 'not-a-cursor' }))).toBe('invalid_request');
    expect(await code(bob.search('report', { limit: 51 }))).toBe('invalid_request');
  });

  it('limits searches per user per minute', async () => {
    const t = await server({ MESSAGE_SEARCHES_PER_MINUTE: 3 });
    const [a, b] = [await register(t.url), await register(t.url)];
    const alice = await client(t, a.accessToken);
    const bob = await client(t, b.accessToken);
    for (let i = 0; i < 3; i++) await alice.search('anything');
    expect(await code(alice.search('anything'))).toBe('rate_limited');
    // Another user's budget is their own.
    expect(await code(bob.search('anything'))).toBe('ok');
  });
});
