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
import { api, ADMIN_KEY, RawClient, startTestServer, type TestServer } from '../harness.js';

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
  { frame: (x: { conversationId: string; messageId: string }) => Record<string, unknown>; http: (x: { conversationId: string; messageId: string }) => { method: string; path: string; body?: unknown }; allowed: Partial<Record<Target, readonly Role[]>> }
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

const as = (who: Person) => ({ authorization: `Bearer ${tokens[who]}` });

async function ok(r: Promise<{ status: number; body: any }>): Promise<any> {
  const res = await r;
  if (res.status >= 300) throw new Error(`setup failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

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

interface Answer {
  ok: boolean;
  /** What a caller can tell apart: status (HTTP), code and message. */
  shape: string;
}

async function viaSocket(role: Role, frame: Record<string, unknown>): Promise<Answer> {
  const c = role === 'anonymous' ? await RawClient.open(t.wsUrl) : await RawClient.authed(t.wsUrl, tokens[role]!);
  try {
    const r = await c.request(frame);
    return r.type === 'result' ? { ok: true, shape: 'ok' } : { ok: false, shape: `${r.error.code}: ${r.error.message}` };
  } finally {
    c.close();
  }
}

async function viaHttp(role: Role, call: { method: string; path: string; body?: unknown }): Promise<Answer> {
  const headers = role === 'anonymous' ? {} : as(role);
  const r = await api(t.url, call.method, call.path, call.body, headers);
  return r.status < 300 ? { ok: true, shape: 'ok' } : { ok: false, shape: `${r.status} ${r.body.error.code}: ${r.body.error.message}` };
}

beforeAll(async () => {
  t = await startTestServer({
    USER_WRITES_PER_SECOND: 1_000_000,
    USER_WRITE_BURST: 1_000_000,
    USER_READS_PER_SECOND: 1_000_000,
    USER_READ_BURST: 1_000_000,
    CONNECTION_WRITES_PER_SECOND: 1_000_000,
    CONNECTION_WRITE_BURST: 1_000_000,
    REACTIONS_PER_MINUTE: 100_000,
  });
  for (const who of PEOPLE) {
    const u = await api(t.url, 'POST', '/v1/admin/users', { username: `maz${++n}_${Date.now().toString(36)}` }, { 'x-admin-key': ADMIN_KEY });
    const tk = await api(t.url, 'POST', `/v1/admin/users/${u.body.id}/tokens`, {}, { 'x-admin-key': ADMIN_KEY });
    ids[who] = u.body.id;
    tokens[who] = tk.body.accessToken;
    sockets[who] = await RawClient.authed(t.wsUrl, tk.body.accessToken);
  }
}, 60_000);
afterAll(async () => {
  for (const s of Object.values(sockets)) s.close();
  await t.close();
});

describe('message actions authorisation matrix', () => {
  it('has zero unauthorised successes, and outsiders cannot tell forbidden from not found', async () => {
    const unauthorised: string[] = [];
    const missing: string[] = [];
    const distinguishable: string[] = [];
    let cases = 0;
    for (const [op, spec] of Object.entries(OPERATIONS)) {
      for (const role of ROLES) {
        for (const transport of ['socket', 'http'] as const) {
          const w = await world();
          const answers = {} as Record<Target, Answer>;
          for (const target of TARGETS) {
            const x = pick(w, role, target);
            const a = transport === 'socket' ? await viaSocket(role, spec.frame(x)) : await viaHttp(role, spec.http(x));
            answers[target] = a;
            cases++;
            const may = spec.allowed[target]?.includes(role) ?? false;
            const label = `${op} as ${role} on ${target} (${transport}): ${a.shape}`;
            if (a.ok && !may) unauthorised.push(label);
            if (!a.ok && may) missing.push(label);
          }
          if (OUTSIDERS.includes(role)) {
            const refused = TARGETS.filter((x) => !answers[x].ok).map((x) => answers[x].shape);
            if (new Set(refused).size > 1) distinguishable.push(`${op} as ${role} (${transport}): ${TARGETS.map((x) => `${x}=${answers[x].shape}`).join(' | ')}`);
          }
        }
      }
    }
    expect(cases).toBe(Object.keys(OPERATIONS).length * ROLES.length * 2 * TARGETS.length);
    expect(unauthorised).toEqual([]);
    expect(distinguishable).toEqual([]);
    // And the table is not vacuous: everything it allows works.
    expect(missing).toEqual([]);
  }, 240_000);
});
