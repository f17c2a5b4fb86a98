/**
 * BlobStore on an S3-compatible object store (AWS S3, MinIO, Ceph, Garage, …), for cluster
 * mode: every process reads and writes the same bucket. Configured by BLOB_STORE_URL,
 * `s3+http://KEY:SECRET@host:port/bucket` or `s3+https://…` (path-style addressing, which
 * every S3-compatible server accepts; `?region=` optional, default us-east-1).
 *
 * A put streams the body with its length announced (PutObject, UNSIGNED-PAYLOAD): S3 stores an
 * object only when all its bytes arrived, so a failed put leaves nothing. Checksums are sent only
 * where an operation requires them, for compatibility with servers that do not know the newer
 * flexible-checksum headers.
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { exactly } from './disk-blob-store.js';
import { BlobNotFoundError, checkKey, type BlobStore, type ByteRange } from './blob-store.js';

export interface S3BlobStoreOptions {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region?: string;
  /** Keys are stored under this prefix (tests give each run its own). */
  prefix?: string;
}

/** Parses BLOB_STORE_URL's s3 form; throws with a message naming what is wrong. */
export function parseS3Url(url: string): S3BlobStoreOptions {
  const u = new URL(url);
  if (u.protocol !== 's3+http:' && u.protocol !== 's3+https:') throw new Error('expected s3+http://… or s3+https://…');
  const [bucket, ...rest] = u.pathname.replace(/^\//, '').split('/');
  if (!bucket) throw new Error('the URL path must name the bucket: s3+http://KEY:SECRET@host:port/bucket');
  if (!u.username || !u.password) throw new Error('the URL must carry KEY:SECRET credentials');
  return {
    endpoint: `${u.protocol === 's3+https:' ? 'https' : 'http'}://${u.host}`,
    bucket,
    accessKeyId: decodeURIComponent(u.username),
    secretAccessKey: decodeURIComponent(u.password),
    region: u.searchParams.get('region') ?? 'us-east-1',
    ...(rest.length > 0 && rest.join('/') !== '' && { prefix: rest.join('/').replace(/\/?$/, '/') }),
  };
}

export class S3BlobStore implements BlobStore {
  readonly description: string;
  private readonly client: S3Client;
  private readonly prefix: string;

  constructor(private readonly o: S3BlobStoreOptions) {
    this.description = `s3:${new URL(o.endpoint).host}/${o.bucket}`;
    this.prefix = o.prefix ?? '';
    this.client = new S3Client({
      endpoint: o.endpoint,
      region: o.region ?? 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  /** Creates the bucket when it does not exist (start-up). */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.o.bucket }));
    } catch {
      await this.client.send(new CreateBucketCommand({ Bucket: this.o.bucket }));
    }
  }

  private key(key: string): string {
    checkKey(key);
    return this.prefix + key;
  }

  async put(key: string, body: Readable, size: number): Promise<void> {
    const k = this.key(key);
    // A body of another length, or one that fails, aborts the request: S3 then stores nothing.
    const counted = body.pipe(exactly(size));
    const abort = new AbortController();
    const failed = new Promise<never>((_, reject) => {
      const fail = (err: Error) => {
        abort.abort(err);
        reject(err);
      };
      body.on('error', fail);
      counted.on('error', fail);
    });
    failed.catch(() => {});
    await Promise.race([
      this.client.send(new PutObjectCommand({ Bucket: this.o.bucket, Key: k, Body: counted, ContentLength: size }), { abortSignal: abort.signal }),
      failed,
    ]);
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    try {
      const r = await this.client.send(
        new GetObjectCommand({ Bucket: this.o.bucket, Key: this.key(key), ...(range && { Range: `bytes=${range.start}-${range.end}` }) }),
      );
      return r.Body as Readable;
    } catch (err) {
      if (notFound(err)) throw new BlobNotFoundError(key);
      throw err;
    }
  }

  async stat(key: string): Promise<{ size: number } | null> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.o.bucket, Key: this.key(key) }));
      return { size: r.ContentLength ?? 0 };
    } catch (err) {
      if (notFound(err)) return null;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const r = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.o.bucket, Prefix: this.key(prefix.replace(/\/$/, '')) + '/', ContinuationToken: token }),
      );
      for (const o of r.Contents ?? []) if (o.Key) out.push(o.Key.slice(this.prefix.length));
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out.sort();
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.o.bucket, Key: this.key(key) }));
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

function notFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}
