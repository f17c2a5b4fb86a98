/** SqliteStore's media records (store/media.ts): uploads, blob references and garbage claims. */
import type Database from 'better-sqlite3';
import type { MediaInfo } from '@natter/protocol';
import { blobOf, type BlobRecord, type BlobRef, type BlobRow, type CreateUploadOutcome, type GarbageQuery, type NewUpload } from '../media.js';

/** Schema: SQLite migration 10 (see migrations.ts). */
export const MEDIA_MIGRATION_SQL = `
CREATE TABLE blobs (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL REFERENCES users(id),
  state TEXT NOT NULL CHECK (state IN ('uploading', 'ready')),
  name TEXT,
  declared_type TEXT NOT NULL,
  declared_size INTEGER NOT NULL,
  received INTEGER NOT NULL DEFAULT 0,
  media TEXT,
  created_at INTEGER NOT NULL,
  completed_at INTEGER,
  attached_at INTEGER,
  claim_until INTEGER
) STRICT;
CREATE INDEX blobs_owner ON blobs(owner_id);
CREATE INDEX blobs_garbage ON blobs(created_at) WHERE attached_at IS NULL;
CREATE TABLE blob_refs (
  blob_id TEXT NOT NULL REFERENCES blobs(id) ON DELETE CASCADE,
  conversation_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  recalled INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (blob_id, message_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX blob_refs_message ON blob_refs(conversation_id, message_id);
`;

const COLS = 'id, owner_id, state, name, declared_type, declared_size, received, media, created_at, completed_at, attached_at';

export class SqliteMedia {
  constructor(private readonly db: Database.Database) {}

  async createUpload(u: NewUpload, quotaBytes: number): Promise<CreateUploadOutcome> {
    return this.db
      .transaction((): CreateUploadOutcome => {
        const used = this.db.prepare<[string], { used: number }>(`SELECT COALESCE(SUM(declared_size), 0) AS used FROM blobs WHERE owner_id = ?`).get(u.ownerId)!.used;
        if (used + u.declaredSize > quotaBytes) return { kind: 'over_quota', usedBytes: used };
        const row = this.db
          .prepare<unknown[], BlobRow>(`INSERT INTO blobs (id, owner_id, state, name, declared_type, declared_size, created_at) VALUES (?, ?, 'uploading', ?, ?, ?, ?) RETURNING ${COLS}`)
          .get(u.id, u.ownerId, u.name, u.declaredType, u.declaredSize, u.createdAt)!;
        return { kind: 'ok', blob: blobOf(row) };
      })
      .immediate();
  }

  async getBlob(id: string): Promise<BlobRecord | null> {
    const row = this.db.prepare<[string], BlobRow>(`SELECT ${COLS} FROM blobs WHERE id = ?`).get(id);
    return row ? blobOf(row) : null;
  }

  async advanceUpload(id: string, from: number, to: number): Promise<boolean> {
    const r = this.db.prepare(`UPDATE blobs SET received = ? WHERE id = ? AND received = ? AND state = 'uploading' AND ? <= declared_size`).run(to, id, from, to);
    return r.changes === 1;
  }

  async completeUpload(id: string, media: MediaInfo, now: number): Promise<BlobRecord | null> {
    const row = this.db
      .prepare<unknown[], BlobRow>(
        `UPDATE blobs SET state = 'ready', media = ?, completed_at = ? WHERE id = ? AND state = 'uploading' AND received = declared_size AND claim_until IS NULL RETURNING ${COLS}`,
      )
      .get(JSON.stringify(media), now, id);
    return row ? blobOf(row) : null;
  }

  async deleteBlob(id: string): Promise<void> {
    this.db.prepare(`DELETE FROM blobs WHERE id = ?`).run(id);
  }

  async attachBlob(id: string, ownerId: string, now: number): Promise<BlobRecord | null> {
    const row = this.db
      .prepare<unknown[], BlobRow>(
        `UPDATE blobs SET attached_at = COALESCE(attached_at, ?) WHERE id = ? AND owner_id = ? AND state = 'ready' AND claim_until IS NULL RETURNING ${COLS}`,
      )
      .get(now, id, ownerId);
    return row ? blobOf(row) : null;
  }

  async addBlobRef(ref: BlobRef): Promise<void> {
    this.db
      .prepare(`INSERT INTO blob_refs (blob_id, conversation_id, message_id, seq) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`)
      .run(ref.blobId, ref.conversationId, ref.messageId, ref.seq);
  }

  async recallBlobRefs(conversationId: string, messageId: string): Promise<string[]> {
    return this.db
      .prepare<[string, string], { blob_id: string }>(`UPDATE blob_refs SET recalled = 1 WHERE conversation_id = ? AND message_id = ? RETURNING blob_id`)
      .all(conversationId, messageId)
      .map((r) => r.blob_id);
  }

  async readableBlob(id: string, userId: string): Promise<BlobRecord | null> {
    const row = this.db
      .prepare<unknown[], BlobRow>(
        `SELECT ${COLS} FROM blobs b WHERE b.id = ? AND b.state = 'ready' AND (
           (b.owner_id = ? AND (NOT EXISTS (SELECT 1 FROM blob_refs r WHERE r.blob_id = b.id)
                                OR EXISTS (SELECT 1 FROM blob_refs r WHERE r.blob_id = b.id AND r.recalled = 0)))
           OR EXISTS (SELECT 1 FROM blob_refs r JOIN members m ON m.conversation_id = r.conversation_id
                      WHERE r.blob_id = b.id AND r.recalled = 0 AND m.user_id = ? AND m.state = 'active' AND m.joined_seq <= r.seq))`,
      )
      .get(id, userId, userId);
    return row ? blobOf(row) : null;
  }

  async claimGarbage(q: GarbageQuery): Promise<BlobRecord[]> {
    return this.db
      .prepare<unknown[], BlobRow>(
        `UPDATE blobs SET claim_until = ? WHERE id IN (
           SELECT id FROM blobs WHERE attached_at IS NULL AND (claim_until IS NULL OR claim_until < ?)
             AND ((state = 'ready' AND completed_at < ?) OR (state = 'uploading' AND created_at < ?))
           LIMIT ?) RETURNING ${COLS}`,
      )
      .all(q.leaseUntil, q.now, q.readyBefore, q.uploadingBefore, q.limit)
      .map(blobOf);
  }
}
