/** The BlobStore contract against the local disk and against a real S3-compatible server (s3rver). */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DiskBlobStore, S3BlobStore, parseS3Url } from '@natter/server';
import { runBlobStoreContract } from './blob-store.js';
import { startTestS3, type TestS3 } from './s3-server.js';

let s3: TestS3;
beforeAll(async () => {
  s3 = await startTestS3();
});
afterAll(async () => {
  await s3.close();
});

runBlobStoreContract('disk', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'natter-blobs-'));
  return { store: new DiskBlobStore(join(dir, 'media')), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

runBlobStoreContract('s3', async () => {
  const store = new S3BlobStore({ ...parseS3Url(s3.url('natter-test')), prefix: `t-${randomBytes(4).toString('hex')}/` });
  await store.ensureBucket();
  return { store, cleanup: async () => {} };
});

it('disk: a refused key writes nothing anywhere under the data directory', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'natter-blobs-'));
  const store = new DiskBlobStore(join(dir, 'media'));
  await expect(store.put('../outside', (await import('./blob-store.js')).patternStream(5), 5)).rejects.toThrow();
  expect(await readdir(dir)).toEqual([]);
  await rm(dir, { recursive: true, force: true });
});

it('parses BLOB_STORE_URL s3 forms and refuses wrong ones', () => {
  expect(parseS3Url('s3+https://AK:S%2FK@s3.example.com/media/prefix?region=eu-west-1')).toEqual({
    endpoint: 'https://s3.example.com',
    bucket: 'media',
    accessKeyId: 'AK',
    secretAccessKey: 'S/K',
    region: 'eu-west-1',
    prefix: 'prefix/',
  });
  expect(() => parseS3Url('s3+http://host/bucket')).toThrow(/credentials/);
  expect(() => parseS3Url('s3+http://a:b@host/')).toThrow(/bucket/);
});
