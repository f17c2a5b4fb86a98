/**
 * The authorisation matrix of message actions (issue 22): recall, edit, react, unreact, hide
 * and unhide (delete for me and its undoing), over
 * the socket and over HTTP, as {the message's sender, group owner, admin, another member,
 * non-member, removed member, anonymous} against {the caller's own message, another member's
 * message, a guessed id, another conversation's message named through this conversation's id
 * ("crossed"), another conversation's message through its own id}. Each (operation, role,
 * transport) gets a fresh pair of groups; its targets run guessed, crossed, another, others, own,
 * so a success on the own message cannot hide a leak on the others. Counted: successes the
 * permission table (docs/protocol.md "Message actions") does not allow — the pass mark is zero —
 * and, for callers outside the group, whether "forbidden" and "not found" ever look different.
 * Runs on SQLite, or on PostgreSQL with NATTER_TEST_DATABASE_URL.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, RawClient, startTestServer, type TestServer } from '../harness.js';
import { adminUser, bearer, expectNoFindings, runMatrix, setupOk as ok, UNTHROTTLED, viaHttp, viaSocket, type HttpCall } from './authz-matrix.js';

const ROLES = ['sender', 'owner', 'admin', 'member', 'nonMember', 'removed', 'anonymous'] as const;
type Role = (typeof ROLES)[number];
const TARGETS = ['guessed', 'crossed', 'another', 'others', 'own'] as const;
type Target = (typeof TARGETS)[number];
type Person = 'owner' | 'admin' | 'sender' | 'member' | 'removed' | 'nonMember' | 'other' | 'hMember';
const PEOPLE: readonly Person[] = ['owner', 'admin', 'sender', 'member', 'removed', 'nonMember', 'other', 'hMember'];

/**
 * One world: group G (owner, admin, sender, member; `removed` was a member) where each of them
 * sent one message (`removed` before being removed), and group H of `other` and `hMember`, where
 * `hMember` sent one. `nonMember` is in neither.
 */
interface World {
  G: string;
  H: string;
  inG: Partial<Record<Person, string>>;
  inH: string;
}

/** The conversation id and message id a target names for a caller. */
function pick(w: World, role: Role, t: Target): { conversationId: string; messageId: string } {
  switch (t) {
    case 'guessed':
      return { conversationId: w.G, messageId: `m_${randomBytes(8).toString('hex')}` };
    case 'crossed':
      return { conversationId: w.G, messageId: w.inH };
    case 'another':
      return { conversationId: w.H, messageId: w.inH };
    case 'others':
      // Another member's message: the sender's; for the sender, the plain member's.
      return { conversationId: w.G, messageId: role === 'sender' ? w.inG.member! : w.inG.sender! };
    case 'own':
      // Callers with no message of their own in G (non-member, anonymous) aim at the sender's.
      return { conversationId: w.G, messageId: w.inG[role as Person] ?? w.inG.sender! };
  }
}

const MEMBERS: readonly Role[] = ['sender', 'owner', 'admin', 'member'];
const MANAGERS: readonly Role[] = ['owner', 'admin'];

/** Every operation: the frame and the HTTP request, and who may succeed on which target. */
const OPERATIONS: Record<
  string,
  { frame: (x: { conversationId: string; messageId: string }) => Record<string, unknown>; http: (x: { conversationId: string; messageId: string }) => HttpCall; allowed: Partial<Record<Target, readonly Role[]>> }
