/**
 * The BlobStore: where the bytes of uploads live, by key. Two implementations pass one contract
 * suite (@natter/testkit's contracts/blob-store.ts): DiskBlobStore under DATA_DIR (the default,
 * single machine) and S3BlobStore (cluster mode: every process reads every blob).
 *
 * Keys are built by the server only (`uploads/<id>/<offset>`, `blobs/<id>`, `thumbs/<id>`) from
 * ids it generated; a client's file name never becomes part of one. Every implementation also
 * refuses any key outside BLOB_KEY, so nothing can be written outside the store.
 */
import type { Readable } from 'node:stream';

/** Letters, digits, `_`, `-`, `.` in segments separated by `/`; no segment is `.` or `..`. */
export const BLOB_KEY = /^(?!.*(?:^|\/)\.\.?(?:\/|$))[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/;

export class BlobNotFoundError extends Error {
  override readonly name = 'BlobNotFoundError';
  constructor(key: string) {
    super(`no blob at ${key}`);
  }
}

/** The body ended before `size` bytes, or went past it: nothing was stored. */
export class BlobSizeError extends Error {
  override readonly name = 'BlobSizeError';
}

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

export interface BlobStore {
  /** What it is, for logs and docs: `disk:/path` or `s3:host/bucket`. */
  readonly description: string;
  /**
   * Streams `body` into `key`: exactly `size` bytes, never held whole in memory. The object is
   * visible only once complete; when the body fails or has another length (BlobSizeError),
   * nothing is left under the key. Overwrites an existing object.
   */
  put(key: string, body: Readable, size: number): Promise<void>;
  /** The bytes of the object, or of `range` of it. Rejects with BlobNotFoundError. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /** Size of the object, or null when there is none. */
  stat(key: string): Promise<{ size: number } | null>;
  /** Keys under `prefix` (which ends with `/`), sorted. */
  list(prefix: string): Promise<string[]>;
  /** Removes the object; nothing happens when there is none. */
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

export function checkKey(key: string): void {
  if (!BLOB_KEY.test(key) || key.length > 512) throw new Error(`invalid blob key: ${JSON.stringify(key)}`);
}
