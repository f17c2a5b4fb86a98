/**
 * The authorisation matrix of group management (issue 22): every group operation, over the
 * socket and over HTTP, as {owner, admin, member, non-member, removed member, anonymous}
 * against {the own group's object, a guessed id, another group's object}. Each (operation,
 * role, transport) gets a fresh pair of groups; its targets run guessed, another, own, so a
 * success on the own object cannot hide a leak on the others. Counted: successes the
 * permission table (docs/groups.md) does not allow — the pass mark is zero — and, for callers
 * outside the group, whether "forbidden" and "not found" ever look different. Runs on SQLite,
 * or on PostgreSQL with NATTER_TEST_DATABASE_URL.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, RawClient, startTestServer, type TestServer } from '../harness.js';
import { adminUser, bearer, expectNoFindings, runMatrix, setupOk as ok, UNTHROTTLED, viaHttp, viaSocket, type HttpCall } from './authz-matrix.js';

const ROLES = ['owner', 'admin', 'member', 'nonMember', 'removed', 'anonymous'] as const;
type Role = (typeof ROLES)[number];
const TARGETS = ['guessed', 'another', 'own'] as const;
type Target = (typeof TARGETS)[number];

/** One world: a group G with every role, and another group H (owned by `other`) with codes of its own. */
interface World {
  G: string;
  H: string;
  codeG: string;
  codeH: string;
  revokedH: string;
  ids: Record<'owner' | 'admin' | 'member' | 'member2' | 'removed' | 'nonMember' | 'other' | 'hMember', string>;
}

/** A request both ways: a socket frame, and the same over HTTP. */
interface Call {
  frame: Record<string, unknown>;
  http: HttpCall;
}

const guessId = () => `c_${randomBytes(8).toString('hex')}`;
const guessCode = () => randomBytes(16).toString('base64url');

/** Every operation: the call per target, and who may succeed on the own object (docs/groups.md). */
const OPERATIONS: Record<string, { call: (w: World, t: Target) => Call; allowed: readonly Role[] }> = {
  'group.update': {
    call: (w, t) => {
      const id = t === 'own' ? w.G : t === 'another' ? w.H : guessId();
      return { frame: { type: 'group.update', conversationId: id, patch: { description: 'x' } }, http: { method: 'PATCH', path: `/v1/conversations/${id}/group`, body: { description: 'x' } } };
    },
    allowed: ['owner', 'admin'],
  },
  'group.transfer': {
    call: (w, t) => {
      const [id, userId] = t === 'own' ? [w.G, w.ids.member] : t === 'another' ? [w.H, w.ids.hMember] : [guessId(), w.ids.member];
      return { frame: { type: 'group.transfer', conversationId: id, userId }, http: { method: 'POST', path: `/v1/conversations/${id}/owner`, body: { userId } } };
    },
    allowed: ['owner'],
  },
  'group.dissolve': {
    call: (w, t) => {
      const id = t === 'own' ? w.G : t === 'another' ? w.H : guessId();
      return { frame: { type: 'group.dissolve', conversationId: id }, http: { method: 'POST', path: `/v1/conversations/${id}/dissolve` } };
    },
    allowed: ['owner'],
  },
  'group.mute': {
    call: (w, t) => {
      const [id, userId] = t === 'own' ? [w.G, w.ids.member2] : t === 'another' ? [w.H, w.ids.hMember] : [guessId(), w.ids.member];
      return {
        frame: { type: 'group.mute', conversationId: id, userId, seconds: 60 },
        http: { method: 'PUT', path: `/v1/conversations/${id}/members/${userId}/mute`, body: { seconds: 60 } },
      };
    },
    allowed: ['owner', 'admin'],
  },
  'group.muteAll': {
    call: (w, t) => {
      const id = t === 'own' ? w.G : t === 'another' ? w.H : guessId();
      return { frame: { type: 'group.muteAll', conversationId: id, muted: true }, http: { method: 'PUT', path: `/v1/conversations/${id}/mute`, body: { muted: true } } };
    },
    allowed: ['owner', 'admin'],
  },
  'group.invite.create': {
    call: (w, t) => {
      const id = t === 'own' ? w.G : t === 'another' ? w.H : guessId();
      return { frame: { type: 'group.invite.create', conversationId: id, maxUses: 2 }, http: { method: 'POST', path: `/v1/conversations/${id}/invites`, body: { maxUses: 2 } } };
    },
    allowed: ['owner', 'admin'],
  },
  'group.invite.list': {
    call: (w, t) => {
      const id = t === 'own' ? w.G : t === 'another' ? w.H : guessId();
      return { frame: { type: 'group.invite.list', conversationId: id }, http: { method: 'GET', path: `/v1/conversations/${id}/invites` } };
    },
    allowed: ['owner', 'admin'],
  },
  'group.invite.revoke': {
    // Another group's code through the own group's id: the leak that matters.
    call: (w, t) => {
      const [id, code] = t === 'own' ? [w.G, w.codeG] : t === 'another' ? [w.G, w.codeH] : [guessId(), guessCode()];
      return { frame: { type: 'group.invite.revoke', conversationId: id, code }, http: { method: 'DELETE', path: `/v1/conversations/${id}/invites/${code}` } };
    },
    allowed: ['owner', 'admin'],
  },
  'group.join': {
    // A code is a bearer grant: anyone signed in may use a live one (members get their view back).
    // Another group's revoked code and a guessed one must never work.
    call: (w, t) => {
      const code = t === 'own' ? w.codeG : t === 'another' ? w.revokedH : guessCode();
      return { frame: { type: 'group.join', code }, http: { method: 'POST', path: '/v1/invites/join', body: { code } } };
    },
    allowed: ['owner', 'admin', 'member', 'nonMember', 'removed'],
  },
  'conversation.removeMember': {
    // Kicking another member (over HTTP, naming oneself is leaving, which is everyone's right).
    call: (w, t) => {
      const [id, userId] = t === 'own' ? [w.G, w.ids.member2] : t === 'another' ? [w.H, w.ids.hMember] : [guessId(), w.ids.member];
      return { frame: { type: 'conversation.removeMember', conversationId: id, userId }, http: { method: 'DELETE', path: `/v1/conversations/${id}/members/${userId}` } };
    },
    allowed: ['owner', 'admin'],
  },
};

