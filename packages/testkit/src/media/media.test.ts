/**
 * Media end to end over HTTP and the socket, against both blob stores (the disk under DATA_DIR
 * and a real S3-compatible server, s3rver): the happy paths and every bad input of issue 23.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore, parseS3Url, systemClock, type BlobStore } from '@natter/server';
import { startTestS3, type TestS3 } from '../contracts/s3-server.js';
import { RawClient, register, startTestServer, type TestServer } from '../harness.js';
import { createUpload, jpegWithGps, pdf, pngFlood, sendChunk, sendTruncatedChunk, uploadAll, wav } from '../media-fixtures.js';

let s3: TestS3;
beforeAll(async () => {
  s3 = await startTestS3();
});
afterAll(async () => {
  await s3.close();
});

const LIMITS = { MEDIA_MAX_IMAGE_BYTES: 2_000_000, MEDIA_MAX_FILE_BYTES: 5_000_000, MEDIA_MAX_AUDIO_BYTES: 5_000_000, MEDIA_MAX_VIDEO_BYTES: 5_000_000, MEDIA_QUOTA_BYTES: 8_000_000, MEDIA_GC_INTERVAL_SECONDS: 0 };

for (const kind of ['disk', 's3'] as const) {
  describe(`media on ${kind}`, () => {
    let skew = 0;
    const clock = { now: () => Date.now() + skew, setTimeout: systemClock.setTimeout };
    async function start(overrides: Record<string, string | number> = {}): Promise<TestServer & { blobs: BlobStore }> {
      skew = 0;
      const blobs: BlobStore | undefined =
        kind === 's3' ? new S3BlobStore({ ...parseS3Url(s3.url('natter-media')), prefix: `m-${Math.random().toString(36).slice(2)}/` }) : undefined;
      if (blobs) await (blobs as S3BlobStore).ensureBucket();
      const t = await startTestServer({ ...LIMITS, ...overrides }, { clock, ...(blobs && { blobStore: blobs }) });
      return Object.assign(t, { blobs: t.server.media.blobs });
    }

    async function pair(t: TestServer) {
      const alice = await register(t.url);
      const bob = await register(t.url);
      const a = await RawClient.authed(t.wsUrl, alice.accessToken);
      const conv = await a.request({ type: 'conversation.direct', userId: bob.userId });
      return { alice, bob, a, conversationId: conv.data.id as string };
    }

    /** A GET whose body is read before it returns (an unread body would hold its connection open). */
    const get = async (t: TestServer, path: string, token: string, headers: Record<string, string> = {}) => {
      const res = await fetch(t.url + path, { headers: { authorization: `Bearer ${token}`, ...headers } });
      const body = Buffer.from(await res.arrayBuffer());
      return Object.assign(res, { arrayBuffer: async () => body });
    };

    it('an image: uploaded in resumable chunks, EXIF stripped, sent, fetched by the peer with thumbnail and placeholder', { timeout: 90_000 }, async () => {
      const t = await start();
      try {
        const { alice, bob, a, conversationId } = await pair(t);
        const jpeg = await jpegWithGps(640, 480);
        expect((await sharp(jpeg).metadata()).exif).toBeDefined();
        const c = await createUpload(t.url, alice.accessToken, jpeg.length, 'image/jpeg', 'holiday photo.jpg');
        expect(c.status).toBe(201);
        const half = Math.floor(jpeg.length / 2);
        expect((await sendChunk(t.url, alice.accessToken, c.body.id, 0, jpeg.subarray(0, half))).body).toMatchObject({ state: 'uploading', offset: half });
        // A client that lost track asks where to resume.
        const where = await fetch(`${t.url}/v1/uploads/${c.body.id}`, { headers: { authorization: `Bearer ${alice.accessToken}` } });
        expect((await where.json()).offset).toBe(half);
        const done = await sendChunk(t.url, alice.accessToken, c.body.id, half, jpeg.subarray(half));
        expect(done.status).toBe(200);
        expect(done.body).toMatchObject({ state: 'ready', media: { mime: 'image/jpeg', kind: 'image', width: 640, height: 480 } });
        expect(done.body.media.thumbnail).toEqual({ width: 320, height: 240, mime: 'image/webp' });
        expect(done.body.media.placeholder).toMatch(/^data:image\/webp;base64,/);
        expect(done.body.media.placeholder.length).toBeLessThan(1400);

        const sent = await a.request({ type: 'send', conversationId, clientMsgId: 'img1', msgType: 'image', body: { blobId: c.body.id, caption: 'look' } });
        expect(sent.type).toBe('result');
        const page = await a.request({ type: 'messages', conversationId, after: 0 });
        const msg = page.data.messages.find((m: { id: string }) => m.id === sent.data.id);
        expect(msg).toMatchObject({ type: 'image', body: { blobId: c.body.id, name: 'holiday photo.jpg', caption: 'look', width: 640, mime: 'image/jpeg' } });

        const res = await get(t, `/v1/media/${c.body.id}`, bob.accessToken);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('image/jpeg');
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('content-disposition')).toMatch(/^inline; filename="holiday photo.jpg"/);
        expect(res.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
        const stored = Buffer.from(await res.arrayBuffer());
        const meta = await sharp(stored).metadata();
        expect(meta.exif).toBeUndefined();
        expect(stored.includes(Buffer.from('natter-test'))).toBe(false);
        expect(meta.width).toBe(640);
        // Revalidation by ETag.
        const again = await get(t, `/v1/media/${c.body.id}`, bob.accessToken, { 'if-none-match': res.headers.get('etag')! });
        expect(again.status).toBe(304);
        const thumb = await get(t, `/v1/media/${c.body.id}/thumbnail`, bob.accessToken);
        expect(thumb.headers.get('content-type')).toBe('image/webp');
        expect((await sharp(Buffer.from(await thumb.arrayBuffer())).metadata()).width).toBe(320);
        // A signed URL works without a header, for <img src>.
        const signed = await fetch(`${t.url}/v1/media/${c.body.id}/url`, { method: 'POST', headers: { authorization: `Bearer ${bob.accessToken}` } });
        const { url } = (await signed.json()) as { url: string };
        const viaUrl = await fetch(t.url + url);
        expect(viaUrl.status).toBe(200);
        await viaUrl.arrayBuffer();
        expect((await fetch(t.url + url.replace(/sig=[^&]+/, 'sig=forged'))).status).toBe(401);
        a.close();
      } finally {
        await t.close();
      }
    });

    it('voice: duration read, ranges served (206, 416); a document is an attachment', async () => {
      const t = await start();
      try {
        const { alice, bob, a, conversationId } = await pair(t);
        const voice = await uploadAll(t.url, alice.accessToken, wav(2), 'audio/wav', 'note.wav');
        expect(voice.body.media).toMatchObject({ kind: 'audio', durationMs: 2000 });
        await a.request({ type: 'send', conversationId, clientMsgId: 'v1', msgType: 'voice', body: { blobId: voice.body.id } });
        const r = await get(t, `/v1/media/${voice.body.id}`, bob.accessToken, { range: 'bytes=44-1043' });
        expect(r.status).toBe(206);
        expect(r.headers.get('content-range')).toBe(`bytes 44-1043/${wav(2).length}`);
        expect((await r.arrayBuffer()).byteLength).toBe(1000);
        expect(r.headers.get('content-disposition')).toMatch(/^inline/);
        const bad = await get(t, `/v1/media/${voice.body.id}`, bob.accessToken, { range: 'bytes=999999-' });
        expect(bad.status).toBe(416);

        const doc = await uploadAll(t.url, alice.accessToken, pdf(), 'application/pdf', 'Q3 report "final".pdf');
        expect(doc.body.media).toMatchObject({ kind: 'file', mime: 'application/pdf' });
        // An image message cannot carry a PDF.
        const wrong = await a.request({ type: 'send', conversationId, clientMsgId: 'd0', msgType: 'image', body: { blobId: doc.body.id } });
        expect(wrong.error.code).toBe('unsupported_media_type');
        await a.request({ type: 'send', conversationId, clientMsgId: 'd1', msgType: 'file', body: { blobId: doc.body.id } });
        const d = await get(t, `/v1/media/${doc.body.id}`, bob.accessToken);
        expect(Buffer.from(await d.arrayBuffer()).equals(pdf())).toBe(true);
        expect(d.headers.get('content-type')).toBe('application/pdf');
        expect(d.headers.get('content-disposition')).toBe(`attachment; filename="Q3 report _final_.pdf"; filename*=UTF-8''Q3%20report%20%22final%22.pdf`);
        a.close();
      } finally {
        await t.close();
      }
    });

    it('bad input: oversized, wrong magic bytes, a pixel flood, path and control characters in names, over quota', async () => {
      const t = await start();
      try {
        const { alice } = await pair(t);
        // Oversized: refused at creation by the announced size and type.
        expect((await createUpload(t.url, alice.accessToken, 3_000_000, 'image/png')).body.error.code).toBe('too_large');
        expect((await createUpload(t.url, alice.accessToken, 6_000_000, 'application/octet-stream')).body.error.code).toBe('too_large');
        // Wrong magic bytes: a PDF announced as a PNG; and an executable (a type not allowed).
        const lie = await uploadAll(t.url, alice.accessToken, pdf(), 'image/png');
        expect(lie.status).toBe(415);
        expect(lie.body.error.code).toBe('unsupported_media_type');
        const exe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(62), Buffer.from('PE\0\0'), Buffer.alloc(4000)]);
        exe.writeUInt32LE(64, 60);
        const exeUp = await uploadAll(t.url, alice.accessToken, exe, 'application/octet-stream');
        expect(exeUp.body?.error?.code, JSON.stringify(exeUp)).toBe('unsupported_media_type');
        // A pixel flood: refused from the header, nothing decoded.
        const before = process.memoryUsage().rss;
        const flood = await uploadAll(t.url, alice.accessToken, pngFlood(), 'image/png', 'bomb.png');
        expect(flood.status).toBe(413);
        expect(flood.body.error.code).toBe('image_too_large');
        // Refused at its first chunk, from the header: the rest is never sent.
        const bomb = pngFlood();
        const early = await createUpload(t.url, alice.accessToken, bomb.length + 1_000_000, 'image/png');
        const first = await sendChunk(t.url, alice.accessToken, early.body.id, 0, bomb.subarray(0, 8192));
        expect(first.body.error.code).toBe('image_too_large');
        expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
        // Names: a display name only.
        for (const name of ['../../etc/passwd', 'a/b.png', 'evil\u0000.png', 'line\nbreak.png', '..', 'rtl\u202Egnp.exe']) {
          const r = await createUpload(t.url, alice.accessToken, 100, 'image/png', name);
          expect(r.status, name).toBe(400);
          expect(r.body.error.code).toBe('invalid_request');
        }
        // Over quota (8 MB): 5 MB announced, then 4 MB more is refused.
        expect((await createUpload(t.url, alice.accessToken, 5_000_000, 'application/pdf')).status).toBe(201);
        const over = await createUpload(t.url, alice.accessToken, 4_000_000, 'application/pdf');
        expect(over.status).toBe(413);
        expect(over.body.error).toMatchObject({ code: 'quota_exceeded', details: { quotaBytes: 8_000_000, usedBytes: 5_000_000 } });
        // Every refused upload left nothing behind: only the one unfinished upload's record.
        if (kind === 'disk') {
          const entries = readdirSync(t.dataDir).sort();
          expect(entries.every((e) => ['media', 'jwt-secret'].includes(e) || e.startsWith('natter.db'))).toBe(true);
          expect(await t.blobs.list('blobs/')).toEqual([]);
        }
        expect(await t.blobs.list('uploads/')).toEqual([]);
        expect(await t.blobs.list('blobs/')).toEqual([]);
      } finally {
        await t.close();
      }
    });

    it('bad input: a truncated upload stores nothing of the cut chunk, resumes, and cannot be sent unfinished', async () => {
      const t = await start();
      try {
        const { alice, a, conversationId } = await pair(t);
        const data = pdf(300_000);
        const c = await createUpload(t.url, alice.accessToken, data.length, 'application/pdf', 'long.pdf');
        await sendChunk(t.url, alice.accessToken, c.body.id, 0, data.subarray(0, 100_000));
        await sendTruncatedChunk(t.url, alice.accessToken, c.body.id, 100_000, 100_000, 40_000);
        const where = await (await fetch(`${t.url}/v1/uploads/${c.body.id}`, { headers: { authorization: `Bearer ${alice.accessToken}` } })).json();
        expect(where.offset).toBe(100_000);
        // The cut chunk never counts. (Real S3 and the disk keep nothing of it; s3rver may store the
        // bytes it got a moment after the request died, under the same key the resumed chunk overwrites.)
        const parts = await t.blobs.list(`uploads/${c.body.id}/`);
        expect(parts[0]).toBe(`uploads/${c.body.id}/${'0'.repeat(16)}`);
        if (kind === 'disk') expect(parts).toHaveLength(1);
        // A chunk at the wrong offset says where to resume.
        const wrong = await sendChunk(t.url, alice.accessToken, c.body.id, 150_000, data.subarray(150_000, 160_000));
        expect(wrong.body.error).toMatchObject({ code: 'upload_incomplete', details: { offset: 100_000 } });
        const early = await a.request({ type: 'send', conversationId, clientMsgId: 'early', msgType: 'file', body: { blobId: c.body.id } });
        expect(early.error.code).toBe('upload_incomplete');
        const rest = await sendChunk(t.url, alice.accessToken, c.body.id, 100_000, data.subarray(100_000));
        expect(rest.body.state).toBe('ready');
        const res = await get(t, `/v1/media/${c.body.id}`, alice.accessToken);
        expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);
        a.close();
      } finally {
        await t.close();
      }
    });

    it('authorisation: another user’s blob id in a message, strangers, leavers, recall', async () => {
      const t = await start();
      try {
        const { alice, bob, a, conversationId } = await pair(t);
        const carol = await register(t.url);
        const c = await RawClient.authed(t.wsUrl, carol.accessToken);
        const img = await uploadAll(t.url, alice.accessToken, await jpegWithGps(64, 64), 'image/jpeg');
        // Before any message: only the uploader.
        expect((await get(t, `/v1/media/${img.body.id}`, alice.accessToken)).status).toBe(200);
        expect((await get(t, `/v1/media/${img.body.id}`, bob.accessToken)).status).toBe(404);
        // Carol sends Alice's blob id in her own group: refused, as if it did not exist.
        const group = await c.request({ type: 'conversation.create', title: 'g', members: [bob.userId] });
        const stolen = await c.request({ type: 'send', conversationId: group.data.id, clientMsgId: 's1', msgType: 'image', body: { blobId: img.body.id } });
        expect(stolen.error.code).toBe('not_found');
        const sent = await a.request({ type: 'send', conversationId, clientMsgId: 'i1', msgType: 'image', body: { blobId: img.body.id } });
        // A stranger who never joined gets nothing, through a header or a URL.
        expect((await get(t, `/v1/media/${img.body.id}`, carol.accessToken)).status).toBe(404);
        expect((await fetch(`${t.url}/v1/media/${img.body.id}/url`, { method: 'POST', headers: { authorization: `Bearer ${carol.accessToken}` } })).status).toBe(404);

        // A member who leaves loses access: a group this time.
        const g2 = await a.request({ type: 'conversation.create', title: 'team', members: [bob.userId, carol.userId] });
        const img2 = await uploadAll(t.url, alice.accessToken, await jpegWithGps(32, 32), 'image/jpeg');
        await a.request({ type: 'send', conversationId: g2.data.id, clientMsgId: 'i2', msgType: 'image', body: { blobId: img2.body.id } });
        expect((await get(t, `/v1/media/${img2.body.id}`, carol.accessToken)).status).toBe(200);
        await c.request({ type: 'conversation.leave', conversationId: g2.data.id });
        expect((await get(t, `/v1/media/${img2.body.id}`, carol.accessToken)).status).toBe(404);

        // Recall (the hook issue 22's recall calls): nobody is served any more, the uploader included.
        expect((await get(t, `/v1/media/${img.body.id}`, bob.accessToken)).status).toBe(200);
        await t.server.media.onMessageRecalled(conversationId, sent.data.id);
        expect((await get(t, `/v1/media/${img.body.id}`, bob.accessToken)).status).toBe(404);
        expect((await get(t, `/v1/media/${img.body.id}`, alice.accessToken)).status).toBe(404);
        a.close();
        c.close();
      } finally {
        await t.close();
      }
    });

    it('garbage: unreferenced uploads go after the configured time, sent ones stay; two collectors never collide', async () => {
      const t = await start({ MEDIA_GC_AFTER_SECONDS: 60, MEDIA_UPLOAD_TTL_SECONDS: 120 });
      try {
        const { alice, a, conversationId } = await pair(t);
        const kept = await uploadAll(t.url, alice.accessToken, pdf(), 'application/pdf');
        await a.request({ type: 'send', conversationId, clientMsgId: 'k', msgType: 'file', body: { blobId: kept.body.id } });
        const orphan = await uploadAll(t.url, alice.accessToken, pdf(), 'application/pdf');
        const unfinished = await createUpload(t.url, alice.accessToken, 20_000, 'application/pdf');
        await sendChunk(t.url, alice.accessToken, unfinished.body.id, 0, pdf(20_000).subarray(0, 5000));
        // Cancelling: an unsent upload goes at once; a sent one is kept.
        const dropped = await uploadAll(t.url, alice.accessToken, pdf(), 'application/pdf');
        const del = (id: string) => fetch(`${t.url}/v1/uploads/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${alice.accessToken}` } });
        expect((await del(dropped.body.id)).status).toBe(204);
        expect(await t.server.store.getBlob(dropped.body.id)).toBeNull();
        expect(await t.blobs.stat(`blobs/${dropped.body.id}`)).toBeNull();
        expect((await del(kept.body.id)).status).toBe(403);
        expect(await t.server.media.collectGarbage()).toBe(0);
        skew = 61_000;
        // Two collectors at once (two processes on one store): each blob deleted exactly once.
        const counts = await Promise.all([t.server.media.collectGarbage(), t.server.media.collectGarbage()]);
        expect(counts[0] + counts[1]).toBe(1);
        expect(await t.server.store.getBlob(orphan.body.id)).toBeNull();
        expect(await t.blobs.stat(`blobs/${orphan.body.id}`)).toBeNull();
        expect(await t.server.store.getBlob(unfinished.body.id)).not.toBeNull();
        skew = 121_000;
        expect(await t.server.media.collectGarbage()).toBe(1);
        expect(await t.blobs.list(`uploads/${unfinished.body.id}/`)).toEqual([]);
        expect(await t.server.store.getBlob(kept.body.id)).not.toBeNull();
        expect(await t.blobs.stat(`blobs/${kept.body.id}`)).not.toBeNull();
        a.close();
      } finally {
        await t.close();
      }
    });
  });
}

it('the disk blob store lives under DATA_DIR/media', async () => {
  const t = await startTestServer({ MEDIA_GC_INTERVAL_SECONDS: 0 });
  try {
    const alice = await register(t.url);
    const up = await uploadAll(t.url, alice.accessToken, pdf(), 'application/pdf');
    expect(readdirSync(join(t.dataDir, 'media', 'blobs'))).toEqual([up.body.id]);
  } finally {
    await t.close();
  }
});
