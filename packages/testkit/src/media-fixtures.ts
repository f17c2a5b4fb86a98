/**
 * Files for media tests, made here rather than shipped: a JPEG carrying EXIF GPS, a PNG that
 * claims 30,000 × 30,000 pixels (a decompression bomb: ~100 KB on the wire, 2.7 GB decoded), a
 * short WAV, a PDF-looking document, and helpers to upload through the REST API in chunks.
 */
import { request } from 'node:http';
import { deflateSync } from 'node:zlib';
import { Readable } from 'node:stream';
import sharp from 'sharp';

export async function jpegWithGps(width = 640, height = 480): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#3366cc' } })
    .jpeg()
    .withExif({ IFD0: { Copyright: 'natter-test' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 0/1' } })
    .toBuffer();
}

export function pngFlood(side = 30_000): Buffer {
  const crc = (buf: Buffer) => {
    let c = ~0;
    for (const b of buf) {
      c ^= b;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
    }
    return ~c >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 1; // bit depth 1
  ihdr[9] = 0; // greyscale
  // Only the first rows' data: enough for a header-level check, and a decoder would still
  // allocate the whole canvas before finding the data short.
  const rows = Buffer.alloc((Math.ceil(side / 8) + 1) * 64);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

/** A mono 8 kHz 16-bit WAV of `seconds` of silence. */
export function wav(seconds = 2): Buffer {
  const rate = 8000;
  const data = rate * 2 * seconds;
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data, 4);
  h.write('WAVE', 8);
  h.write('fmt ', 12);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(data, 40);
  return Buffer.concat([h, Buffer.alloc(data)]);
}

export function pdf(size = 10_000): Buffer {
  const head = Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n', 'latin1');
  return Buffer.concat([head, Buffer.alloc(size - head.length, 0x20)]);
}

export interface Answer {
  status: number;
  body: any;
}

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  try {
    return { status: res.status, body: text ? JSON.parse(text) : null };
  } catch {
    return { status: res.status, body: text };
  }
}

export async function createUpload(base: string, token: string, size: number, type: string, name?: string): Promise<Answer> {
  const res = await fetch(`${base}/v1/uploads`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ size, type, ...(name !== undefined && { name }) }),
  });
  return answer(res);
}

export async function sendChunk(base: string, token: string, id: string, offset: number, bytes: Buffer | Readable, length?: number): Promise<Answer> {
  const len = length ?? (bytes as Buffer).length;
  const res = await fetch(`${base}/v1/uploads/${id}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/offset+octet-stream', 'upload-offset': String(offset), 'content-length': String(len) },
    body: bytes instanceof Readable ? (Readable.toWeb(bytes) as ReadableStream) : bytes,
    ...(bytes instanceof Readable && { duplex: 'half' }),
  } as RequestInit);
  return answer(res);
}

/** Creates an upload and sends `data` in chunks of `chunk` bytes; the last answer. */
export async function uploadAll(base: string, token: string, data: Buffer, type: string, name?: string, chunk = 1 << 20): Promise<Answer> {
  const c = await createUpload(base, token, data.length, type, name);
  if (c.status !== 201) return c;
  let last: Answer = c;
  for (let off = 0; off < data.length; off += chunk) {
    last = await sendChunk(base, token, c.body.id, off, data.subarray(off, off + chunk));
    if (last.status !== 200) return last;
  }
  return last;
}

/**
 * Sends a chunk announcing `announced` bytes but writes only `sent`, then drops the connection:
 * a client whose network died mid-upload.
 */
export function sendTruncatedChunk(base: string, token: string, id: string, offset: number, announced: number, sent: number): Promise<void> {
  return new Promise((resolve) => {
    const u = new URL(`${base}/v1/uploads/${id}`);
    const req = request({
      host: u.hostname,
      port: u.port,
      path: u.pathname,
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/offset+octet-stream', 'upload-offset': String(offset), 'content-length': String(announced) },
    });
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.write(Buffer.alloc(sent, 7), () => setTimeout(() => req.destroy(), 50));
  });
}
