/**
 * Accounts over the REST API, for apps that talk to Natter directly (the web app, a CLI, a bot):
 * register, log in, keep the access token fresh by rotating the refresh token, and make
 * authorised REST calls. The session (tokens) is kept where the app says — `localStorage`, a file,
 * memory — through a small SessionStore, so a reloaded page or a restarted process stays logged in.
 *
 * Refresh tokens rotate on every use and a replayed one revokes the device (docs/api.md), so two
 * refreshes must never race: `accessToken()` shares one refresh among concurrent callers.
 */
import type { ErrorBody, PublicUser } from '@natter/protocol/wire';
import { NatterClientError } from './connection.js';

export interface AuthSession {
  userId: string;
  deviceId: string;
  accessToken: string;
  accessTokenExpiresAt: number;
  refreshToken: string;
  refreshTokenExpiresAt: number;
}

/** Where the session is kept between runs. Synchronous or async. */
export interface SessionStore {
  load(): AuthSession | null | Promise<AuthSession | null>;
  save(session: AuthSession | null): void | Promise<void>;
}

/** Keeps the session in memory only (the default). */
export class MemorySessionStore implements SessionStore {
  private session: AuthSession | null = null;
  load(): AuthSession | null {
    return this.session;
  }
  save(session: AuthSession | null): void {
    this.session = session;
  }
}

export interface NatterAuthOptions {
  /** The server's HTTP base URL, e.g. `https://chat.example.com` (no trailing path). Empty for the page's own origin. */
  baseUrl: string;
  store?: SessionStore;
  /** `fetch` implementation; the global one by default. */
  fetch?: typeof fetch;
  /** Refresh the access token when it has less than this left (default 30 s). */
  refreshMarginMs?: number;
}

/** One signed-in device of the account (GET /v1/me/devices). */
export interface DeviceInfo {
  id: string;
  name: string | null;
  createdAt: number;
  lastSeenAt: number;
  /** The device making the request. */
  current: boolean;
}

export interface Credentials {
  username: string;
  password: string;
  /** Shown in the user's device list. */
  deviceName?: string;
}

/** An HTTP error answered by the server: its stable code and message, and the HTTP status. */
export class NatterHttpError extends NatterClientError {
  constructor(
    readonly status: number,
    body: ErrorBody,
  ) {
    super(body.code, body.message, body.retryable, body.details);
  }
}

const REFRESH_LOCK = 'natter-auth-refresh';

/**
 * Runs `f` holding a lock shared by every tab of this origin (the Web Locks API) so two tabs never
 * refresh at once; elsewhere (Node) the per-instance single flight is all there is.
 */
function withLock<T>(name: string, f: () => Promise<T>): Promise<T> {
  const locks = (
    globalThis as { navigator?: { locks?: { request(name: string, cb: () => Promise<T>): Promise<T> } } }
  ).navigator?.locks;
  return locks ? locks.request(name, f) : f();
}

function clientError(code: string, message: string, retryable = false): NatterClientError {
  return new NatterClientError(code, message, retryable);
}

export class NatterAuth {
  private readonly base: string;
  private readonly store: SessionStore;
  private readonly fetchImpl: typeof fetch;
  private readonly margin: number;
  private current: AuthSession | null = null;
  private loaded: Promise<void> | null = null;
  private refreshing: Promise<AuthSession> | null = null;
  private readonly listeners = new Set<(s: AuthSession | null) => void>();
  /** How long each access token we were given lived when we got it. */
  private readonly lifetimes = new Map<string, number>();

  constructor(options: NatterAuthOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.store = options.store ?? new MemorySessionStore();
    this.fetchImpl = options.fetch ?? ((...a) => fetch(...a));
    this.margin = options.refreshMarginMs ?? 30_000;
  }

  /** The stored session, loaded once. Null when logged out. */
  async session(): Promise<AuthSession | null> {
    this.loaded ??= Promise.resolve(this.store.load()).then((s) => {
      this.current = s && s.refreshTokenExpiresAt > Date.now() ? s : null;
    });
    await this.loaded;
    return this.current;
  }

