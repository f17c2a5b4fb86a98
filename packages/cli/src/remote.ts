/**
 * How the CLI talks to a running server: its REST API at --url (NATTER_URL, default
 * http://localhost:8080), the admin routes with --admin-key (ADMIN_API_KEY), and as a user with
 * --token, --user and --password, or --user alone when the admin key can mint a token for them.
 * Every failure becomes a CliError that says what the server answered, in words.
 */

export class CliError extends Error {
  override readonly name = 'CliError';
}

export interface Remote {
  url: string;
  adminKey: string | undefined;
}

export interface As {
  token?: string | undefined;
  user?: string | undefined;
  password?: string | undefined;
}

export interface UserView {
  id: string;
  username: string;
  displayName: string | null;
  createdAt: number;
  disabledAt: number | null;
}

/** A session the CLI opened for one command, to be closed (its device revoked) when done. */
export interface Session {
  accessToken: string;
  userId: string;
  /** True when the CLI logged in or minted it, so it should log out at the end. */
  own: boolean;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are JSON the caller knows the shape of (docs/api.md)
export async function call(r: Remote, method: string, path: string, o: { body?: unknown; admin?: boolean; token?: string } = {}): Promise<any> {
  const headers: Record<string, string> = {};
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  if (o.admin) {
    if (!r.adminKey) throw new CliError('this needs the admin key: set ADMIN_API_KEY (the same as the server\'s) or pass --admin-key');
    headers['x-admin-key'] = r.adminKey;
  }
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  let res: Response;
  try {
    res = await fetch(new URL(path, r.url), { method, headers, ...(o.body !== undefined && { body: JSON.stringify(o.body) }) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new CliError(`cannot reach the server at ${r.url} (${cause}); is it running? (--url or NATTER_URL to point elsewhere)`);
  }
  const text = await res.text();
  type Answer = { error?: { code: string; message: string } } | null;
  let json: Answer = null;
  try {
    json = text ? (JSON.parse(text) as Answer) : null;
  } catch {
    // not JSON: described below
  }
  if (!res.ok) {
    const e = json?.error;
    throw new CliError(e ? `${method} ${path}: ${res.status} ${e.code}: ${e.message}` : `${method} ${path}: HTTP ${res.status}`);
  }
  return json;
}

export const findUser = (r: Remote, ref: string): Promise<UserView> => call(r, 'GET', `/v1/admin/users/${encodeURIComponent(ref)}`, { admin: true });

/** Signs in as the user the options name. */
export async function signIn(r: Remote, as: As): Promise<Session> {
  if (as.token) {
    const me = await call(r, 'GET', '/v1/me', { token: as.token });
    return { accessToken: as.token, userId: me.id, own: false };
  }
  if (as.user && as.password) {
    const t = await call(r, 'POST', '/v1/auth/login', { body: { username: as.user, password: as.password, deviceName: 'natter cli' } });
    return { accessToken: t.accessToken, userId: t.userId, own: true };
  }
  if (as.user && r.adminKey) {
    const u = await findUser(r, as.user);
    const t = await call(r, 'POST', `/v1/admin/users/${u.id}/tokens`, { admin: true, body: { deviceName: 'natter cli' } });
    return { accessToken: t.accessToken, userId: t.userId, own: true };
  }
  throw new CliError('say who you are: --user NAME with --password (or NATTER_PASSWORD), --user NAME with ADMIN_API_KEY set, or --token');
}

/** Revokes a session the CLI opened; a failure here changes nothing for the user. */
export async function signOut(r: Remote, s: Session): Promise<void> {
  if (s.own) await call(r, 'POST', '/v1/auth/logout', { token: s.accessToken }).catch(() => {});
}
