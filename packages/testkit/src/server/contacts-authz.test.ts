/**
 * The authorisation matrix of finding people, friend requests and blocks (issue 22): every
 * operation, over HTTP and over the socket, run by {self, friend, stranger, blocked user,
 * anonymous} against one target user, from the same baseline each time (target and friend are
 * friends, the target blocked the blocked user, the target has a pending request to a third
 * user). Zero unauthorised successes, zero refused authorised calls, and every refusal a blocked
 * user meets is the generic one (or "no such …"): nothing says "blocked".
 *
 * Runs on SQLite; with NATTER_TEST_DATABASE_URL on PostgreSQL as well.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '@natter/server';
import { api, RawClient, register, startTestServer, type TestServer } from '../harness.js';
import { bearer, expectNoFindings, httpAnswer, runMatrix, socketAnswer, type Answer } from './authz-matrix.js';

type Actor = 'self' | 'friend' | 'stranger' | 'blocked' | 'anonymous';
const ACTORS: Actor[] = ['self', 'friend', 'stranger', 'blocked', 'anonymous'];
interface User {
  userId: string;
  username: string;
  accessToken: string;
}
interface Ctx {
  target: User;
  /** The actor's own direct conversation with the target (made before the block); a guessed id for anonymous. */
  direct: string;
  /** A group the actor owns. */
  group: string;
}
type Op = {
  name: string;
  /** Actors for whom the call must succeed; every other actor must be refused. */
  allowed: Actor[];
  http?: (token: string | null, c: Ctx) => Promise<Answer>;
  ws?: (ws: RawClient, c: Ctx) => Promise<Answer>;
};

let t: TestServer;
let store: Store;
const users = {} as Record<Exclude<Actor, 'anonymous' | 'self'> | 'target' | 'third', User>;
const ctx = {} as Record<Actor, Ctx>;
const sockets = {} as Record<Actor, RawClient>;

const http = (method: string, path: string, body?: unknown, success?: (b: any) => boolean) => async (token: string | null) =>
  httpAnswer(await api(t.url, method, path, body, bearer(token)), success);

