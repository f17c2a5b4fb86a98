/**
 * What an operator does to accounts (issue 20), through the admin API and the `natter` CLI: list
 * users, disable one (it can no longer log in, refresh or get minted tokens; its devices are
 * revoked in the same transaction and its live connections closed everywhere) or enable it again,
 * and create registration invites for REGISTRATION=invite. Invite codes are shown once; the store
 * keeps only their SHA-256.
 */
import { createHash, randomBytes } from 'node:crypto';
import { NatterError, type PublicUser } from '@natter/protocol';
import type { Store, UserRecord } from '../store/store.js';
import { toPublicUser, type RevocationNotifier } from './accounts.js';
import type { Clock } from './clock.js';

/** A user as the operator sees it: the public profile, when it was created and whether it is disabled. */
export interface AdminUserView extends PublicUser {
  createdAt: number;
  disabledAt: number | null;
}

export const adminView = (u: UserRecord): AdminUserView => ({ ...toPublicUser(u), createdAt: u.createdAt, disabledAt: u.disabledAt });

/** The stored form of an invite code. Codes carry 120 random bits: a fast hash is enough. */
export const inviteHash = (code: string): string => createHash('sha256').update(code.trim()).digest('base64url');

export class UserAdmin {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly notify: RevocationNotifier,
  ) {}

  /** One page of users in id order; `next` is the cursor of the following page, null at the end. */
  async list(after: string | null, limit: number): Promise<{ users: AdminUserView[]; next: string | null }> {
    const rows = await this.store.listUsers(after, limit + 1);
    const users = rows.slice(0, limit).map(adminView);
    return { users, next: rows.length > limit ? users[users.length - 1]!.id : null };
  }

  /** The user with that id or, failing that, that username. */
  async get(idOrUsername: string): Promise<AdminUserView> {
    return adminView(await this.find(idOrUsername));
  }

  private async find(idOrUsername: string): Promise<UserRecord> {
    const user = (await this.store.getUser(idOrUsername)) ?? (await this.store.getUserByUsername(idOrUsername));
    if (!user) throw new NatterError('not_found', `no user with id or username ${JSON.stringify(idOrUsername)}`);
    return user;
  }

  /** Disables (or, with `disabled` false, enables) the user with that id or username. */
  async setDisabled(idOrUsername: string, disabled: boolean): Promise<AdminUserView> {
    const user = await this.find(idOrUsername);
    const live = disabled ? (await this.store.listDevices(user.id)).map((d) => d.id) : [];
    const updated = await this.store.setUserDisabled(user.id, disabled ? (user.disabledAt ?? this.clock.now()) : null);
    if (!updated) throw new NatterError('not_found', 'no such user');
    if (live.length > 0) await this.notify(user.id, live);
    return adminView(updated);
  }

  /** A new single-use invite code, valid `ttlHours` (none: no expiry). */
  async createInvite(ttlHours: number | null): Promise<{ code: string; expiresAt: number | null }> {
    const code = randomBytes(15).toString('base64url');
    const now = this.clock.now();
    const expiresAt = ttlHours === null ? null : now + ttlHours * 3_600_000;
    await this.store.createInvite({ codeHash: inviteHash(code), createdAt: now, expiresAt });
    return { code, expiresAt };
  }
}