> = {
  'message.recall': {
    frame: (x) => ({ type: 'message.recall', ...x }),
    http: (x) => ({ method: 'POST', path: `/v1/conversations/${x.conversationId}/messages/${x.messageId}/recall` }),
    allowed: { own: MEMBERS, others: MANAGERS },
  },
  'message.edit': {
    frame: (x) => ({ type: 'message.edit', ...x, text: 'changed' }),
    http: (x) => ({ method: 'PATCH', path: `/v1/conversations/${x.conversationId}/messages/${x.messageId}`, body: { text: 'changed' } }),
    allowed: { own: MEMBERS },
  },
  'message.react': {
    frame: (x) => ({ type: 'message.react', ...x, emoji: '👍' }),
    http: (x) => ({ method: 'PUT', path: `/v1/conversations/${x.conversationId}/messages/${x.messageId}/reactions/${encodeURIComponent('👍')}` }),
    allowed: { own: MEMBERS, others: MEMBERS },
  },
  'message.unreact': {
    // Taking back a reaction one never gave is a no-op success for a member: still a success to count.
    frame: (x) => ({ type: 'message.unreact', ...x, emoji: '👍' }),
    http: (x) => ({ method: 'DELETE', path: `/v1/conversations/${x.conversationId}/messages/${x.messageId}/reactions/${encodeURIComponent('👍')}` }),
    allowed: { own: MEMBERS, others: MEMBERS },
  },
  'message.hide': {
    // Delete for me: any message the caller can see — a removed member still sees the history
    // up to their removal (where both of these targets are), so they may tidy it.
    frame: (x) => ({ type: 'message.hide', ...x }),
    http: (x) => ({ method: 'POST', path: `/v1/conversations/${x.conversationId}/messages/${x.messageId}/hide` }),
    allowed: { own: [...MEMBERS, 'removed'], others: [...MEMBERS, 'removed'] },
  },
  'message.unhide': {
    // Undoing a hide that was never made is a no-op success for whoever may hide: still counted.
    frame: (x) => ({ type: 'message.unhide', ...x }),
    http: (x) => ({ method: 'DELETE', path: `/v1/conversations/${x.conversationId}/messages/${x.messageId}/hide` }),
    allowed: { own: [...MEMBERS, 'removed'], others: [...MEMBERS, 'removed'] },
  },
};

/** Callers outside the group: for them "forbidden" and "not found" must look the same. */
const OUTSIDERS: readonly Role[] = ['nonMember', 'removed', 'anonymous'];

let t: TestServer;
const tokens: Partial<Record<Person, string>> = {};
const ids: Partial<Record<Person, string>> = {};
const sockets: Partial<Record<Person, RawClient>> = {};
let n = 0;
let sent = 0;

const as = (who: Person) => bearer(tokens[who]!);

async function send(who: Person, conversationId: string): Promise<string> {
  const r = await sockets[who]!.request({ type: 'send', conversationId, clientMsgId: `authz-${++sent}`, msgType: 'text', body: { text: `from ${who}` } });
  if (r.type !== 'result') throw new Error(`setup send failed: ${JSON.stringify(r)}`);
  return r.data.id as string;
}

async function world(): Promise<World> {
  const w = ids as Record<Person, string>;
  const G = (await ok(api(t.url, 'POST', '/v1/conversations', { title: 'G', members: [w.admin, w.sender, w.member, w.removed] }, as('owner')))).id as string;
  await ok(api(t.url, 'PUT', `/v1/conversations/${G}/members/${w.admin}/role`, { role: 'admin' }, as('owner')));
  const inG: World['inG'] = {};
  for (const who of ['owner', 'admin', 'sender', 'member', 'removed'] as const) inG[who] = await send(who, G);
  await ok(api(t.url, 'DELETE', `/v1/conversations/${G}/members/${w.removed}`, undefined, as('owner')));
  const H = (await ok(api(t.url, 'POST', '/v1/conversations', { title: 'H', members: [w.hMember] }, as('other')))).id as string;
  return { G, H, inG, inH: await send('hMember', H) };
}

beforeAll(async () => {
  t = await startTestServer({ ...UNTHROTTLED, REACTIONS_PER_MINUTE: 100_000 });
  for (const who of PEOPLE) {
    const u = await adminUser(t, `maz${++n}_${Date.now().toString(36)}`);
    ids[who] = u.id;
    tokens[who] = u.token;
    sockets[who] = await RawClient.authed(t.wsUrl, u.token);
  }
}, 60_000);
afterAll(async () => {
  for (const s of Object.values(sockets)) s.close();
  await t.close();
});

describe('message actions authorisation matrix', () => {
  it('has zero unauthorised successes, and outsiders cannot tell forbidden from not found', async () => {
    const found = await runMatrix({
      operations: OPERATIONS,
      roles: ROLES,
      targets: TARGETS,
      transports: ['socket', 'http'],
      world,
      call: (spec, role, target, transport, w) => {
        const x = pick(w, role, target);
        const token = role === 'anonymous' ? null : tokens[role]!;
        return transport === 'socket' ? viaSocket(t, token, spec.frame(x)) : viaHttp(t, token, spec.http(x));
      },
      may: (spec, role, target) => spec.allowed[target]?.includes(role) ?? false,
      outsiders: OUTSIDERS,
    });
    expect(found.cases).toBe(Object.keys(OPERATIONS).length * ROLES.length * 2 * TARGETS.length);
    expectNoFindings(found);
  }, 240_000);
});
