/**
 * What the Store keeps about uploaded blobs (the bytes themselves live in a BlobStore, see
 * media/blob-store.ts): who uploaded what, how far an upload has got, the derived metadata, which
 * messages reference a blob, and the garbage collector's claims. Every implementation (SQLite,
 * PostgreSQL, memory) passes @natter/testkit's contracts/media-store.ts.
 *
 * How the pieces stay safe with several processes:
 * - Chunks advance an upload with a compare-and-set on `received` (advanceUpload), so two
 *   requests writing the same upload cannot both win.
 * - A send attaches a blob (attachBlob) only if no collector has claimed it, and a collector
 *   claims (claimGarbage) only blobs nobody attached: both are one conditional UPDATE each, so
 *   a blob is either sent or deleted, never both.
 */
import type { MediaInfo } from '@natter/protocol';

export interface BlobRecord {
  id: string;
  ownerId: string;
  state: 'uploading' | 'ready';
  /** Sanitised display name, or null. Never part of any path. */
  name: string | null;
  /** The type announced at creation (the bytes must match it unless it is application/octet-stream). */
  declaredType: string;
  /** Bytes announced at creation; what the quota counts while uploading. */
  declaredSize: number;
  /** Bytes received so far. */
  received: number;
  /** Set when ready. */
  media: MediaInfo | null;
  createdAt: number;
  completedAt: number | null;
  /** When a message first referenced it: from then on the collector leaves it alone. */
  attachedAt: number | null;
}

export interface NewUpload {
  id: string;
  ownerId: string;
  name: string | null;
  declaredType: string;
  declaredSize: number;
  createdAt: number;
}

export type CreateUploadOutcome = { kind: 'ok'; blob: BlobRecord } | { kind: 'over_quota'; usedBytes: number };

/** A message that carries a blob. */
export interface BlobRef {
  blobId: string;
  conversationId: string;
  messageId: string;
  seq: number;
}

export interface GarbageQuery {
  now: number;
  /** Ready blobs finished before this and never attached are garbage. */
  readyBefore: number;
  /** Uploads started before this and never finished are garbage. */
  uploadingBefore: number;
  /** The claim holds until then; a collector that dies leaves it to expire and be claimed again. */
  leaseUntil: number;
  limit: number;
}

export interface MediaRecords {
  /**
   * Creates an upload if the owner's blobs (counted at their announced size, finished or not)
   * plus this one stay within `quotaBytes`; checked and written in one transaction.
   */
  createUpload(upload: NewUpload, quotaBytes: number): Promise<CreateUploadOutcome>;
  getBlob(id: string): Promise<BlobRecord | null>;
  /** Moves `received` from `from` to `to` if it still is `from` and the upload is unfinished. */
  advanceUpload(id: string, from: number, to: number): Promise<boolean>;
  /** Marks a fully received upload ready with its metadata; null if it is not (any more) uploading. */
  completeUpload(id: string, media: MediaInfo, now: number): Promise<BlobRecord | null>;
  /** Forgets a blob and its references (after its bytes were deleted, or it was refused). */
  deleteBlob(id: string): Promise<void>;
  /**
   * For a send: the blob if it is `ownerId`'s, ready and not claimed by a collector, marking it
   * attached (once; later calls keep the first time). Null otherwise.
   */
  attachBlob(id: string, ownerId: string, now: number): Promise<BlobRecord | null>;
  /** Records that a stored message carries the blob. Idempotent. */
  addBlobRef(ref: BlobRef): Promise<void>;
  /**
   * The recall hook: the message's references stop granting access, and a blob whose every
   * reference is recalled is served to nobody, its uploader included. Returns the blob ids it
   * touched. Called by message recall (issue 22), never by a client directly.
   */
  recallBlobRefs(conversationId: string, messageId: string): Promise<string[]>;
  /**
   * The blob if `userId` may download it: it is ready, and either they uploaded it and not every
   * message carrying it was recalled, or they are an active member of a conversation where a
   * message carrying it (not recalled) sits at or after the seq they joined at.
   */
  readableBlob(id: string, userId: string): Promise<BlobRecord | null>;
  /** Claims up to `limit` garbage blobs for deletion (see GarbageQuery) and returns them. */
  claimGarbage(q: GarbageQuery): Promise<BlobRecord[]>;
}

/** A `blobs` row as the SQL stores read it (PostgreSQL's BIGINTs come as strings, JSONB as an object). */
export interface BlobRow {
  id: string;
  owner_id: string;
  state: 'uploading' | 'ready';
  name: string | null;
  declared_type: string;
  declared_size: number | string;
  received: number | string;
  media: string | MediaInfo | null;
  created_at: number | string;
  completed_at: number | string | null;
  attached_at: number | string | null;
}

/** The BlobRecord of a row. */
export function blobOf(r: BlobRow): BlobRecord {
  return {
    id: r.id,
    ownerId: r.owner_id,
    state: r.state,
    name: r.name,
    declaredType: r.declared_type,
    declaredSize: Number(r.declared_size),
    received: Number(r.received),
    media: r.media === null ? null : typeof r.media === 'string' ? (JSON.parse(r.media) as MediaInfo) : (r.media as MediaInfo),
    createdAt: Number(r.created_at),
    completedAt: r.completed_at === null ? null : Number(r.completed_at),
    attachedAt: r.attached_at === null ? null : Number(r.attached_at),
  };
}
