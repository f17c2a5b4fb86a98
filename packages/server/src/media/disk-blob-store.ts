/**
 * BlobStore on the local disk: one file per key under a root directory (DATA_DIR/media by
 * default). A put streams into a temporary file in the same directory tree and renames it into
 * place once complete, so a reader never sees half an object and a failed put leaves nothing.
 * Single machine only: a cluster needs every process to read every blob (use S3BlobStore).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobNotFoundError, BlobSizeError, checkKey, type BlobStore, type ByteRange } from './blob-store.js';

const TMP = '.tmp';

export class DiskBlobStore implements BlobStore {
  readonly description: string;

  constructor(private readonly root: string) {
    this.description = `disk:${root}`;
  }

  private path(key: string): string {
    checkKey(key);
    const p = join(this.root, ...key.split('/'));
    // Belt and braces: BLOB_KEY already rules out `..`.
    if (relative(this.root, p).startsWith('..')) throw new Error(`invalid blob key: ${key}`);
    return p;
  }

  async put(key: string, body: Readable, size: number): Promise<void> {
    const target = this.path(key);
    const tmpDir = join(this.root, TMP);
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, randomBytes(12).toString('hex'));
    try {
      await pipeline(body, exactly(size), createWriteStream(tmp, { flags: 'wx' }));
      await mkdir(dirname(target), { recursive: true });
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const p = this.path(key);
    const s = await stat(p).catch(() => null);
    if (!s?.isFile()) throw new BlobNotFoundError(key);
    const stream = createReadStream(p, range ? { start: range.start, end: range.end } : {});
    // Opened lazily: an object deleted in between shows as a stream error, like S3's.
    return stream;
  }

  async stat(key: string): Promise<{ size: number } | null> {
    const s = await stat(this.path(key)).catch(() => null);
    return s?.isFile() ? { size: s.size } : null;
  }

  async list(prefix: string): Promise<string[]> {
    const dir = this.path(prefix.replace(/\/$/, ''));
    const out: string[] = [];
    const walk = async (d: string): Promise<void> => {
      const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        const p = join(d, e.name);
        if (e.isDirectory()) await walk(p);
        else if (e.isFile()) out.push(relative(this.root, p).split(sep).join('/'));
      }
    };
    await walk(dir);
    return out.sort();
  }

  async delete(key: string): Promise<void> {
    const p = this.path(key);
    await unlink(p).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    // An upload's part directory goes with its last part (rmdir removes only an empty one).
    if (key.startsWith('uploads/')) await rmdir(dirname(p)).catch(() => {});
  }

  async close(): Promise<void> {}
}

/** Passes exactly `size` bytes through; fails with BlobSizeError on more or fewer. */
export function exactly(size: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > size) done(new BlobSizeError(`more than the ${size} bytes announced`));
      else done(null, chunk);
    },
    flush(done) {
      done(seen === size ? null : new BlobSizeError(`${seen} bytes of the ${size} announced`));
    },
  });
}
