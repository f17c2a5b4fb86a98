/**
 * PostgresStore's media records (store/media.ts). The quota check and the insert run under a
 * per-user advisory lock so that two processes creating uploads for one user at once cannot both
 * pass the check; every other write is one conditional UPDATE (row locks order them).
 */
import type { MediaInfo } from '@natter/protocol';
import { blobOf, type BlobRecord, type BlobRef, type BlobRow, type CreateUploadOutcome, type GarbageQuery, type NewUpload } from '../media.js';
import type { PgDb } from './db.js';

/** Schema: PostgreSQL migration 11 (see migrations.ts). */
export const PG_MEDIA_MIGRATION_SQL = `
CREATE TABLE blobs (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL REFERENCES users(id),
  state TEXT NOT NULL CHECK (state IN ('uploading', 'ready')),
  name TEXT,
  declared_type TEXT NOT NULL,
  declared_size BIGINT NOT NULL,
  received BIGINT NOT NULL DEFAULT 0,
  media JSONB,
  created_at BIGINT NOT NULL,
  completed_at BIGINT,
  attached_at BIGINT,
  claim_until BIGINT
);
CREATE INDEX blobs_owner ON blobs(owner_id);
CREATE INDEX blobs_garbage ON blobs(created_at) WHERE attached_at IS NULL;
CREATE TABLE blob_refs (
  blob_id TEXT NOT NULL REFERENCES blobs(id) ON DELETE CASCADE,
  conversation_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  recalled BOOLEAN NOT NULL DEFAULT false,
  PRIMARY KEY (blob_id, message_id)
);
CREATE INDEX blob_refs_message ON blob_refs(conversation_id, message_id);
`;

const COLS = 'id, owner_id, state, name, declared_type, declared_size, received, media, created_at, completed_at, attached_at';
type Row = BlobRow;

export class PgMedia {
  constructor(private readonly db: PgDb) {}

  createUpload(u: NewUpload, quotaBytes: number): Promise<CreateUploadOutcome> {
    return this.db.tx(async (c): Promise<CreateUploadOutcome> => {
      await c.query(`SELECT pg_advisory_xact_lock(hashtext('natter.quota'), hashtext($1))`, [u.ownerId]);
      const used = Number((await c.query<{ used: string }>(`SELECT COALESCE(SUM(declared_size), 0) AS used FROM blobs WHERE owner_id = $1`, [u.ownerId])).rows[0]!.used);
      if (used + u.declaredSize > quotaBytes) return { kind: 'over_quota', usedBytes: used };
      const r = await c.query<Row>(
        `INSERT INTO blobs (id, owner_id, state, name, declared_type, declared_size, created_at) VALUES ($1, $2, 'uploading', $3, $4, $5, $6) RETURNING ${COLS}`,
        [u.id, u.ownerId, u.name, u.declaredType, u.declaredSize, u.createdAt],
      );
      return { kind: 'ok', blob: blobOf(r.rows[0]!) };
    });
  }

  async getBlob(id: string): Promise<BlobRecord | null> {
    const r = await this.db.query<Row>(`SELECT ${COLS} FROM blobs WHERE id = $1`, [id]);
    return r.rows[0] ? blobOf(r.rows[0]) : null;
  }

  async advanceUpload(id: string, from: number, to: number): Promise<boolean> {
    const r = await this.db.query(`UPDATE blobs SET received = $1 WHERE id = $2 AND received = $3 AND state = 'uploading' AND $1 <= declared_size`, [to, id, from]);
    return r.rowCount === 1;
  }

  async completeUpload(id: string, media: MediaInfo, now: number): Promise<BlobRecord | null> {
    const r = await this.db.query<Row>(
      `UPDATE blobs SET state = 'ready', media = $1, completed_at = $2 WHERE id = $3 AND state = 'uploading' AND received = declared_size AND claim_until IS NULL RETURNING ${COLS}`,
      [JSON.stringify(media), now, id],
    );
    return r.rows[0] ? blobOf(r.rows[0]) : null;
  }

  async deleteBlob(id: string): Promise<void> {
    await this.db.query(`DELETE FROM blobs WHERE id = $1`, [id]);
  }

  async attachBlob(id: string, ownerId: string, now: number): Promise<BlobRecord | null> {
    const r = await this.db.query<Row>(
      `UPDATE blobs SET attached_at = COALESCE(attached_at, $1) WHERE id = $2 AND owner_id = $3 AND state = 'ready' AND claim_until IS NULL RETURNING ${COLS}`,
      [now, id, ownerId],
    );
    return r.rows[0] ? blobOf(r.rows[0]) : null;
  }

  async addBlobRef(ref: BlobRef): Promise<void> {
    await this.db.query(`INSERT INTO blob_refs (blob_id, conversation_id, message_id, seq) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [
      ref.blobId,
      ref.conversationId,
      ref.messageId,
      ref.seq,
    ]);
  }

  async recallBlobRefs(conversationId: string, messageId: string): Promise<string[]> {
    const r = await this.db.query<{ blob_id: string }>(`UPDATE blob_refs SET recalled = true WHERE conversation_id = $1 AND message_id = $2 RETURNING blob_id`, [
      conversationId,
      messageId,
    ]);
    return r.rows.map((x) => x.blob_id);
  }

  async readableBlob(id: string, userId: string): Promise<BlobRecord | null> {
    const r = await this.db.query<Row>(
      `SELECT ${COLS} FROM blobs b WHERE b.id = $1 AND b.state = 'ready' AND (
         (b.owner_id = $2 AND (NOT EXISTS (SELECT 1 FROM blob_refs r WHERE r.blob_id = b.id)
                              OR EXISTS (SELECT 1 FROM blob_refs r WHERE r.blob_id = b.id AND NOT r.recalled)))
         OR EXISTS (SELECT 1 FROM blob_refs r JOIN members m ON m.conversation_id = r.conversation_id
                    WHERE r.blob_id = b.id AND NOT r.recalled AND m.user_id = $2 AND m.state = 'active' AND m.joined_seq <= r.seq))`,
      [id, userId],
    );
    return r.rows[0] ? blobOf(r.rows[0]) : null;
  }

  async claimGarbage(q: GarbageQuery): Promise<BlobRecord[]> {
    // SKIP LOCKED: collectors in several processes take disjoint rows instead of queueing.
    const r = await this.db.query<Row>(
      `UPDATE blobs SET claim_until = $1 WHERE id IN (
         SELECT id FROM blobs WHERE attached_at IS NULL AND (claim_until IS NULL OR claim_until < $2)
           AND ((state = 'ready' AND completed_at < $3) OR (state = 'uploading' AND created_at < $4))
         LIMIT $5 FOR UPDATE SKIP LOCKED)
       AND attached_at IS NULL AND (claim_until IS NULL OR claim_until < $2) RETURNING ${COLS}`,
      [q.leaseUntil, q.now, q.readyBefore, q.uploadingBefore, q.limit],
    );
    return r.rows.map(blobOf);
  }
}
