/**
 * The BlobStore contract: what DiskBlobStore and S3BlobStore both promise (media/blob-store.ts).
 *
 * @example
 * runBlobStoreContract('disk', async () => ({ store: new DiskBlobStore(dir), cleanup: async () => {} }));
 */
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { BlobNotFoundError, type BlobStore } from '@natter/server';

export interface BlobStoreFixture {
  store: BlobStore;
  cleanup(): Promise<void>;
}

async function bytesOf(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(Buffer.from(c as Buffer));
  return Buffer.concat(parts);
}

/** A body of `n` bytes made in 64 KiB pieces, never held whole. */
export function patternStream(n: number, seed = 0): Readable {
  return Readable.from(
    (function* () {
      for (let off = 0; off < n; off += 65536) {
        const len = Math.min(65536, n - off);
        const b = Buffer.allocUnsafe(len);
        for (let i = 0; i < len; i++) b[i] = (off + i + seed) & 0xff;
        yield b;
      }
    })(),
  );
}

export function runBlobStoreContract(name: string, create: () => Promise<BlobStoreFixture>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let f: BlobStoreFixture | undefined;
    const open = async () => (f = await create()).store;
    afterEach(async () => {
      await f?.store.close();
      await f?.cleanup();
      f = undefined;
    });

    it('stores a streamed body and reads it back whole and by range', async () => {
      const s = await open();
      await s.put('blobs/a1', patternStream(300_000), 300_000);
      expect(await s.stat('blobs/a1')).toEqual({ size: 300_000 });
      const whole = await bytesOf(await s.get('blobs/a1'));
      expect(whole.length).toBe(300_000);
      expect(whole[299_999]).toBe(299_999 & 0xff);
      const part = await bytesOf(await s.get('blobs/a1', { start: 1000, end: 1009 }));
      expect([...part]).toEqual(Array.from({ length: 10 }, (_, i) => (1000 + i) & 0xff));
    });

    it('a body shorter or longer than announced leaves nothing under the key', async () => {
      const s = await open();
      await expect(s.put('blobs/short', patternStream(1000), 2000)).rejects.toThrow();
      expect(await s.stat('blobs/short')).toBeNull();
      await expect(s.put('blobs/long', patternStream(3000), 2000)).rejects.toThrow();
      expect(await s.stat('blobs/long')).toBeNull();
    });

    it('a body that fails midway leaves nothing, and an existing object stays as it was', async () => {
      const s = await open();
      await s.put('blobs/keep', patternStream(10), 10);
      // The failure comes after the first bytes had time to reach the store, as a client that
      // goes away mid-upload does (failing at once can abort before the store sees the request).
      let sent = false;
      const failing = new Readable({
        read() {
          if (sent) return;
          sent = true;
          this.push(Buffer.alloc(1000));
          setTimeout(() => this.destroy(new Error('client went away')), 150);
        },
      });
      await expect(s.put('blobs/keep', failing, 5000)).rejects.toThrow();
      expect(await s.stat('blobs/keep')).toEqual({ size: 10 });
    });

    it('lists keys under a prefix in order, and deletes (idempotently)', async () => {
      const s = await open();
      for (const k of ['uploads/u1/0000000000000002', 'uploads/u1/0000000000000000', 'uploads/u2/0000000000000000']) {
        await s.put(k, patternStream(3), 3);
      }
      expect(await s.list('uploads/u1/')).toEqual(['uploads/u1/0000000000000000', 'uploads/u1/0000000000000002']);
      await s.delete('uploads/u1/0000000000000000');
      await s.delete('uploads/u1/0000000000000000');
      expect(await s.list('uploads/u1/')).toEqual(['uploads/u1/0000000000000002']);
      expect(await s.list('uploads/none/')).toEqual([]);
    });

    it('a missing object: stat null, get rejects with BlobNotFoundError', async () => {
      const s = await open();
      expect(await s.stat('blobs/missing')).toBeNull();
      await expect(s.get('blobs/missing')).rejects.toBeInstanceOf(BlobNotFoundError);
    });

    it('refuses keys that could leave the store: .., absolute paths, control characters', async () => {
      const s = await open();
      for (const k of ['../escape', 'blobs/../../escape', '/etc/passwd', 'blobs/a\u0000b', 'blobs/a\nb', 'blobs/./x', 'blobs\\..\\x', '']) {
        await expect(s.put(k, patternStream(1), 1)).rejects.toThrow(/invalid blob key/);
        await expect(s.get(k)).rejects.toThrow(/invalid blob key/);
      }
    });
  });
}
