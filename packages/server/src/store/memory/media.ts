/** MemoryStore's media records (store/media.ts), in maps of their own beside MemoryTables. */
import type { MediaInfo } from '@natter/protocol';
import type { BlobRecord, BlobRef, CreateUploadOutcome, GarbageQuery, NewUpload } from '../media.js';
import { MemoryConstraintError, type MemoryTables } from './tables.js';

interface BlobRow extends BlobRecord {
  claimUntil: number | null;
}

interface RefRow extends BlobRef {
  recalled: boolean;
}

/** The media tables of one MemoryTables (kept apart so the shared tables file stays as it was). */
const perTables = new WeakMap<MemoryTables, { blobs: Map<string, BlobRow>; refs: Map<string, RefRow> }>();

function tablesOf(t: MemoryTables) {
  let m = perTables.get(t);
  if (!m) perTables.set(t, (m = { blobs: new Map(), refs: new Map() }));
  return m;
}

const copy = (b: BlobRow): BlobRecord => ({
  id: b.id,
  ownerId: b.ownerId,
  state: b.state,
  name: b.name,
  declaredType: b.declaredType,
  declaredSize: b.declaredSize,
  received: b.received,
  media: b.media ? structuredClone(b.media) : null,
  createdAt: b.createdAt,
  completedAt: b.completedAt,
  attachedAt: b.attachedAt,
});
const refKey = (blobId: string, messageId: string) => `${blobId}\u0000${messageId}`;

export function createUpload(t: MemoryTables, u: NewUpload, quotaBytes: number): CreateUploadOutcome {
  const { blobs } = tablesOf(t);
  if (!t.users.has(u.ownerId)) throw new MemoryConstraintError(`no such user: ${u.ownerId}`);
  if (blobs.has(u.id)) throw new MemoryConstraintError(`blob id used twice: ${u.id}`);
  let used = 0;
  for (const b of blobs.values()) if (b.ownerId === u.ownerId) used += b.declaredSize;
  if (used + u.declaredSize > quotaBytes) return { kind: 'over_quota', usedBytes: used };
  const row: BlobRow = { ...u, state: 'uploading', received: 0, media: null, completedAt: null, attachedAt: null, claimUntil: null };
  blobs.set(u.id, row);
  return { kind: 'ok', blob: copy(row) };
}

export function getBlob(t: MemoryTables, id: string): BlobRecord | null {
  const b = tablesOf(t).blobs.get(id);
  return b ? copy(b) : null;
}

export function advanceUpload(t: MemoryTables, id: string, from: number, to: number): boolean {
  const b = tablesOf(t).blobs.get(id);
  if (!b || b.state !== 'uploading' || b.received !== from || to > b.declaredSize) return false;
  b.received = to;
  return true;
}

export function completeUpload(t: MemoryTables, id: string, media: MediaInfo, now: number): BlobRecord | null {
  const b = tablesOf(t).blobs.get(id);
  if (!b || b.state !== 'uploading' || b.received !== b.declaredSize || b.claimUntil !== null) return null;
  b.state = 'ready';
  b.media = structuredClone(media);
  b.completedAt = now;
  return copy(b);
}

export function deleteBlob(t: MemoryTables, id: string): void {
  const { blobs, refs } = tablesOf(t);
  blobs.delete(id);
  for (const [k, r] of refs) if (r.blobId === id) refs.delete(k);
}

export function attachBlob(t: MemoryTables, id: string, ownerId: string, now: number): BlobRecord | null {
  const b = tablesOf(t).blobs.get(id);
  if (!b || b.ownerId !== ownerId || b.state !== 'ready' || b.claimUntil !== null) return null;
  b.attachedAt ??= now;
  return copy(b);
}

export function addBlobRef(t: MemoryTables, ref: BlobRef): void {
  const { blobs, refs } = tablesOf(t);
  if (!blobs.has(ref.blobId)) throw new MemoryConstraintError(`no such blob: ${ref.blobId}`);
  const k = refKey(ref.blobId, ref.messageId);
  if (!refs.has(k)) refs.set(k, { ...ref, recalled: false });
}

export function recallBlobRefs(t: MemoryTables, conversationId: string, messageId: string): string[] {
  const out: string[] = [];
  for (const r of tablesOf(t).refs.values()) {
    if (r.conversationId === conversationId && r.messageId === messageId) {
      r.recalled = true;
      out.push(r.blobId);
    }
  }
  return out;
}

export function readableBlob(t: MemoryTables, id: string, userId: string): BlobRecord | null {
  const { blobs, refs } = tablesOf(t);
  const b = blobs.get(id);
  if (!b || b.state !== 'ready') return null;
  const mine = [...refs.values()].filter((r) => r.blobId === id);
  const live = mine.filter((r) => !r.recalled);
  if (b.ownerId === userId && (mine.length === 0 || live.length > 0)) return copy(b);
  for (const r of live) {
    const m = t.conversations.get(r.conversationId)?.members.get(userId);
    if (m && m.state === 'active' && m.joinedSeq <= r.seq) return copy(b);
  }
  return null;
}

export function claimGarbage(t: MemoryTables, q: GarbageQuery): BlobRecord[] {
  const out: BlobRecord[] = [];
  for (const b of tablesOf(t).blobs.values()) {
    if (out.length >= q.limit) break;
    if (b.attachedAt !== null || (b.claimUntil !== null && b.claimUntil >= q.now)) continue;
    const old = b.state === 'ready' ? (b.completedAt ?? 0) < q.readyBefore : b.createdAt < q.uploadingBefore;
    if (!old) continue;
    b.claimUntil = q.leaseUntil;
    out.push(copy(b));
  }
  return out;
}
