/**
 * The Store's account types: users, registration invites, devices (sessions) and their refresh
 * rotation, and who may see a user's presence. store.ts re-exports them.
 */
import type { PublicUser } from '@natter/protocol';

export interface UserRecord extends PublicUser {
  passwordHash: string | null;
  createdAt: number;
  /** When an operator disabled the account (it cannot log in or get tokens); null when enabled. */
  disabledAt: number | null;
}

/** A registration invite (REGISTRATION=invite): only the code's hash is kept. */
export interface NewInvite {
  codeHash: string;
  createdAt: number;
  /** Null: never expires. */
  expiresAt: number | null;
}

export interface DeviceRecord {
  id: string;
  userId: string;
  name: string | null;
  createdAt: number;
  lastSeenAt: number;
  refreshHash: string;
  refreshExpiresAt: number;
  revokedAt: number | null;
}

export interface NewUser {
  id: string;
  username: string;
  passwordHash: string | null;
  displayName: string | null;
  avatarUrl: string | null;
  createdAt: number;
}

export interface NewDevice {
  id: string;
  userId: string;
  name: string | null;
  refreshHash: string;
  refreshExpiresAt: number;
  createdAt: number;
}

/** Outcome of presenting a refresh token hash for rotation. */
export type RotateOutcome =
  | { kind: 'rotated'; device: DeviceRecord }
  /** The hash is an earlier one of this device: an old token was replayed. The device is now revoked. */
  | { kind: 'reused'; device: DeviceRecord }
  | { kind: 'expired' }
  | { kind: 'revoked' }
  | { kind: 'unknown' };

/** A user a viewer may ask the presence of, and whether that user shows it. */
export interface PresenceAudience {
  userId: string;
  visible: boolean;
}