const OPS: Op[] = [
  {
    name: 'look up the target by exact username',
    allowed: ['self', 'friend', 'stranger'],
    http: (tok, c) => http('GET', `/v1/users?username=${encodeURIComponent(c.target.username.toUpperCase())}`, undefined, (b) => b.id === c.target.userId)(tok),
    ws: async (ws, c) => socketAnswer(await ws.request({ type: 'users.lookup', username: c.target.username.toUpperCase() }), (d) => d.id === c.target.userId),
  },
  {
    name: 'find the target by prefix search',
    allowed: ['friend', 'stranger'],
    http: (tok, c) => http('GET', `/v1/users/search?prefix=${c.target.username.slice(0, 5)}`, undefined, (b) => b.users.some((u: any) => u.id === c.target.userId))(tok),
    ws: async (ws, c) => socketAnswer(await ws.request({ type: 'users.search', prefix: c.target.username.slice(0, 5) }), (d) => d.users.some((u: any) => u.id === c.target.userId)),
  },
  {
    name: 'send the target a friend request',
    allowed: ['friend', 'stranger'],
    http: (tok, c) => http('POST', '/v1/contacts/requests', { userId: c.target.userId })(tok),
    ws: async (ws, c) => socketAnswer(await ws.request({ type: 'contacts.request', userId: c.target.userId })),
  },
  {
    name: "accept a request the target sent to someone else",
    allowed: [],
    http: (tok, c) => http('POST', `/v1/contacts/requests/${c.target.userId}/accept`)(tok),
    ws: async (ws, c) => socketAnswer(await ws.request({ type: 'contacts.accept', userId: c.target.userId })),
  },
  {
    name: "decline a request the target sent to someone else",
    allowed: [],
    http: (tok, c) => http('POST', `/v1/contacts/requests/${c.target.userId}/decline`)(tok),
    ws: async (ws, c) => socketAnswer(await ws.request({ type: 'contacts.decline', userId: c.target.userId })),
  },
  {
    name: "cancel the target's request to someone else (by naming its recipient; the target itself may)",
    allowed: ['self'],
    http: (tok) => http('DELETE', `/v1/contacts/requests/${users.third.userId}`)(tok),
    ws: async (ws) => socketAnswer(await ws.request({ type: 'contacts.cancel', userId: users.third.userId })),
  },
  {
    name: 'cancel a request to the target that was never sent',
    allowed: [],
    http: (tok, c) => http('DELETE', `/v1/contacts/requests/${c.target.userId}`)(tok),
    ws: async (ws, c) => socketAnswer(await ws.request({ type: 'contacts.cancel', userId: c.target.userId })),
  },
  {
    name: 'remove the target as a friend',
    allowed: ['friend'],
    http: (tok, c) => http('DELETE', `/v1/contacts/${c.target.userId}`)(tok),
    ws: async (ws, c) => socketAnswer(await ws.request({ type: 'contacts.remove', userId: c.target.userId })),
  },
  {
    name: 'lift a block the target made',
    allowed: [],
    http: (tok, c) => http('DELETE', `/v1/blocks/${c.target.userId}`)(tok),
    ws: async (ws, c) => socketAnswer(await ws.request({ type: 'contacts.unblock', userId: c.target.userId })),
  },
  {
    name: 'block the target',
    allowed: ['friend', 'stranger', 'blocked'],
    http: (tok, c) => http('PUT', `/v1/blocks/${c.target.userId}`)(tok),
    ws: async (ws, c) => socketAnswer(await ws.request({ type: 'contacts.block', userId: c.target.userId })),
  },
  {
    name: 'open a direct conversation with the target',
    allowed: ['friend', 'stranger'],
    http: (tok, c) => http('POST', '/v1/conversations/direct', { userId: c.target.userId })(tok),
    ws: async (ws, c) => socketAnswer(await ws.request({ type: 'conversation.direct', userId: c.target.userId })),
  },
  {
    name: 'send into the direct conversation with the target',
    allowed: ['friend', 'stranger'],
    ws: async (ws, c) => socketAnswer(await ws.request({ type: 'send', conversationId: c.direct, clientMsgId: `m${Math.random().toString(36).slice(2)}`, msgType: 'text', body: { text: 'hi' } })),
  },
  {
    name: 'create a group with the target in it',
    allowed: ['self', 'friend', 'stranger'],
    http: (tok, c) => http('POST', '/v1/conversations', { title: 'g', members: [c.target.userId] }, (b) => b.members.includes(c.target.userId))(tok),
    ws: async (ws, c) => socketAnswer(await ws.request({ type: 'conversation.create', title: 'g', members: [c.target.userId] }), (d) => d.members.includes(c.target.userId)),
  },
  {
    name: "add the target to one's group",
    allowed: ['self', 'friend', 'stranger'],
    http: (tok, c) => http('POST', `/v1/conversations/${c.group}/members`, { userIds: [c.target.userId] }, (b) => b.members.includes(c.target.userId))(tok),
    ws: async (ws, c) => socketAnswer(await ws.request({ type: 'conversation.addMembers', conversationId: c.group, userIds: [c.target.userId] }), (d) => d.members.includes(c.target.userId)),
  },
];

/** The relations every case starts from, restored through the store. */
async function baseline(): Promise<void> {
  const T = users.target.userId;
  for (const u of [users.friend, users.stranger, users.blocked, users.third]) {
    await store.unblockUser(u.userId, T);
    await store.unblockUser(T, u.userId);
    await store.removeFriend(u.userId, T);
    await store.deleteFriendRequest(u.userId, T);
    await store.deleteFriendRequest(T, u.userId);
  }
  await store.sendFriendRequest(users.friend.userId, T, Date.now());
  await store.acceptFriendRequest(T, users.friend.userId, Date.now());
  await store.blockUser(T, users.blocked.userId, Date.now());
  await store.sendFriendRequest(T, users.third.userId, Date.now());
}

