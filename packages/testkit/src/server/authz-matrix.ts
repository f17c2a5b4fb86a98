/**
 * The runner the authorisation-matrix tests share (issue 22): every operation × caller role ×
 * transport, each such row on a fresh world, its targets run in the order given so a success on
 * the last (the caller's own object) cannot hide a leak on the earlier ones. The tests keep what
 * is their own: roles, operations, the world they build and the permission table.
 */
import { expect } from 'vitest';
import { api, ADMIN_KEY, RawClient, type TestServer } from '../harness.js';

export type Transport = 'socket' | 'http';

/** One call's outcome, and what a caller can tell apart about it: status (HTTP), code and message. */
export interface Answer {
  ok: boolean;
  shape: string;
  code?: string;
  message?: string;
}

/** An HTTP request as the matrix makes it. */
export interface HttpCall {
  method: string;
  path: string;
  body?: unknown;
}

export const bearer = (token: string | null): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

/** A refusal must say why: a body without `error` fails the test rather than passing as a refusal. */
function refusal(status: number | null, error: { code?: string; message?: string } | undefined, raw: unknown): Answer {
  if (!error) throw new Error(`a refusal without an error: ${status ?? 'socket'} ${JSON.stringify(raw)}`);
  return { ok: false, shape: `${status === null ? '' : `${status} `}${error.code}: ${error.message}`, code: error.code, message: error.message };
}

/** `success` judges a 2xx body (a search that answers without the target in it is a refusal). */
export function httpAnswer(r: { status: number; body: any }, success?: (body: any) => boolean): Answer {
  if (r.status >= 300) return refusal(r.status, r.body?.error, r.body);
  const ok = success ? success(r.body) : true;
  return { ok, shape: ok ? 'ok' : `${r.status} unexpected body` };
}

/** `success` judges a result frame's data, as for HTTP. */
export function socketAnswer(frame: any, success?: (data: any) => boolean): Answer {
  if (frame.type !== 'result') return refusal(null, frame.error, frame);
  const ok = success ? success(frame.data) : true;
  return { ok, shape: ok ? 'ok' : 'unexpected result' };
}

/** One HTTP call with `token` (none: anonymous). */
export async function viaHttp(t: TestServer, token: string | null, call: HttpCall): Promise<Answer> {
  return httpAnswer(await api(t.url, call.method, call.path, call.body, bearer(token)));
}

/** One frame on a socket of its own, authenticated with `token` (none: never authenticated). */
export async function viaSocket(t: TestServer, token: string | null, frame: Record<string, unknown>): Promise<Answer> {
  const c = token === null ? await RawClient.open(t.wsUrl) : await RawClient.authed(t.wsUrl, token);
  try {
    return socketAnswer(await c.request(frame));
  } finally {
    c.close();
  }
}

/** A user made through the admin API, with an access token. */
export async function adminUser(t: TestServer, username: string): Promise<{ id: string; token: string }> {
  const u = await api(t.url, 'POST', '/v1/admin/users', { username }, { 'x-admin-key': ADMIN_KEY });
  const tk = await api(t.url, 'POST', `/v1/admin/users/${u.body.id}/tokens`, {}, { 'x-admin-key': ADMIN_KEY });
  return { id: u.body.id, token: tk.body.accessToken };
}

/** The body of a setup request, which must succeed. */
export async function setupOk(r: Promise<{ status: number; body: any }>): Promise<any> {
  const res = await r;
  if (res.status >= 300) throw new Error(`setup failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Budgets out of the way: the matrix makes thousands of calls as a handful of users. */
export const UNTHROTTLED = {
  USER_WRITES_PER_SECOND: 1_000_000,
  USER_WRITE_BURST: 1_000_000,
  USER_READS_PER_SECOND: 1_000_000,
  USER_READ_BURST: 1_000_000,
  CONNECTION_WRITES_PER_SECOND: 1_000_000,
  CONNECTION_WRITE_BURST: 1_000_000,
};

export interface Matrix<Op, Role extends string, Target extends string, World> {
  operations: Record<string, Op>;
  roles: readonly Role[];
  targets: readonly Target[];
  transports: readonly Transport[];
  /** Cases that do not exist (an operation with no HTTP route): neither run nor counted. */
  skip?: (op: Op, role: Role, transport: Transport) => boolean;
  /** Made afresh for each (operation, role, transport) row that is run. */
  world: () => Promise<World>;
  call: (op: Op, role: Role, target: Target, transport: Transport, world: World) => Promise<Answer>;
  /** The permission table: whether `role` may succeed on `target`. */
  may: (op: Op, role: Role, target: Target) => boolean;
  /** Callers for whom every refusal in a row must look the same ("forbidden" as "not found"). */
  outsiders: readonly Role[];
  /** A refusal that says more than it may to this caller (that they are blocked, say). */
  tells?: (role: Role, answer: Answer) => boolean;
}

export interface MatrixFindings {
  cases: number;
  /** Successes the table does not allow: the pass mark is zero. */
  unauthorised: string[];
  /** Refusals of what the table allows: a table nothing passes would be vacuous. */
  wronglyRefused: string[];
  distinguishable: string[];
  telling: string[];
}

export async function runMatrix<Op, Role extends string, Target extends string, World>(m: Matrix<Op, Role, Target, World>): Promise<MatrixFindings> {
  const found: MatrixFindings = { cases: 0, unauthorised: [], wronglyRefused: [], distinguishable: [], telling: [] };
  for (const [name, op] of Object.entries(m.operations)) {
    for (const role of m.roles) {
      for (const transport of m.transports) {
        if (m.skip?.(op, role, transport)) continue;
        const w = await m.world();
        const answers = {} as Record<Target, Answer>;
        for (const target of m.targets) {
          const a = await m.call(op, role, target, transport, w);
          answers[target] = a;
          found.cases++;
          const may = m.may(op, role, target);
          const label = `${name} as ${role} on ${target} (${transport}): ${a.shape}`;
          if (a.ok && !may) found.unauthorised.push(label);
          if (!a.ok && may) found.wronglyRefused.push(label);
          if (!a.ok && m.tells?.(role, a)) found.telling.push(label);
        }
        if (m.outsiders.includes(role)) {
          const refused = m.targets.filter((x) => !answers[x].ok).map((x) => answers[x].shape);
          if (new Set(refused).size > 1) found.distinguishable.push(`${name} as ${role} (${transport}): ${m.targets.map((x) => `${x}=${answers[x].shape}`).join(' | ')}`);
        }
      }
    }
  }
  return found;
}

/** Every list of findings empty (the count of cases is each test's own: some skip cases). */
export function expectNoFindings(found: MatrixFindings): void {
  expect(found.unauthorised).toEqual([]);
  expect(found.distinguishable).toEqual([]);
  expect(found.telling).toEqual([]);
  // And the table is not vacuous: everything it allows works.
  expect(found.wronglyRefused).toEqual([]);
}
