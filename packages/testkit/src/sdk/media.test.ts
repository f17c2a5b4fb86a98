/**
 * The SDK's media send against a real server: progress events, the pending message shown before
 * the upload finishes, a WebSocket reconnect in the middle, and the peer receiving the message
 * with its metadata and fetching the file.
 */
import WebSocket from 'ws';
import sharp from 'sharp';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { MediaBody, Message } from '@natter/protocol';
import { NatterClient, type PendingSend, type WebSocketFactory } from '@natter/client';
import { register, startTestServer, type TestServer } from '../harness.js';
import { jpegWithGps } from '../media-fixtures.js';

let t: TestServer;
const clients: NatterClient[] = [];
beforeEach(async () => {
  t = await startTestServer({ MEDIA_GC_INTERVAL_SECONDS: 0 });
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await t.close();
});

/** A client whose sockets the test can cut. */
function client(token: string): NatterClient & { seen: Message[]; sockets: WebSocket[] } {
  const sockets: WebSocket[] = [];
  class TrackedWS extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      sockets.push(this);
    }
  }
  const c = new NatterClient({ url: t.wsUrl, token, WebSocket: TrackedWS as unknown as WebSocketFactory, backoff: { initialMs: 20, maxMs: 200 } });
  const seen: Message[] = [];
  c.on('message', (m) => seen.push(m));
  clients.push(c);
  return Object.assign(c, { seen, sockets });
}

async function until(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

it('sendMedia: pending with progress at once, survives a reconnect mid-upload, delivered with metadata', { timeout: 60_000 }, async () => {
  const [a, b] = [await register(t.url), await register(t.url)];
  const alice = client(a.accessToken);
  const bob = client(b.accessToken);
  await Promise.all([alice.connect(), bob.connect()]);
  const chat = await alice.openDirect(b.userId);
  // Noise so the JPEG does not compress to almost nothing: several chunks of 16 KiB.
  const raw = Buffer.alloc(400 * 300 * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 7919) % 251;
  const jpeg = await sharp(raw, { raw: { width: 400, height: 300, channels: 3 } }).jpeg({ quality: 95 }).withExif({ IFD0: { Copyright: 'x' } }).toBuffer();
  expect(jpeg.length).toBeGreaterThan(64 * 1024);
  const progress: number[] = [];
  let pendingSeen: PendingSend[] = [];
  let cut = false;
  alice.on('upload', (p) => {
    progress.push(p.upload.sent);
    if (!cut && p.upload.sent > 0) {
      cut = true;
      // The pending message is there before the upload finishes…
      void alice.pendingSends().then((ps) => (pendingSeen = structuredClone(ps)));
      // …and the socket drops mid-upload: the send must still arrive once.
      alice.sockets.at(-1)!.terminate();
    }
  });
  const sent = await alice.sendMedia(chat.id, 'image', { data: jpeg, type: 'image/jpeg', name: 'noise.jpg' }, { caption: 'hi', chunkBytes: 16 * 1024 });
  expect(cut).toBe(true);
  expect(pendingSeen).toHaveLength(1);
  expect(pendingSeen[0]).toMatchObject({ msgType: 'image', upload: { type: 'image/jpeg', name: 'noise.jpg', total: jpeg.length, done: false } });
  expect(progress[0]).toBe(0);
  expect(progress.at(-1)).toBe(jpeg.length);
  expect(progress.length).toBeGreaterThan(3);
  expect(await alice.pendingSends()).toEqual([]);

  await until(() => bob.seen.some((m) => m.id === sent.id));
  const got = bob.seen.filter((m) => m.id === sent.id);
  expect(got).toHaveLength(1);
  const body = got[0]!.body as MediaBody;
  expect(got[0]!.type).toBe('image');
  expect(body).toMatchObject({ name: 'noise.jpg', caption: 'hi', mime: 'image/jpeg', kind: 'image', width: 400, height: 300 });
  expect(body.placeholder).toMatch(/^data:image\/webp;base64,/);
  const res = await fetch(`${t.url}/v1/media/${body.blobId}`, { headers: { authorization: `Bearer ${b.accessToken}` } });
  expect(res.status).toBe(200);
  expect((await sharp(Buffer.from(await res.arrayBuffer())).metadata()).exif).toBeUndefined();
});

it('sendMedia: a refused file rejects with the server’s code and leaves no pending send', async () => {
  const a = await register(t.url);
  const alice = client(a.accessToken);
  await alice.connect();
  const chat = await alice.createGroup({ title: 'solo', members: [] });
  const pdfLike = new TextEncoder().encode('%PDF-1.4 not an image at all, whatever the type says');
  await expect(alice.sendMedia(chat.id, 'image', { data: pdfLike, type: 'image/png' })).rejects.toMatchObject({ code: 'unsupported_media_type' });
  await expect(alice.sendMedia(chat.id, 'file', { data: await jpegWithGps(8, 8), type: 'image/jpeg', name: '../x' })).rejects.toMatchObject({ code: 'invalid_request' });
  expect(await alice.pendingSends()).toEqual([]);
});
