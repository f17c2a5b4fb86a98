/**
 * Uploads, media sends and downloads (docs/media.md).
 *
 * Upload protocol (resumable, chunked, our own — simpler than tus and enough for it):
 * `POST /v1/uploads {size, type, name?}` creates an upload after the size and quota checks;
 * `PATCH /v1/uploads/:id` with `Upload-Offset: n` and `Content-Length` streams one chunk, which
 * is stored as its own object (`uploads/<id>/<offset>`) and only then counted; a chunk cut short
 * is thrown away whole, and the client resumes from `GET /v1/uploads/:id`'s offset. The first
 * chunk's first bytes are sniffed before anything is written. When the last byte is in, the
 * parts are streamed in order through the type check into `blobs/<id>` (images are decoded,
 * stripped and re-encoded, with a thumbnail in `thumbs/<id>`), and the upload becomes `ready`.
 * Nothing is ever held whole in memory except an image (bounded by MEDIA_MAX_IMAGE_BYTES).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  MESSAGE_TYPE_KINDS,
  NatterError,
  type MediaBody,
  type MediaInfo,
  type MediaKind,
  type MediaMessageType,
  type UploadInfo,
} from '@natter/protocol';
import type { Clock } from '../core/clock.js';
import type { MediaHook } from '../core/media-hook.js';
import type { BlobRecord, Store } from '../store/store.js';
import { BlobSizeError, type BlobStore, type ByteRange } from './blob-store.js';
import { checkPixelsEarly, durationOf, kindOf, processImage, sniff, sniffGate, UNKNOWN_TYPE } from './inspect.js';

export interface MediaLimits {
  /** Largest file per kind of content, in bytes. */
  maxBytes: Record<MediaKind, number>;
  /** Bytes of uploads (finished or not, at their announced size) one user may hold. */
  quotaBytes: number;
  /** Most pixels (width × height) an image may have. */
  maxPixels: number;
  /** Largest chunk one PATCH may carry. */
  maxChunkBytes: number;
  /** Types (sniffed) that may be uploaded; `application/octet-stream` admits content of no known type. */
  allowedTypes: ReadonlySet<string>;
  /** A finished upload no message carries is deleted after this. */
  gcAfterMs: number;
  /** An unfinished upload is deleted this long after it was created. */
  uploadTtlMs: number;
  /** How long a signed download URL works. */
  urlTtlMs: number;
}

const MAX_NAME = 255;
const MAX_CAPTION = 4000;
const GC_BATCH = 100;
const GC_LEASE_MS = 10 * 60_000;

const notFound = () => new NatterError('not_found', 'no such upload or media');
const partKey = (id: string, offset: number) => `uploads/${id}/${String(offset).padStart(16, '0')}`;
export const blobKey = (id: string) => `blobs/${id}`;
export const thumbKey = (id: string) => `thumbs/${id}`;