beforeAll(async () => {
  t = await startTestServer({
    // The anonymous socket stays unauthenticated for the whole matrix.
    AUTH_TIMEOUT_MS: 120_000,
    USER_SEARCH_MIN_ACCOUNT_AGE_SECONDS: 0,
    USER_SEARCHES_PER_HOUR: 100_000,
    USER_LOOKUPS_PER_HOUR: 100_000,
    FRIEND_REQUESTS_PER_DAY: 100_000,
    USER_WRITES_PER_SECOND: 10_000,
    USER_WRITE_BURST: 10_000,
    USER_READS_PER_SECOND: 10_000,
    USER_READ_BURST: 10_000,
  });
  store = t.server.store;
  const stamp = Date.now().toString(36);
  for (const k of ['target', 'friend', 'stranger', 'blocked', 'third'] as const) users[k] = await register(t.url, `${k}_${stamp}`);
  const actorUser = (a: Actor): User | null => (a === 'anonymous' ? null : a === 'self' ? users.target : users[a]);
  for (const a of ACTORS) {
    const u = actorUser(a);
    if (!u) continue;
    const group = await api(t.url, 'POST', '/v1/conversations', { title: `${a}'s`, members: [] }, bearer(u.accessToken));
    const direct = a === 'self' ? null : await api(t.url, 'POST', '/v1/conversations/direct', { userId: users.target.userId }, bearer(u.accessToken));
    ctx[a] = { target: users.target, direct: direct?.body.id ?? 'none', group: group.body.id };
    sockets[a] = await RawClient.authed(t.wsUrl, u.accessToken);
  }
  ctx.anonymous = { target: users.target, direct: ctx.blocked.direct, group: ctx.stranger.group };
  sockets.anonymous = await RawClient.open(t.wsUrl);
}, 60_000);

afterAll(async () => {
  for (const s of Object.values(sockets)) s.close();
  await t?.close();
});

describe('contacts authorisation matrix', () => {
  it('{self, friend, stranger, blocked, anonymous} × every operation, HTTP and socket: 0 unauthorised, 0 wrongly refused', async () => {
    const found = await runMatrix({
      operations: Object.fromEntries(OPS.map((op) => [op.name, op])),
      roles: ACTORS,
      targets: ['target'],
      transports: ['http', 'socket'],
      skip: (op, actor, via) => !(via === 'http' ? op.http : op.ws) || (actor === 'self' && op.name.startsWith('send into')),
      // One target per row: the baseline is restored before every case.
      world: baseline,
      call: (op, actor, _target, via) =>
        via === 'http'
          ? op.http!(actor === 'anonymous' ? null : (actor === 'self' ? users.target : users[actor]).accessToken, ctx[actor])
          : op.ws!(sockets[actor], ctx[actor]),
      may: (op, actor) => op.allowed.includes(actor),
      // With one target there is nothing to compare a refusal with; what a blocked user is told is checked instead.
      outsiders: [],
      // What a blocked user is told never names the block.
      // (A refusal may be an answer without the target in it: a search.)
      tells: (actor, out) =>
        actor === 'blocked' && (/blocked (you|by)|has blocked|are blocked|blocking you/i.test(out.message ?? '') || (out.code !== undefined && !['forbidden', 'not_found'].includes(out.code))),
    });
    const { cases, unauthorised } = found;
    expectNoFindings(found);
    expect(cases).toBeGreaterThanOrEqual(OPS.length * ACTORS.length * 2 - 10);
    console.info(`contacts authorisation matrix: ${cases} cases, ${unauthorised.length} unauthorised successes`);
  }, 120_000);

  it('the refusal a blocked user gets is the same as a stranger gets under DIRECT_MESSAGES=contacts', async () => {
    await baseline();
    const blocked = await api(t.url, 'POST', '/v1/conversations/direct', { userId: users.target.userId }, bearer(users.blocked.accessToken));
    const s = await startTestServer({ DIRECT_MESSAGES: 'contacts' });
    try {
      const [a, b] = [await register(s.url), await register(s.url)];
      const stranger = await api(s.url, 'POST', '/v1/conversations/direct', { userId: b.userId }, bearer(a.accessToken));
      expect(blocked.status).toBe(stranger.status);
      expect(blocked.body).toEqual(stranger.body);
    } finally {
      await s.close();
    }
  });
});
