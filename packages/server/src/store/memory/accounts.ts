/**
 * The MemoryStore's accounts: users and devices (sessions), with the same outcomes as the SQL
 * stores — usernames unique case-insensitively, devices listed newest first, refresh-token
 * rotation with reuse detection. Each function runs synchronously to completion, so each is
 * atomic; it checks everything that could refuse the write before it writes.
 */
import type { DeviceRecord, NewDevice, NewUser, RotateOutcome, UserRecord } from '../store.js';
import { REMEMBERED_REFRESH_HASHES, toDevice, toUser } from '../rows.js';
import { MemoryConstraintError, MemoryTables, type MemoryDeviceRow } from './tables.js';

// --- users ------------------------------------------------------------------------------------

export function createUser(t: MemoryTables, user: NewUser): UserRecord | null {
  const key = user.username.toLowerCase();
  if (t.usernames.has(key)) return null;
  if (t.users.has(user.id)) throw new MemoryConstraintError(`user id ${user.id} exists`);
  const row = {
    id: user.id,
    username: user.username,
    password_hash: user.passwordHash,
    display_name: user.displayName,
    avatar_url: user.avatarUrl,
    created_at: user.createdAt,
  };
  t.users.set(user.id, row);
  t.usernames.set(key, user.id);
  return toUser(row);
}

export function getUser(t: MemoryTables, id: string): UserRecord | null {
  const row = t.users.get(id);
  return row ? toUser(row) : null;
}

export function getUserByUsername(t: MemoryTables, username: string): UserRecord | null {
  const id = t.usernames.get(username.toLowerCase());
  return id === undefined ? null : getUser(t, id);
}

export function updateProfile(
  t: MemoryTables,
  id: string,
  patch: { displayName?: string | null; avatarUrl?: string | null },
): UserRecord | null {
  const row = t.users.get(id);
  if (!row) return null;
  const next = {
    ...row,
    display_name: patch.displayName !== undefined ? patch.displayName : row.display_name,
    avatar_url: patch.avatarUrl !== undefined ? patch.avatarUrl : row.avatar_url,
  };
  t.users.set(id, next);
  return toUser(next);
}

export function setPasswordHash(t: MemoryTables, id: string, hash: string): void {
  const row = t.users.get(id);
  if (row) t.users.set(id, { ...row, password_hash: hash });
}

// --- devices ----------------------------------------------------------------------------------

export function createDevice(t: MemoryTables, d: NewDevice): DeviceRecord {
  if (t.devices.has(d.id)) throw new MemoryConstraintError(`device id ${d.id} exists`);
  if (!t.users.has(d.userId)) throw new MemoryConstraintError(`device ${d.id} of unknown user ${d.userId}`);
  const row: MemoryDeviceRow = {
    id: d.id,
    user_id: d.userId,
    name: d.name,
    refresh_hash: d.refreshHash,
    refresh_expires_at: d.refreshExpiresAt,
    created_at: d.createdAt,
    last_seen_at: d.createdAt,
    revoked_at: null,
    previous_refresh_hashes: [],
  };
  t.devices.set(d.id, row);
  MemoryTables.index(t.devicesByUser, d.userId, d.id);
  return toDevice(row);
}

export function getDevice(t: MemoryTables, id: string): DeviceRecord | null {
  const row = t.devices.get(id);
  return row ? toDevice(row) : null;
}

/** The user's live device rows, newest first (ties by id), as the SQL stores order them. */
function liveDevices(t: MemoryTables, userId: string): MemoryDeviceRow[] {
  const rows: MemoryDeviceRow[] = [];
  for (const id of t.devicesByUser.get(userId) ?? []) {
    const row = t.devices.get(id);
    if (row && row.revoked_at === null) rows.push(row);
  }
  return rows.sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function listDevices(t: MemoryTables, userId: string): DeviceRecord[] {
  return liveDevices(t, userId).map(toDevice);
}

/**
 * Refresh rotation. Until the shared rule lands (store/rules/), this is the SQL stores' rule:
 * a revoked device stays revoked; a hash the device never had changes nothing; one of its
 * remembered earlier hashes is a replay and revokes it; the current hash rotates unless expired.
 */
export function rotateRefresh(
  t: MemoryTables,
  deviceId: string,
  presentedHash: string,
  next: { hash: string; expiresAt: number },
  now: number,
): RotateOutcome {
  const row = t.devices.get(deviceId);
  if (!row) return { kind: 'unknown' };
  if (row.revoked_at !== null) return { kind: 'revoked' };
  if (row.refresh_hash !== presentedHash) {
    if (!row.previous_refresh_hashes.includes(presentedHash)) return { kind: 'unknown' };
    const revoked = { ...row, revoked_at: now };
    t.devices.set(deviceId, revoked);
    return { kind: 'reused', device: toDevice(revoked) };
  }
  if (row.refresh_expires_at <= now) return { kind: 'expired' };
  const rotated: MemoryDeviceRow = {
    ...row,
    refresh_hash: next.hash,
    refresh_expires_at: next.expiresAt,
    last_seen_at: now,
    previous_refresh_hashes: [presentedHash, ...row.previous_refresh_hashes].slice(0, REMEMBERED_REFRESH_HASHES),
  };
  t.devices.set(deviceId, rotated);
  return { kind: 'rotated', device: toDevice(rotated) };
}

export function revokeDevice(t: MemoryTables, userId: string, deviceId: string, now: number): boolean {
  const row = t.devices.get(deviceId);
  if (!row || row.user_id !== userId || row.revoked_at !== null) return false;
  t.devices.set(deviceId, { ...row, revoked_at: now });
  return true;
}

export function revokeOtherDevices(t: MemoryTables, userId: string, keep: string | null, now: number): string[] {
  const ids = liveDevices(t, userId)
    .map((d) => d.id)
    .filter((id) => id !== keep);
  for (const id of ids) revokeDevice(t, userId, id, now);
  return ids;
}
