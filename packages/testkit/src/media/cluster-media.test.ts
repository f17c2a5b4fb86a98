/**
 * Media in cluster mode: two Natter processes (here: two servers in this process) on one
 * PostgreSQL schema and one S3 bucket. An upload begun on one continues on the other, and the
 * file is served by either — what `BLOB_STORE_URL` is for.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { S3BlobStore, parseS3Url } from '@natter/server';
import { startTestS3, type TestS3 } from '../contracts/s3-server.js';
import { RawClient, register, startTestServer } from '../harness.js';
import { createUpload, pdf, sendChunk } from '../media-fixtures.js';

const PG_URL = process.env.NATTER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
let s3: TestS3;
beforeAll(async () => {
  s3 = await startTestS3();
});
afterAll(async () => {
  await s3.close();
});

it('an upload begun on one process continues on another, and both serve the file', { timeout: 60_000 }, async () => {
  const schema = `natter_m_${randomBytes(6).toString('hex')}`;
  const prefix = `c-${randomBytes(4).toString('hex')}/`;
  const blobs = () => new S3BlobStore({ ...parseS3Url(s3.url('natter-cluster')), prefix });
  const first = blobs();
  await first.ensureBucket();
  const common = { DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema, JWT_SECRET: 'cluster-test-secret-0123456789abcdef-XYZ', MEDIA_GC_INTERVAL_SECONDS: 0 };
  const a = await startTestServer(common, { blobStore: first });
  const b = await startTestServer(common, { blobStore: blobs() });
  try {
    const alice = await register(a.url);
    const bob = await register(b.url);
    const data = pdf(200_000);
    const up = await createUpload(a.url, alice.accessToken, data.length, 'application/pdf', 'shared.pdf');
    expect((await sendChunk(a.url, alice.accessToken, up.body.id, 0, data.subarray(0, 80_000))).body.offset).toBe(80_000);
    const done = await sendChunk(b.url, alice.accessToken, up.body.id, 80_000, data.subarray(80_000));
    expect(done.body).toMatchObject({ state: 'ready', media: { mime: 'application/pdf', size: data.length } });
    // The type announced on one process is enforced on the other.
    const lie = await createUpload(a.url, alice.accessToken, data.length, 'image/png');
    expect((await sendChunk(b.url, alice.accessToken, lie.body.id, 0, data)).body.error.code).toBe('unsupported_media_type');
    const ws = await RawClient.authed(b.wsUrl, alice.accessToken);
    const conv = await ws.request({ type: 'conversation.direct', userId: bob.userId });
    expect((await ws.request({ type: 'send', conversationId: conv.data.id, clientMsgId: 'c1', msgType: 'file', body: { blobId: up.body.id } })).type).toBe('result');
    ws.close();
    for (const server of [a, b]) {
      const res = await fetch(`${server.url}/v1/media/${up.body.id}`, { headers: { authorization: `Bearer ${bob.accessToken}` } });
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);
    }
  } finally {
    await b.close();
    await a.close();
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await c.end();
  }
});
