/**
 * A real S3-compatible server for tests: s3rver (npm), started in this process on port 0 with
 * its files in a temporary directory. It speaks the S3 REST API over HTTP with SigV4, so the
 * S3BlobStore under test runs its real AWS SDK client against it, with no mock. Chosen because
 * it installs with `npm ci` (no Debian package of MinIO or another S3 server exists here).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

export interface TestS3 {
  endpoint: string;
  /** BLOB_STORE_URL for a server using it. */
  url(bucket: string): string;
  close(): Promise<void>;
}

export async function startTestS3(): Promise<TestS3> {
  const dir = await mkdtemp(join(tmpdir(), 'natter-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir });
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
