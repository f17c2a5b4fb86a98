/**
 * Accounts and devices: register, login, refresh rotation, logout, device listing and
 * revocation, password change, profile, and the admin path that lets an app's backend create
 * users and mint tokens for them. Revoking a device tells every process (through `notify`) to
 * close that device's live connections.
 */
import { NatterError, type PublicUser } from '@natter/protocol';
import type { Clock } from './clock.js';
import { newDeviceId, newUserId } from './ids.js';
import { burnVerification, hashPassword, verifyPassword } from './passwords.js';
import type { LoginLimiter, RegistrationLimiter } from './rate-limit.js';
import { newRefreshToken, parseRefreshToken, type AccessClaims, type TokenService } from './tokens.js';
import { usernameKey } from '../store/rules/usernames.js';
import type { DeviceRecord, Store, UserRecord } from '../store/store.js';
import { inviteHash } from './user-admin.js';

export interface TokenPair {
  accessToken: string;
  accessTokenExpiresAt: number;
  refreshToken: string;
  refreshTokenExpiresAt: number;
  userId: string;
  deviceId: string;
}

export interface DeviceView {
  id: string;
  name: string | null;
  createdAt: number;
  lastSeenAt: number;
  current: boolean;
}

/** Called when devices are revoked, so their live connections everywhere get closed. */
export type RevocationNotifier = (userId: string, deviceIds: string[]) => Promise<void>;

export const toPublicUser = (u: UserRecord): PublicUser => ({
  id: u.id,
  username: u.username,
  displayName: u.displayName,
  avatarUrl: u.avatarUrl,
});

export class Accounts {
  constructor(
    private readonly store: Store,
    private readonly tokens: TokenService,
    private readonly limiter: LoginLimiter,
    private readonly registrations: RegistrationLimiter,
    private readonly clock: Clock,
    private readonly options: { refreshTtlDays: number },
    private readonly notify: RevocationNotifier,
  ) {}

  /** Open registration: limited per address before anything is hashed or stored. */
  async register(
    input: { username: string; password: string; displayName?: string | null; deviceName?: string | null; inviteCode?: string | undefined },
    ip: string,
    /** REGISTRATION=invite: the account needs an unused invite code, spent by this registration. */
    needsInvite = false,
  ): Promise<{ user: PublicUser; tokens: TokenPair }> {
    await this.registrations.consume(ip);
    let invite: string | null = null;
    if (needsInvite) {
      if (!input.inviteCode) throw new NatterError('forbidden', 'registration on this server needs an invite code (inviteCode)');
      invite = inviteHash(input.inviteCode);
      if (!(await this.store.useInvite(invite, this.clock.now()))) throw new NatterError('forbidden', 'that invite code is unknown, used or expired');
    }
    let user: PublicUser;
    try {
      user = await this.createUser({ ...input, password: input.password });
    } catch (err) {
      // The code was not used up by an account: give it back (a taken username, say).
      if (invite) await this.store.restoreInvite(invite);
      throw err;
    }
    const tokens = await this.openDevice(user.id, input.deviceName ?? null);
    return { user, tokens };
  }

  /** Creates a user (password optional: app-managed users log in only through minted tokens). */
  async createUser(input: { username: string; password?: string | null; displayName?: string | null; avatarUrl?: string | null }): Promise<PublicUser> {
    const passwordHash = input.password ? await hashPassword(input.password) : null;
    const created = await this.store.createUser({
      id: newUserId(),
      username: input.username,
      passwordHash,
      displayName: input.displayName ?? null,
      avatarUrl: input.avatarUrl ?? null,
      createdAt: this.clock.now(),
    });
    if (!created) throw new NatterError('username_taken', 'that username is taken');
    return toPublicUser(created);
  }

  async login(input: { username: string; password: string; deviceName?: string | null }, ip: string): Promise<TokenPair> {
    // The attempt is counted before the password is checked: counting failures afterwards let
    // 150 concurrent guesses all be verified before the first failure was recorded.
    // Counted by the username's key: `alice`, `ALICE` and `ａｌｉｃｅ` are one account, so they
    // must share one budget (by the raw name, each width and case variant got its own).
    const account = usernameKey(input.username);
    await this.limiter.begin('login', account, ip);
    const user = await this.store.getUserByUsername(input.username);
    let ok = false;
    if (user?.passwordHash) ok = await verifyPassword(user.passwordHash, input.password);
    else await burnVerification(input.password);
    if (!user || !ok) throw new NatterError('invalid_credentials', 'unknown user or wrong password');
    // Said only to whoever knows the password: a guesser learns nothing about disabled accounts.
    if (user.disabledAt !== null) throw new NatterError('forbidden', 'this account is disabled');
    await this.limiter.succeeded('login', account, ip);
    return this.openDevice(user.id, input.deviceName ?? null);
  }

