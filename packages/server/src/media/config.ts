/**
 * The media settings (docs/configuration.md, "Media"), spread into config.ts's schema so that
 * they are validated and documented with every other setting.
 */
import { z } from 'zod';
import type { MediaLimits } from './media-service.js';

const int = (min: number, max: number) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? Number.NaN : v), z.coerce.number().int().min(min).max(max));
const MiB = 1024 * 1024;
const MAX = Number.MAX_SAFE_INTEGER;

export const DEFAULT_ALLOWED_TYPES = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/gif',
  'audio/mpeg',
  'audio/ogg',
  'audio/opus',
  'audio/mp4',
  'audio/aac',
  'audio/wav',
  'audio/webm',
  'video/mp4',
  'video/webm',
  'video/quicktime',
  'application/pdf',
  'application/zip',
  'application/octet-stream',
].join(',');

export const MEDIA_SETTINGS = {
  /**
   * Where uploaded files are kept: unset, on the local disk under DATA_DIR/media (one machine);
   * `s3+http://KEY:SECRET@host:port/bucket` or `s3+https://…` for an S3-compatible store (cluster).
   */
  BLOB_STORE_URL: z
    .string()
    .regex(/^s3\+https?:\/\/[^:/@\s]+:[^@\s]+@[^/\s]+\/[^\s]+$/, 'expected s3+http://KEY:SECRET@host:port/bucket or s3+https://…')
    .optional(),
  MEDIA_MAX_IMAGE_BYTES: int(1, MAX).default(20 * MiB),
  MEDIA_MAX_AUDIO_BYTES: int(1, MAX).default(50 * MiB),
  MEDIA_MAX_VIDEO_BYTES: int(1, MAX).default(500 * MiB),
  MEDIA_MAX_FILE_BYTES: int(1, MAX).default(200 * MiB),
  /** Bytes of uploads one user may hold (counted at their announced size). */
  MEDIA_QUOTA_BYTES: int(1, MAX).default(5 * 1024 * MiB),
  /** Most pixels (width × height) an image may have; checked from its header before decoding. */
  MEDIA_MAX_PIXELS: int(1, 1_000_000_000).default(50_000_000),
  /** Largest chunk one upload request may carry (keep its transfer within HTTP_REQUEST_TIMEOUT_MS). */
  MEDIA_MAX_CHUNK_BYTES: int(1024, 1024 * MiB).default(32 * MiB),
  /** Comma-separated types (as detected from the bytes) that may be uploaded. */
  MEDIA_ALLOWED_TYPES: z.string().regex(/^[a-z0-9.+-]+\/[a-z0-9.+-]+(,[a-z0-9.+-]+\/[a-z0-9.+-]+)*$/, 'comma-separated types like image/png').default(DEFAULT_ALLOWED_TYPES),
  /** A finished upload that no message carries is deleted after this. */
  MEDIA_GC_AFTER_SECONDS: int(1, 365 * 86_400).default(86_400),
  /** An unfinished upload is deleted this long after it began. */
  MEDIA_UPLOAD_TTL_SECONDS: int(1, 365 * 86_400).default(86_400),
  /** How often each process looks for garbage; 0: never (another process does). */
  MEDIA_GC_INTERVAL_SECONDS: int(0, 86_400).default(300),
  /** How long a signed download URL works. */
  MEDIA_URL_TTL_SECONDS: int(10, 86_400).default(300),
};

type Settings = Omit<{ [K in keyof typeof MEDIA_SETTINGS]: z.infer<(typeof MEDIA_SETTINGS)[K]> }, 'BLOB_STORE_URL'>;

export function mediaLimits(c: Settings): MediaLimits {
  return {
    maxBytes: { image: c.MEDIA_MAX_IMAGE_BYTES, audio: c.MEDIA_MAX_AUDIO_BYTES, video: c.MEDIA_MAX_VIDEO_BYTES, file: c.MEDIA_MAX_FILE_BYTES },
    quotaBytes: c.MEDIA_QUOTA_BYTES,
    maxPixels: c.MEDIA_MAX_PIXELS,
    maxChunkBytes: c.MEDIA_MAX_CHUNK_BYTES,
    allowedTypes: new Set(c.MEDIA_ALLOWED_TYPES.split(',')),
    gcAfterMs: c.MEDIA_GC_AFTER_SECONDS * 1000,
    uploadTtlMs: c.MEDIA_UPLOAD_TTL_SECONDS * 1000,
    urlTtlMs: c.MEDIA_URL_TTL_SECONDS * 1000,
  };
}
