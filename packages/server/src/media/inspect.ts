/**
 * What a blob's bytes are, decided from the bytes alone: the type (file-type's magic numbers),
 * and for images the pixels (sharp, with a pixel limit checked on the header before anything is
 * decoded), an upright copy with every metadata block (EXIF, GPS, XMP, ICC comments) dropped, a
 * thumbnail and a tiny blurred placeholder; for audio and video the duration where the container
 * states it (music-metadata, reading the stream once, no external toolchain).
 */
import { NatterError, type MediaInfo, type MediaKind } from '@natter/protocol';
import { fileTypeFromBuffer } from 'file-type';
import { parseStream } from 'music-metadata';
import sharp, { type Metadata } from 'sharp';
import { Transform, type Readable } from 'node:stream';

/** Bytes file-type needs to recognise every type it knows. */
export const SNIFF_BYTES = 4100;
/** The type given to content no signature matches (plain text, CSV, …): served as an attachment. */
export const UNKNOWN_TYPE = 'application/octet-stream';
/** Image types decoded and re-encoded here; any other image type is treated as a plain file. */
const DECODED_IMAGES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif']);
const THUMB_SIZE = 320;
const PLACEHOLDER_SIZE = 16;
const DURATION_TIMEOUT_MS = 5000;

export function kindOf(mime: string): MediaKind {
  if (DECODED_IMAGES.has(mime)) return 'image';
  if (mime.startsWith('audio/')) return 'audio';
  if (mime.startsWith('video/')) return 'video';
  return 'file';
}

/** The type of the bytes in `head` (the first SNIFF_BYTES or the whole blob if shorter). */
export async function sniff(head: Buffer): Promise<string> {
  const t = await fileTypeFromBuffer(head);
  return t?.mime ?? UNKNOWN_TYPE;
}

/**
 * Passes a stream through, but holds its first SNIFF_BYTES until `check(head)` has resolved: a
 * rejection fails the stream before any byte of it has gone further (nothing is written).
 */
export function sniffGate(check: (head: Buffer) => Promise<void>): Transform {
  let held: Buffer[] = [];
  let heldBytes = 0;
  let open = false;
  const release = (t: Transform, done: (err?: Error | null) => void) => {
    const head = Buffer.concat(held);
    held = [];
    check(head.subarray(0, SNIFF_BYTES)).then(
      () => {
        open = true;
        t.push(head);
        done();
      },
      (err: Error) => done(err),
    );
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (open) return done(null, chunk);
      held.push(chunk);
      heldBytes += chunk.length;
      if (heldBytes < SNIFF_BYTES) return done();
      release(this, done);
    },
    flush(done) {
      if (open) return done();
      release(this, done);
    },
  });
}

export interface ImageResult {
  /** The stored image: upright, metadata stripped, same format. */
  data: Buffer;
  thumbnail: Buffer;
  info: MediaInfo;
}

/**
 * Checks and re-encodes an image held in `input` (its size is bounded by MEDIA_MAX_IMAGE_BYTES).
 * Throws `image_too_large` when width × height passes `maxPixels`, read from the header before
 * any pixel is decoded, and `unsupported_media_type` when it does not decode.
 */
export async function processImage(input: Buffer, mime: string, maxPixels: number): Promise<ImageResult> {
  const animated = mime === 'image/gif' || mime === 'image/webp';
  let meta: Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: maxPixels, animated }).metadata();
  } catch (err) {
    if (/pixel limit/i.test((err as Error).message)) throw tooManyPixels(maxPixels);
    throw new NatterError('unsupported_media_type', 'the image does not decode', undefined, { cause: err });
  }
  const w = meta.width ?? 0;
  const h = meta.pageHeight ?? meta.height ?? 0;
  if (w * h > maxPixels || w === 0 || h === 0) throw tooManyPixels(maxPixels);
  try {
    const base = sharp(input, { limitInputPixels: maxPixels, animated, failOn: 'error' }).rotate();
    // sharp writes no metadata unless asked (withMetadata/keepExif): EXIF with its GPS is gone.
    const encoded =
      mime === 'image/jpeg'
        ? base.jpeg({ quality: 90, mozjpeg: true })
        : mime === 'image/png'
          ? base.png()
          : mime === 'image/webp'
            ? base.webp({ quality: 90 })
            : base.gif();
    const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
    const height = info.pageHeight ?? info.height;
    const thumb = await sharp(data, { limitInputPixels: maxPixels })
      .resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 70 })
      .toBuffer({ resolveWithObject: true });
    const tiny = await sharp(data, { limitInputPixels: maxPixels })
      .resize(PLACEHOLDER_SIZE, PLACEHOLDER_SIZE, { fit: 'inside' })
      .blur(1.2)
      .webp({ quality: 40 })
      .toBuffer();
    return {
      data,
      thumbnail: thumb.data,
      info: {
        mime,
        kind: 'image',
        size: data.length,
        width: info.width,
        height,
        thumbnail: { width: thumb.info.width, height: thumb.info.height, mime: 'image/webp' },
        placeholder: `data:image/webp;base64,${tiny.toString('base64')}`,
      },
    };
  } catch (err) {
    if (err instanceof NatterError) throw err;
    if (/pixel limit/i.test((err as Error).message)) throw tooManyPixels(maxPixels);
    throw new NatterError('unsupported_media_type', 'the image does not decode', undefined, { cause: err });
  }
}

/**
 * Width × height from an image's first bytes when its header is among them (PNG, GIF, WebP and
 * most JPEGs): a pixel flood is refused at the first chunk instead of after the whole upload.
 * Throws `image_too_large`; says nothing when the header cannot be read yet (checked at the end).
 */
export async function checkPixelsEarly(head: Buffer, maxPixels: number): Promise<void> {
  let meta: Metadata;
  try {
    meta = await sharp(head, { limitInputPixels: false }).metadata();
  } catch {
    return;
  }
  if ((meta.width ?? 0) * (meta.pageHeight ?? meta.height ?? 0) > maxPixels) throw tooManyPixels(maxPixels);
}

function tooManyPixels(maxPixels: number): NatterError {
  return new NatterError('image_too_large', `images may have at most ${maxPixels} pixels`, { maxPixels });
}

/** The duration the container states, in ms, or undefined (never throws: it is a nicety). */
export async function durationOf(stream: Readable, mime: string, size: number): Promise<number | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    // A container the parser waits on for ever must not hold the upload's answer.
    const late = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, DURATION_TIMEOUT_MS, undefined)));
    const m = await Promise.race([parseStream(stream, { mimeType: mime, size }, { duration: false, skipCovers: true, skipPostHeaders: true }), late]);
    if (!m) return undefined;
    const d = m.format.duration;
    return typeof d === 'number' && Number.isFinite(d) && d > 0 ? Math.round(d * 1000) : undefined;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
    stream.destroy();
  }
}
