/**
 * Refresh-token rotation, written once for every Store: a device holds one live refresh hash
 * and remembers its recent earlier ones, so that a replayed old token (refresh token reuse:
 * the token was stolen and both thief and owner use it) revokes the device. Pure: the store
 * loads the device, asks `decideRotation`, and applies what it says in one transaction.
 */

/** Earlier refresh hashes kept per device: a replay of any of them is detected as reuse. */
export const REMEMBERED_REFRESH_HASHES = 20;

/** A device's refresh state as every store keeps it. */
export interface RefreshRecord {
  refreshHash: string;
  refreshExpiresAt: number;
  revokedAt: number | null;
  /** Earlier hashes, newest first, at most REMEMBERED_REFRESH_HASHES. */
  previousHashes: readonly string[];
}

export type RotationDecision =
  /** Swap in the next hash and remember these earlier ones (newest first). */
  | { kind: 'rotate'; remembered: string[] }
  /** An earlier hash of this device was replayed: revoke the device (at `now`). */
  | { kind: 'reused' }
  | { kind: 'expired' }
  | { kind: 'revoked' }
  /** No such device, or a hash it never had (or forgot): change nothing. */
  | { kind: 'unknown' };

/**
 * Decides what presenting `presentedHash` for `device` (undefined: no such device) does at
 * `now`. A revoked device stays revoked whatever is presented; reuse is detected even after the
 * current token has expired (the replay still means theft).
 *
 * @example
 * decideRotation({ refreshHash: 'h2', refreshExpiresAt: 10, revokedAt: null, previousHashes: ['h1'] }, 'h1', 5)
 * // → { kind: 'reused' }
 */
export function decideRotation(device: RefreshRecord | undefined, presentedHash: string, now: number): RotationDecision {
  if (!device) return { kind: 'unknown' };
  if (device.revokedAt !== null) return { kind: 'revoked' };
  if (device.refreshHash !== presentedHash) {
    return device.previousHashes.includes(presentedHash) ? { kind: 'reused' } : { kind: 'unknown' };
  }
  if (device.refreshExpiresAt <= now) return { kind: 'expired' };
  return { kind: 'rotate', remembered: [presentedHash, ...device.previousHashes].slice(0, REMEMBERED_REFRESH_HASHES) };
}
