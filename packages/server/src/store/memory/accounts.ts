/**
 * The MemoryStore's accounts: users and devices (sessions), with the same outcomes as the SQL
 * stores — usernames unique case-insensitively, devices listed newest first, refresh-token
 * rotation with reuse detection (decided by the shared rule, ../rules/refresh.ts). Each function
 * runs synchronously to completion, so each is atomic; it checks whatever could refuse the
 * write before it writes.
 */
import type { DeviceRecord, NewDevice, NewUser, RotateOutcome, UserRecord } from '../store.js';
import { decideRotation } from '../rules/refresh.js';
import { usernameKey } from '../rules/usernames.js';
import { deviceOf, MemoryConstraintError, MemoryTables, type MemoryDeviceRow } from './tables.js';

// --- users ------------------------------------------------------------------------------------

export function createUser(t: MemoryTables, user: NewUser): UserRecord | null {
  const key = usernameKey(user.username);
  if (t.usernames.has(key)) return null;
  if (t.users.has(user.id)) throw new MemoryConstraintError(`user id ${user.id} exists`);
  const row: UserRecord = {
    id: user.id,
    username: user.username,
    passwordHash: user.passwordHash,
    displayName: user.displayName,
    avatarUrl: user.avatarUrl,
    createdAt: user.createdAt,
    disabledAt: null,
  };
  t.users.set(user.id, row);
  t.usernames.set(key, user.id);
  return { ...row };
}

export function getUser(t: MemoryTables, id: string): UserRecord | null {
  const row = t.users.get(id);
  return row ? { ...row } : null;
}

export function getUserByUsername(t: MemoryTables, username: string): UserRecord | null {
  const id = t.usernames.get(usernameKey(username));
  return id === undefined ? null : getUser(t, id);
}

export function updateProfile(
  t: MemoryTables,
  id: string,
  patch: { displayName?: string | null; avatarUrl?: string | null },
): UserRecord | null {
  const row = t.users.get(id);
  if (!row) return null;
  if (patch.displayName !== undefined) row.displayName = patch.displayName;
  if (patch.avatarUrl !== undefined) row.avatarUrl = patch.avatarUrl;
  return { ...row };
}

export function setPasswordHash(t: MemoryTables, id: string, hash: string): void {
  const row = t.users.get(id);
  if (row) row.passwordHash = hash;
}

// --- devices ----------------------------------------------------------------------------------

export function createDevice(t: MemoryTables, d: NewDevice): DeviceRecord {
  if (t.devices.has(d.id)) throw new MemoryConstraintError(`device id ${d.id} exists`);
  if (!t.users.has(d.userId)) throw new MemoryConstraintError(`device ${d.id} of unknown user ${d.userId}`);
  const row: MemoryDeviceRow = {
    id: d.id,
    userId: d.userId,
    name: d.name,
    createdAt: d.createdAt,
    lastSeenAt: d.createdAt,
    refreshHash: d.refreshHash,
    refreshExpiresAt: d.refreshExpiresAt,
    revokedAt: null,
    previousHashes: [],
  };
  t.devices.set(d.id, row);
  MemoryTables.index(t.devicesByUser, d.userId, d.id);
  return deviceOf(row);
}

export function getDevice(t: MemoryTables, id: string): DeviceRecord | null {
  const row = t.devices.get(id);
  return row ? deviceOf(row) : null;
}

/** The user's live device rows, newest first (ties by id), as the SQL stores order them. */
function liveDevices(t: MemoryTables, userId: string): MemoryDeviceRow[] {
  const rows: MemoryDeviceRow[] = [];
  for (const id of t.devicesByUser.get(userId) ?? []) {
    const row = t.devices.get(id)!;
    if (row.revokedAt === null) rows.push(row);
  }
  return rows.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function listDevices(t: MemoryTables, userId: string): DeviceRecord[] {
  return liveDevices(t, userId).map(deviceOf);
}

export function rotateRefresh(
  t: MemoryTables,
  deviceId: string,
  presentedHash: string,
  next: { hash: string; expiresAt: number },
  now: number,
): RotateOutcome {
  const row = t.devices.get(deviceId);
  const decision = decideRotation(row, presentedHash, now);
  switch (decision.kind) {
    case 'unknown':
    case 'expired':
    case 'revoked':
      return { kind: decision.kind };
    case 'reused':
      row!.revokedAt = now;
      return { kind: 'reused', device: deviceOf(row!) };
    case 'rotate':
      row!.refreshHash = next.hash;
      row!.refreshExpiresAt = next.expiresAt;
      row!.lastSeenAt = now;
      row!.previousHashes = decision.remembered;
      return { kind: 'rotated', device: deviceOf(row!) };
  }
}

export function revokeDevice(t: MemoryTables, userId: string, deviceId: string, now: number): boolean {
  const row = t.devices.get(deviceId);
  if (row?.userId !== userId || row.revokedAt !== null) return false;
  row.revokedAt = now;
  return true;
}

export function revokeOtherDevices(t: MemoryTables, userId: string, keep: string | null, now: number): string[] {
  const rows = liveDevices(t, userId).filter((d) => d.id !== keep);
  for (const row of rows) row.revokedAt = now;
  return rows.map((d) => d.id);
}