  /** A new device (session) with its first token pair. */
  async openDevice(userId: string, name: string | null): Promise<TokenPair> {
    const now = this.clock.now();
    const deviceId = newDeviceId();
    const refresh = newRefreshToken(deviceId);
    const refreshExpiresAt = now + this.options.refreshTtlDays * 86_400_000;
    await this.store.createDevice({ id: deviceId, userId, name, refreshHash: refresh.hash, refreshExpiresAt, createdAt: now });
    const access = await this.tokens.issueAccess({ userId, deviceId }, now);
    return {
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken: refresh.token,
      refreshTokenExpiresAt: refreshExpiresAt,
      userId,
      deviceId,
    };
  }

  /** Rotates the refresh token. Presenting an already-used token revokes the device. */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const parsed = parseRefreshToken(refreshToken);
    if (!parsed) throw new NatterError('invalid_token', 'invalid refresh token');
    const now = this.clock.now();
    const next = newRefreshToken(parsed.deviceId);
    const expiresAt = now + this.options.refreshTtlDays * 86_400_000;
    const outcome = await this.store.rotateRefresh(parsed.deviceId, parsed.hash, { hash: next.hash, expiresAt }, now);
    switch (outcome.kind) {
      case 'rotated': {
        const access = await this.tokens.issueAccess({ userId: outcome.device.userId, deviceId: parsed.deviceId }, now);
        return {
          accessToken: access.token,
          accessTokenExpiresAt: access.expiresAt,
          refreshToken: next.token,
          refreshTokenExpiresAt: expiresAt,
          userId: outcome.device.userId,
          deviceId: parsed.deviceId,
        };
      }
      case 'reused':
        await this.notify(outcome.device.userId, [outcome.device.id]);
        throw new NatterError('device_revoked', 'refresh token reuse detected; the device was signed out');
      case 'revoked':
        throw new NatterError('device_revoked', 'this device was signed out');
      case 'expired':
        throw new NatterError('token_expired', 'refresh token expired');
      case 'unknown':
        throw new NatterError('invalid_token', 'invalid refresh token');
    }
  }

  /** Verifies an access token and that its device is still live. */
  async authenticate(accessToken: string): Promise<AccessClaims> {
    const claims = await this.tokens.verifyAccess(accessToken, this.clock.now());
    const device = await this.store.getDevice(claims.deviceId);
    if (!device || device.userId !== claims.userId) throw new NatterError('invalid_token', 'invalid access token');
    if (device.revokedAt !== null) throw new NatterError('device_revoked', 'this device was signed out');
    return claims;
  }

  async me(userId: string): Promise<PublicUser> {
    const user = await this.store.getUser(userId);
    if (!user) throw new NatterError('not_found', 'no such user');
    return toPublicUser(user);
  }

  async getUser(userId: string): Promise<PublicUser> {
    return this.me(userId);
  }

  async updateProfile(userId: string, patch: { displayName?: string | null; avatarUrl?: string | null }): Promise<PublicUser> {
    const user = await this.store.updateProfile(userId, patch);
    if (!user) throw new NatterError('not_found', 'no such user');
    return toPublicUser(user);
  }

  async listDevices(claims: AccessClaims): Promise<DeviceView[]> {
    const devices = await this.store.listDevices(claims.userId);
    return devices.map((d: DeviceRecord) => ({
      id: d.id,
      name: d.name,
      createdAt: d.createdAt,
      lastSeenAt: d.lastSeenAt,
      current: d.id === claims.deviceId,
    }));
  }

  /** Revokes one of the caller's devices (not found for anyone else's). */
  async revokeDevice(userId: string, deviceId: string): Promise<void> {
    const done = await this.store.revokeDevice(userId, deviceId, this.clock.now());
    if (!done) throw new NatterError('not_found', 'no such device');
    await this.notify(userId, [deviceId]);
  }

  async logout(claims: AccessClaims): Promise<void> {
    await this.revokeDevice(claims.userId, claims.deviceId);
  }

  /** Changes the password and signs out every other device. */
  async changePassword(claims: AccessClaims, current: string, next: string, ip: string): Promise<void> {
    // Guessing the current password here is brute force too: the same limits as login, in
    // counters of their own (keyed by user id, which no login username can collide with).
    await this.limiter.begin('password-change', claims.userId, ip);
    const user = await this.store.getUser(claims.userId);
    if (!user) throw new NatterError('not_found', 'no such user');
    if (!user.passwordHash || !(await verifyPassword(user.passwordHash, current))) {
      throw new NatterError('wrong_password', 'current password is wrong');
    }
    await this.limiter.succeeded('password-change', claims.userId, ip);
    await this.store.setPasswordHash(user.id, await hashPassword(next));
    const revoked = await this.store.revokeOtherDevices(user.id, claims.deviceId, this.clock.now());
    if (revoked.length > 0) await this.notify(user.id, revoked);
  }

  /** Admin path: a new device and tokens for an existing user, no password needed. */
  async mintTokens(userId: string, deviceName: string | null): Promise<TokenPair> {
    const user = await this.store.getUser(userId);
    if (!user) throw new NatterError('not_found', 'no such user');
    if (user.disabledAt !== null) throw new NatterError('forbidden', 'this account is disabled');
    return this.openDevice(userId, deviceName);
  }
}