/** Callers outside the group: for them "forbidden" and "not found" must look the same. */
const OUTSIDERS: readonly Role[] = ['nonMember', 'removed', 'anonymous'];

let t: TestServer;
const tokens: Partial<Record<keyof World['ids'], string>> = {};
const ids: Partial<World['ids']> = {};
let n = 0;

const as = (who: keyof World['ids']) => bearer(tokens[who]!);

/** Fresh groups G and H for one row of the matrix. */
async function world(): Promise<World> {
  const w = ids as World['ids'];
  const G = (await ok(api(t.url, 'POST', '/v1/conversations', { title: 'G', members: [w.admin, w.member, w.member2, w.removed] }, as('owner')))).id as string;
  await ok(api(t.url, 'PUT', `/v1/conversations/${G}/members/${w.admin}/role`, { role: 'admin' }, as('owner')));
  await ok(api(t.url, 'DELETE', `/v1/conversations/${G}/members/${w.removed}`, undefined, as('owner')));
  const H = (await ok(api(t.url, 'POST', '/v1/conversations', { title: 'H', members: [w.hMember] }, as('other')))).id as string;
  const codeG = (await ok(api(t.url, 'POST', `/v1/conversations/${G}/invites`, {}, as('owner')))).code as string;
  const codeH = (await ok(api(t.url, 'POST', `/v1/conversations/${H}/invites`, {}, as('other')))).code as string;
  const revokedH = (await ok(api(t.url, 'POST', `/v1/conversations/${H}/invites`, {}, as('other')))).code as string;
  await ok(api(t.url, 'DELETE', `/v1/conversations/${H}/invites/${revokedH}`, undefined, as('other')));
  return { G, H, codeG, codeH, revokedH, ids: w };
}

beforeAll(async () => {
  t = await startTestServer({ ...UNTHROTTLED, INVITE_JOIN_ATTEMPTS_PER_HOUR: 100_000 });
  for (const who of ['owner', 'admin', 'member', 'member2', 'removed', 'nonMember', 'other', 'hMember'] as const) {
    const u = await adminUser(t, `authz${++n}_${Date.now().toString(36)}`);
    ids[who] = u.id;
    tokens[who] = u.token;
  }
}, 60_000);
afterAll(async () => {
  await t.close();
});

describe('group management authorisation matrix', () => {
  it('has zero unauthorised successes, and outsiders cannot tell forbidden from not found', async () => {
    const found = await runMatrix({
      operations: OPERATIONS,
      roles: ROLES,
      targets: TARGETS,
      transports: ['socket', 'http'],
      world,
      call: (spec, role, target, transport, w) => {
        const call = spec.call(w, target);
        const token = role === 'anonymous' ? null : tokens[role]!;
        return transport === 'socket' ? viaSocket(t, token, call.frame) : viaHttp(t, token, call.http);
      },
      may: (spec, role, target) => target === 'own' && spec.allowed.includes(role),
      outsiders: OUTSIDERS,
    });
    expect(found.cases).toBe(Object.keys(OPERATIONS).length * ROLES.length * 2 * TARGETS.length);
    expectNoFindings(found);
  }, 240_000);

  it('invite code guesses are rate-limited per user, and a working code gives its attempt back', async () => {
    const s = await startTestServer({ INVITE_JOIN_ATTEMPTS_PER_HOUR: 3 });
    try {
      const make = async () => (await adminUser(s, `rl${++n}_${Date.now().toString(36)}`)).token;
      const [owner, guesser, other] = [await make(), await make(), await make()];
      const g = (await api(s.url, 'POST', '/v1/conversations', { members: [] }, { authorization: `Bearer ${owner}` })).body.id as string;
      const code = (await api(s.url, 'POST', `/v1/conversations/${g}/invites`, {}, { authorization: `Bearer ${owner}` })).body.code as string;
      const c = await RawClient.authed(s.wsUrl, guesser);
      try {
        // A working code does not use up the allowance.
        for (let i = 0; i < 3; i++) expect((await c.request({ type: 'group.join', code })).type).toBe('result');
        for (let i = 0; i < 3; i++) expect((await c.request({ type: 'group.join', code: guessCode() })).error.code).toBe('not_found');
        const limited = await c.request({ type: 'group.join', code });
        expect(limited.error.code).toBe('rate_limited');
        expect(limited.error.details.retryAfterMs).toBeGreaterThan(0);
      } finally {
        c.close();
      }
      // Over HTTP too, and another user is not affected.
      const r = await api(s.url, 'POST', '/v1/invites/join', { code: guessCode() }, { authorization: `Bearer ${guesser}` });
      expect(r.body.error.code).toBe('rate_limited');
      const fine = await api(s.url, 'POST', '/v1/invites/join', { code }, { authorization: `Bearer ${other}` });
      expect(fine.status).toBe(200);
    } finally {
      await s.close();
    }
  }, 60_000);
});
