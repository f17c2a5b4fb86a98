/**
 * The MemoryStore's administration (issue 20): listing and disabling users, registration invites,
 * with the same outcomes as the SQL stores. Each function runs synchronously to completion.
 */
import type { NewInvite, UserRecord } from '../store.js';
import type { MemoryTables } from './tables.js';

export interface MemoryInviteRow {
  createdAt: number;
  expiresAt: number | null;
  usedAt: number | null;
}

/** Invites live beside the tables (keyed by them) so that tables.ts needs no field of its own. */
const invitesOf = new WeakMap<MemoryTables, Map<string, MemoryInviteRow>>();
function invites(t: MemoryTables): Map<string, MemoryInviteRow> {
  let m = invitesOf.get(t);
  if (!m) invitesOf.set(t, (m = new Map()));
  return m;
}

export function listUsers(t: MemoryTables, after: string | null, limit: number): UserRecord[] {
  const ids = [...t.users.keys()].filter((id) => after === null || id > after).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return ids.slice(0, limit).map((id) => ({ ...t.users.get(id)! }));
}

export function setUserDisabled(t: MemoryTables, id: string, disabledAt: number | null): UserRecord | null {
  const user = t.users.get(id);
  if (!user) return null;
  user.disabledAt = disabledAt;
  if (disabledAt !== null) {
    for (const deviceId of t.devicesByUser.get(id) ?? []) {
      const d = t.devices.get(deviceId);
      if (d && d.revokedAt === null) d.revokedAt = disabledAt;
    }
  }
  return { ...user };
}

export function createInvite(t: MemoryTables, invite: NewInvite): void {
  if (invites(t).has(invite.codeHash)) throw new Error('invite exists');
  invites(t).set(invite.codeHash, { createdAt: invite.createdAt, expiresAt: invite.expiresAt, usedAt: null });
}

export function useInvite(t: MemoryTables, codeHash: string, now: number): boolean {
  const row = invites(t).get(codeHash);
  if (!row || row.usedAt !== null || (row.expiresAt !== null && row.expiresAt <= now)) return false;
  row.usedAt = now;
  return true;
}

export function restoreInvite(t: MemoryTables, codeHash: string): void {
  const row = invites(t).get(codeHash);
  if (row) row.usedAt = null;
}
