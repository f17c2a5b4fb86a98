/**
 * A real S3-compatible server for tests: s3rver (npm), started in this process on port 0 with
 * its files in a temporary directory. It speaks the S3 REST API over HTTP with SigV4, so the
 * S3BlobStore under test runs its real AWS SDK client against it, with no mock. Chosen because
 * it installs with `npm ci` (no Debian package of MinIO or another S3 server exists here).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import S3rver, { type S3rverStore, type S3rverObject } from 's3rver';

export interface TestS3 {
  endpoint: string;
  /** BLOB_STORE_URL for a server using it. */
  url(bucket: string): string;
  close(): Promise<void>;
}

export async function startTestS3(): Promise<TestS3> {
  const dir = await mkdtemp(join(tmpdir(), 'natter-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir });
  makePutAtomic(server.store);
  const addr = (await server.run()) as { port: number };
  const endpoint = `http://127.0.0.1:${addr.port}`;
  return {
    endpoint,
    url: (bucket) => `s3+http://S3RVER:S3RVER@127.0.0.1:${addr.port}/${bucket}`,
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * s3rver writes a PUT's body straight over the existing object, so a request cut midway leaves
 * the old object truncated — real S3 keeps it whole and stores the new one only once every byte
 * arrived. The contract tests that (blob-store.ts), and they failed whenever the cut reached
 * s3rver after its handler had opened the file. Here a body goes to a temporary file renamed over
 * the object only when the request ended normally.
 */
function makePutAtomic(store: S3rverStore): void {
  store.putObject = async (object: S3rverObject) => {
    const objectPath = store.getResourcePath(object.bucket, object.key, 'object');
    await mkdir(dirname(objectPath), { recursive: true });
    const md5 = createHash('md5');
    let size = 0;
    const partial = `${objectPath}.partial-${randomBytes(6).toString('hex')}`;
    try {
      if (Buffer.isBuffer(object.content)) {
        md5.update(object.content);
        size = object.content.length;
        await pipeline([object.content], createWriteStream(partial));
      } else {
        const body: Readable = object.content;
        await pipeline(
          body,
          async function* (chunks: AsyncIterable<Buffer>) {
            for await (const chunk of chunks) {
              md5.update(chunk);
              size += chunk.length;
              yield chunk;
            }
          },
          createWriteStream(partial),
        );
      }
      await rename(partial, objectPath);
    } catch (err) {
      await rm(partial, { force: true });
      throw err;
    }
    const digest = md5.digest('hex');
    await store.putMetadata(object.bucket, object.key, object.metadata, digest);
    return { size, md5: digest };
  };
}