  /** Called with the new session after login, refresh and logout (null), e.g. to switch screens. */
  onChange(listener: (s: AuthSession | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Creates the account (where the server's registration is open) and signs in as it. */
  async register(input: Credentials & { displayName?: string }): Promise<AuthSession> {
    const r = await this.call<{ user: PublicUser; tokens: AuthSession }>(
      'POST',
      '/v1/auth/register',
      input,
      null,
    );
    return this.adopt(r.tokens);
  }

  async login(input: Credentials): Promise<AuthSession> {
    return this.adopt(await this.call<AuthSession>('POST', '/v1/auth/login', input, null));
  }

  /** Ends this device's session on the server (best effort) and forgets it here. */
  async logout(): Promise<void> {
    const s = await this.session();
    if (s) {
      try {
        await this.call('POST', '/v1/auth/logout', undefined, s.accessToken);
      } catch {
        // Already revoked or offline: forgetting the tokens locally is what matters.
      }
    }
    await this.set(null);
  }

  /**
   * A valid access token, refreshed first when it expires within the margin. Pass it to
   * NatterClient as `token: () => auth.accessToken()`. Rejects with `invalid_token` (and forgets
   * the session) when the refresh token is no longer accepted.
   */
  async accessToken(): Promise<string> {
    const s = await this.session();
    if (!s) throw clientError('not_authenticated', 'log in first');
    if (s.accessTokenExpiresAt - Date.now() > this.marginFor(s)) return s.accessToken;
    return (await this.refresh()).accessToken;
  }

  // --- the account ----------------------------------------------------------------------
  /** The signed-in user's profile. */
  me(): Promise<PublicUser> {
    return this.request('GET', '/v1/me');
  }

  updateProfile(patch: { displayName?: string | null; avatarUrl?: string | null }): Promise<PublicUser> {
    return this.request('PATCH', '/v1/me', patch);
  }

  changePassword(currentPassword: string, newPassword: string): Promise<void> {
    return this.request('POST', '/v1/me/password', { currentPassword, newPassword });
  }

  /** The account's signed-in devices; `current` marks this one. */
  async devices(): Promise<DeviceInfo[]> {
    return (await this.request<{ devices: DeviceInfo[] }>('GET', '/v1/me/devices')).devices;
  }

  /** Signs a device out everywhere: its tokens stop working and its connections close. */
  revokeDevice(deviceId: string): Promise<void> {
    return this.request('DELETE', `/v1/me/devices/${encodeURIComponent(deviceId)}`);
  }

  /** A user's public profile by id. */
  getUser(userId: string): Promise<PublicUser> {
    return this.request('GET', `/v1/users/${encodeURIComponent(userId)}`);
  }

  /** An authorised REST call; refreshes once and retries when the access token was rejected. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const token = await this.accessToken();
    try {
      return await this.call<T>(method, path, body, token);
    } catch (err) {
      if (!(err instanceof NatterHttpError) || err.status !== 401 || err.code === 'device_revoked') throw err;
      return this.call<T>(method, path, body, (await this.refresh()).accessToken);
    }
  }

  private refresh(): Promise<AuthSession> {
    this.refreshing ??= withLock(REFRESH_LOCK, () => this.refreshNow()).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async refreshNow(): Promise<AuthSession> {
    const mine = await this.session();
    if (!mine) throw clientError('not_authenticated', 'log in first');
    // Another instance on the same store (a second tab) may have rotated the refresh token
    // already: presenting our older one would look like theft and sign the device out.
    const stored = await this.store.load();
    if (stored && stored.deviceId === mine.deviceId && stored.refreshToken !== mine.refreshToken) {
      this.current = stored;
      if (stored.accessTokenExpiresAt - Date.now() > this.marginFor(stored)) return stored;
    }
    const s = this.current ?? mine;
    try {
      return await this.adopt(
        await this.call<AuthSession>('POST', '/v1/auth/refresh', { refreshToken: s.refreshToken }, null),
      );
    } catch (err) {
      // A refused refresh token will not start working: the user has to sign in again.
      if (err instanceof NatterHttpError && err.status >= 400 && err.status < 500 && err.status !== 429)
        await this.set(null);
      throw err;
    }
  }

  /** The margin, but at most half the token's life, so short-lived tokens are not refreshed on every call. */
  private marginFor(s: AuthSession): number {
    const life = this.lifetimes.get(s.accessToken);
    return life === undefined ? this.margin : Math.min(this.margin, life / 2);
  }

  private async adopt(s: AuthSession): Promise<AuthSession> {
    this.lifetimes.clear();
    this.lifetimes.set(s.accessToken, s.accessTokenExpiresAt - Date.now());
    await this.set(s);
    return s;
  }

  private async set(s: AuthSession | null): Promise<void> {
    await this.session();
    this.current = s;
    await this.store.save(s);
    for (const l of this.listeners) l(s);
  }

  private async call<T>(method: string, path: string, body: unknown, token: string | null): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    let res: Response;
    try {
      res = await this.fetchImpl(this.base + path, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
      });
    } catch {
      throw clientError('unavailable', 'the server could not be reached', true);
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON: a proxy's error page; reported by status below.
    }
    if (!res.ok) {
      const error = (json as { error?: ErrorBody } | null)?.error;
      throw new NatterHttpError(
        res.status,
        error ?? {
          code: res.status >= 500 ? 'unavailable' : 'invalid_request',
          message: `HTTP ${res.status}`,
          retryable: res.status >= 500,
        },
      );
    }
    return json as T;
  }
}