/** A file name for display only: refused when it holds path separators, `..` or control characters. */
export function checkName(name: unknown): string | null {
  if (name === undefined || name === null || name === '') return null;
  if (typeof name !== 'string' || name.length > MAX_NAME) throw new NatterError('invalid_request', `name: a string of at most ${MAX_NAME} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(name)) throw new NatterError('invalid_request', 'name: control characters are not allowed');
  if (/[/\\]/.test(name) || name === '.' || name === '..' || name.trim() === '') throw new NatterError('invalid_request', 'name: a file name, not a path');
  return name;
}

export function uploadInfo(b: BlobRecord): UploadInfo {
  return { id: b.id, state: b.state, size: b.declaredSize, offset: b.received, name: b.name, ...(b.media && { media: b.media }) };
}

export interface Download {
  blob: BlobRecord;
  /** What is served: the blob or its thumbnail. */
  mime: string;
  size: number;
  range: ByteRange | null;
  body: Readable;
}

export class MediaService implements MediaHook {
  private gcTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Store,
    readonly blobs: BlobStore,
    private readonly clock: Clock,
    readonly limits: MediaLimits,
    /** Signs download URLs (the server's signing secret). */
    private readonly secret: string,
  ) {}

  private maxOverall(): number {
    return Math.max(...Object.values(this.limits.maxBytes));
  }

  private checkType(mime: string, size: number): MediaKind {
    if (!this.limits.allowedTypes.has(mime)) throw new NatterError('unsupported_media_type', `files of type ${mime} are not allowed`, { type: mime });
    const kind = kindOf(mime);
    const max = this.limits.maxBytes[kind];
    if (size > max) throw new NatterError('too_large', `${kind} files may have at most ${max} bytes`, { maxBytes: max });
    return kind;
  }

  // --- upload ---------------------------------------------------------------------------------

  async createUpload(userId: string, req: { size: number; type: string; name?: string | null | undefined }): Promise<UploadInfo> {
    const name = checkName(req.name);
    if (!Number.isSafeInteger(req.size) || req.size < 1) throw new NatterError('invalid_request', 'size: a whole number of bytes, at least 1');
    const declared = req.type.toLowerCase().replace('image/jpg', 'image/jpeg');
    if (declared !== UNKNOWN_TYPE) this.checkType(declared, req.size);
    else if (req.size > this.maxOverall()) throw new NatterError('too_large', `files may have at most ${this.maxOverall()} bytes`, { maxBytes: this.maxOverall() });
    const id = `b${randomBytes(12).toString('base64url')}`;
    const r = await this.store.createUpload(
      { id, ownerId: userId, name, declaredType: declared, declaredSize: req.size, createdAt: this.clock.now() },
      this.limits.quotaBytes,
    );
    if (r.kind === 'over_quota') {
      throw new NatterError('quota_exceeded', `this upload would pass your storage quota of ${this.limits.quotaBytes} bytes`, {
        quotaBytes: this.limits.quotaBytes,
        usedBytes: r.usedBytes,
      });
    }
    return uploadInfo(r.blob);
  }

  async getUpload(userId: string, id: string): Promise<UploadInfo> {
    const b = await this.store.getBlob(id);
    if (!b || b.ownerId !== userId) throw notFound();
    return uploadInfo(b);
  }

  async cancelUpload(userId: string, id: string): Promise<void> {
    const b = await this.store.getBlob(id);
    if (!b || b.ownerId !== userId) throw notFound();
    if (b.attachedAt !== null) throw new NatterError('forbidden', 'a blob sent in a message is kept');
    await this.deleteAll(b.id);
  }

  /** Checks the first bytes of an upload against what it announced and what is allowed. */
  private async checkHead(b: BlobRecord, head: Buffer): Promise<void> {
    const mime = await sniff(head);
    const announced = b.declaredType;
    const size = b.declaredSize;
    if (announced !== UNKNOWN_TYPE && announced !== mime) {
      throw new NatterError('unsupported_media_type', `the bytes are ${mime}, not the ${announced} announced`, { type: mime, announced });
    }
    if (this.checkType(mime, size) === 'image') await checkPixelsEarly(head, this.limits.maxPixels);
  }

  /** Streams one chunk at `offset`; `length` is its Content-Length. Resolves with the upload after it. */
  async writeChunk(userId: string, id: string, offset: number, length: number, body: Readable): Promise<UploadInfo> {
    const b = await this.store.getBlob(id);
    if (!b || b.ownerId !== userId) throw notFound();
    if (b.state !== 'uploading') throw new NatterError('invalid_request', 'the upload is already finished');
    if (offset !== b.received) throw new NatterError('upload_incomplete', `the next chunk starts at ${b.received}`, { offset: b.received });
    if (length < 1 || length > this.limits.maxChunkBytes) {
      throw new NatterError('too_large', `a chunk carries 1 to ${this.limits.maxChunkBytes} bytes`, { maxChunkBytes: this.limits.maxChunkBytes });
    }
    if (offset + length > b.declaredSize) {
      throw new NatterError('too_large', `the chunk goes past the ${b.declaredSize} bytes announced`, { size: b.declaredSize });
    }
    const key = partKey(id, offset);
    const input = offset === 0 ? body.pipe(sniffGate((head) => this.checkHead(b, head))) : body;
    if (input !== body) {
      body.on('error', (err) => input.destroy(err));
      // Its failure reaches us as put's rejection; a second report must not go unheard.
      input.on('error', () => {});
    }
    try {
      await this.blobs.put(key, input, length);
    } catch (err) {
      body.resume();
      // Some S3-compatible servers keep what arrived of an aborted PUT: the part goes, whole.
      await this.blobs.delete(key).catch(() => {});
      if (err instanceof NatterError) {
        await this.deleteAll(id);
        throw err;
      }
      if (err instanceof BlobSizeError) throw new NatterError('upload_incomplete', `the chunk was cut short: resume at ${offset}`, { offset });
      throw err;
    }
    if (!(await this.store.advanceUpload(id, offset, offset + length))) {
      // Another request wrote this offset first: its part stands (the same key), ours is its twin.
      const now = await this.store.getBlob(id);
      throw new NatterError('upload_incomplete', 'another request moved the upload on', { offset: now?.received ?? 0 });
    }
    if (offset + length < b.declaredSize) return uploadInfo({ ...b, received: offset + length });
    return uploadInfo(await this.finish(b));
  }

  /** All bytes are in: parts to blob, checked and described, then `ready`. */
  private async finish(b: BlobRecord): Promise<BlobRecord> {
    const parts = await this.blobs.list(`uploads/${b.id}/`);
    try {
      const head = await this.headOf(parts);
      const mime = await sniff(head);
      const kind = this.checkType(mime, b.declaredSize);
      let media: MediaInfo;
      if (kind === 'image') {
        const img = await processImage(await this.readAll(parts, b.declaredSize), mime, this.limits.maxPixels);
        await this.blobs.put(blobKey(b.id), Readable.from([img.data]), img.data.length);
        await this.blobs.put(thumbKey(b.id), Readable.from([img.thumbnail]), img.thumbnail.length);
        media = img.info;
      } else {
        await this.blobs.put(blobKey(b.id), this.concat(parts), b.declaredSize);
        media = { mime, kind, size: b.declaredSize };
        if (kind === 'audio' || kind === 'video') {
          const d = await durationOf(await this.blobs.get(blobKey(b.id)), mime, b.declaredSize);
          if (d !== undefined) media.durationMs = d;
        }
      }
      const done = await this.store.completeUpload(b.id, media, this.clock.now());
      if (!done) throw notFound();
      for (const p of parts) await this.blobs.delete(p);
      return done;
    } catch (err) {
      await this.deleteAll(b.id);
      throw err;
    }
  }

  private async headOf(parts: string[]): Promise<Buffer> {
    const first = parts[0];
    if (!first) throw new NatterError('upload_incomplete', 'no bytes were stored', { offset: 0 });
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of await this.blobs.get(first, { start: 0, end: 4099 })) {
      chunks.push(c as Buffer);
      n += (c as Buffer).length;
      if (n >= 4100) break;
    }
    return Buffer.concat(chunks);
  }

  private async readAll(parts: string[], size: number): Promise<Buffer> {
    const out = Buffer.allocUnsafe(size);
    let at = 0;
    for await (const c of this.concat(parts)) {
      const buf = c as Buffer;
      if (at + buf.length > size) throw new NatterError('upload_incomplete', 'the parts do not add up', { offset: 0 });
      buf.copy(out, at);
      at += buf.length;
    }
    return out;
  }

  /** The parts one after another as one stream, each opened only when the one before ended. */
  private concat(parts: string[]): Readable {
    const out = new PassThrough();
    void (async () => {
      for (const p of parts) await pipeline(await this.blobs.get(p), out, { end: false });
      out.end();
    })().catch((err: Error) => out.destroy(err));
    return out;
  }

  /** Removes every object and the record of a blob. */
  private async deleteAll(id: string): Promise<void> {
    for (const p of await this.blobs.list(`uploads/${id}/`)) await this.blobs.delete(p);
    await this.blobs.delete(blobKey(id));
    await this.blobs.delete(thumbKey(id));
    await this.store.deleteBlob(id);
  }

  // --- sending --------------------------------------------------------------------------------

  async prepare(userId: string, type: MediaMessageType, body: unknown): Promise<{ json: string; blobId: string }> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new NatterError('invalid_request', 'body: a media message body is { blobId, caption? }');
    }
    const { blobId, caption, ...rest } = body as Record<string, unknown>;
    if (Object.keys(rest).length > 0) throw new NatterError('invalid_request', `body: unknown field ${Object.keys(rest)[0]}`);
    if (typeof blobId !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(blobId)) throw new NatterError('invalid_request', 'body.blobId: an upload id');
    if (caption !== undefined && (typeof caption !== 'string' || caption.length > MAX_CAPTION)) {
      throw new NatterError('invalid_request', `body.caption: a string of at most ${MAX_CAPTION} characters`);
    }
    const b = await this.store.attachBlob(blobId, userId, this.clock.now());
    if (!b) {
      const seen = await this.store.getBlob(blobId);
      if (seen && seen.ownerId === userId && seen.state === 'uploading') {
        throw new NatterError('upload_incomplete', 'the upload is not finished', { offset: seen.received });
      }
      // Someone else's blob, or none: the same answer, so ids cannot be probed.
      throw new NatterError('not_found', 'body.blobId: no finished upload of yours has this id');
    }
    const media = b.media!;
    if (!MESSAGE_TYPE_KINDS[type].includes(media.kind)) {
      throw new NatterError('unsupported_media_type', `a ${type} message carries ${MESSAGE_TYPE_KINDS[type].join(' or ')}, not ${media.mime}`);
    }
    const out: MediaBody = { blobId: b.id, name: b.name, ...media, ...(typeof caption === 'string' && { caption }) };
    return { json: JSON.stringify(out), blobId: b.id };
  }

  stored(blobId: string, conversationId: string, messageId: string, seq: number): Promise<void> {
    return this.store.addBlobRef({ blobId, conversationId, messageId, seq });
  }

  /**
   * The recall hook (message recall arrives with issue 22): call it when a message is recalled,
   * and the blob it carries stops being served through that message.
   */
  async onMessageRecalled(conversationId: string, messageId: string): Promise<void> {
    await this.store.recallBlobRefs(conversationId, messageId);
  }

  // --- download -------------------------------------------------------------------------------

  /** The blob (or thumbnail) if `userId` may read it, with the bytes of `range` (or all). */
  async open(userId: string, id: string, variant: 'original' | 'thumbnail', rangeHeader: string | undefined): Promise<Download> {
    const blob = await this.store.readableBlob(id, userId);
    if (!blob?.media) throw notFound();
    const thumb = variant === 'thumbnail';
    if (thumb && !blob.media.thumbnail) throw new NatterError('not_found', 'this media has no thumbnail');
    const key = thumb ? thumbKey(id) : blobKey(id);
    const st = await this.blobs.stat(key);
    if (!st) throw notFound();
    const range = parseRange(rangeHeader, st.size);
    const mime = thumb ? blob.media.thumbnail!.mime : blob.media.mime;
    return { blob, mime, size: st.size, range, body: await this.blobs.get(key, range ?? undefined) };
  }

  /** A URL path that fetches the blob for `userId` without a header until `urlTtlMs` passes. */
  async signedPath(userId: string, id: string, variant: 'original' | 'thumbnail'): Promise<{ url: string; expiresAt: number }> {
    if (!(await this.store.readableBlob(id, userId))) throw notFound();
    const expiresAt = this.clock.now() + this.limits.urlTtlMs;
    const sig = this.sign(userId, id, variant, expiresAt);
    const path = variant === 'thumbnail' ? `/v1/media/${id}/thumbnail` : `/v1/media/${id}`;
    return { url: `${path}?u=${encodeURIComponent(userId)}&exp=${expiresAt}&sig=${sig}`, expiresAt };
  }

  /** The user a signed URL was made for, or throws. Access is checked again when serving. */
  verifySigned(id: string, variant: 'original' | 'thumbnail', q: { u?: string; exp?: string; sig?: string }): string {
    const exp = Number(q.exp);
    if (!q.u || !q.sig || !Number.isSafeInteger(exp)) throw new NatterError('invalid_token', 'send Authorization: Bearer <access token>, or use a signed URL');
    if (exp < this.clock.now()) throw new NatterError('token_expired', 'the signed URL has expired');
    const want = Buffer.from(this.sign(q.u, id, variant, exp));
    const got = Buffer.from(q.sig);
    if (want.length !== got.length || !timingSafeEqual(want, got)) throw new NatterError('invalid_token', 'the signed URL is not valid');
    return q.u;
  }

  private sign(userId: string, id: string, variant: string, exp: number): string {
    return createHmac('sha256', this.secret).update(`media\n${userId}\n${id}\n${variant}\n${exp}`).digest('base64url');
  }

  // --- garbage --------------------------------------------------------------------------------

  /**
   * Deletes uploads no message carries: finished ones after gcAfterMs, unfinished ones after
   * uploadTtlMs. Each blob is claimed in the store first (a lease), so several processes running
   * this at once never delete the same blob twice nor one a send has just attached.
   * Returns how many were deleted.
   */
  async collectGarbage(): Promise<number> {
    const now = this.clock.now();
    const claimed = await this.store.claimGarbage({
      now,
      readyBefore: now - this.limits.gcAfterMs,
      uploadingBefore: now - this.limits.uploadTtlMs,
      leaseUntil: now + GC_LEASE_MS,
      limit: GC_BATCH,
    });
    for (const b of claimed) await this.deleteAll(b.id);
    return claimed.length;
  }

  /** Runs the collector every `everyMs` (unref'd) until stop(). */
  startCollector(everyMs: number, onError: (err: unknown) => void): void {
    this.gcTimer = setInterval(() => void this.collectGarbage().catch(onError), everyMs);
    this.gcTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.gcTimer) clearInterval(this.gcTimer);
    this.gcTimer = null;
    await this.blobs.close();
  }
}

/**
 * A single `bytes=` range, clamped to the object; null for none or several (the whole object is
 * served). Throws `invalid_position` (answered 416) when it lies outside the object.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return null;
  const [, a, z] = m;
  let start: number;
  let end: number;
  if (a === '' && z === '') return null;
  if (a === '') {
    const n = Number(z);
    if (n === 0) throw new NatterError('invalid_position', 'range not satisfiable', { size });
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(a);
    end = z === '' ? size - 1 : Math.min(Number(z), size - 1);
  }
  if (start >= size || start > end) throw new NatterError('invalid_position', 'range not satisfiable', { size });
  return { start, end };
}
