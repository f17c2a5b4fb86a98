/**
 * Media for the SDK: uploads a file to the server's chunked upload API (docs/media.md) with
 * progress, resuming from the server's offset after a network failure, so that the client can
 * then send an image/file/voice/video message carrying it. Works with the global `fetch`
 * (browsers, Node 20).
 */
import type { MediaInfo, UploadInfo } from '@natter/protocol/wire';
import { NatterClientError } from './connection.js';

export interface MediaFile {
  /** The bytes; a browser `Blob`/`File` works as well as a Uint8Array. */
  data: Uint8Array | Blob;
  /** The type the file claims (the server checks it against the bytes). */
  type: string;
  /** A display name (never used as a path); no `/`, `\` or control characters. */
  name?: string;
}

export interface UploadProgress {
  uploadId: string;
  sent: number;
  total: number;
}

export interface UploadOptions {
  /** Bytes per request (default 1 MiB). */
  chunkBytes?: number;
  onProgress?: (p: UploadProgress) => void;
  /** Resume this upload instead of creating one. */
  uploadId?: string;
  /** Gives up after this many failed attempts in a row (default 8). */
  maxAttempts?: number;
}

const sizeOf = (d: Uint8Array | Blob) => (d instanceof Uint8Array ? d.byteLength : d.size);
const slice = (d: Uint8Array | Blob, a: number, b: number) => d.slice(a, b);

export class MediaUploader {
  constructor(
    private readonly baseUrl: string,
    private readonly token: () => Promise<string>,
  ) {}

  private async call(method: string, path: string, body?: BodyInit, headers: Record<string, string> = {}): Promise<UploadInfo> {
    const res = await fetch(this.baseUrl + path, { method, headers: { authorization: `Bearer ${await this.token()}`, ...headers }, ...(body !== undefined && { body }) });
    const json = (await res.json().catch(() => null)) as (UploadInfo & { error?: { code: string; message: string; retryable: boolean; details?: Record<string, unknown> } }) | null;
    if (!res.ok) {
      const e = json?.error;
      throw new NatterClientError(e?.code ?? 'internal', e?.message ?? `HTTP ${res.status}`, e?.retryable ?? res.status >= 500, e?.details);
    }
    return json!;
  }

  /**
   * A short-lived URL for a blob (or its thumbnail) that works without the Authorization header —
   * for `<img src>`, `<audio src>` and download links. Absolute, on the server's HTTP origin.
   */
  async signedUrl(blobId: string, variant: 'original' | 'thumbnail' = 'original'): Promise<{ url: string; expiresAt: number }> {
    const res = await fetch(`${this.baseUrl}/v1/media/${encodeURIComponent(blobId)}/url?variant=${variant}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await this.token()}` },
    });
    const json = (await res.json().catch(() => null)) as { url?: string; expiresAt?: number; error?: { code: string; message: string; retryable: boolean } } | null;
    if (!res.ok || !json?.url) {
      const e = json?.error;
      throw new NatterClientError(e?.code ?? 'internal', e?.message ?? `HTTP ${res.status}`, e?.retryable ?? res.status >= 500);
    }
    return { url: this.baseUrl + json.url, expiresAt: json.expiresAt ?? 0 };
  }

  /** Creates an upload (size and quota are checked now). */
  create(file: MediaFile): Promise<UploadInfo> {
    return this.call('POST', '/v1/uploads', JSON.stringify({ size: sizeOf(file.data), type: file.type, ...(file.name && { name: file.name }) }), {
      'content-type': 'application/json',
    });
  }

  status(uploadId: string): Promise<UploadInfo> {
    return this.call('GET', `/v1/uploads/${uploadId}`);
  }

  /**
   * Uploads the whole file and resolves with its metadata once the server has checked it.
   * A failed chunk (network, server restart) is retried from the offset the server reports.
   */
  async upload(file: MediaFile, o: UploadOptions = {}): Promise<{ uploadId: string; media: MediaInfo }> {
    const chunk = o.chunkBytes ?? 1 << 20;
    const total = sizeOf(file.data);
    let info = o.uploadId ? await this.status(o.uploadId) : await this.create(file);
    let failures = 0;
    while (info.state !== 'ready') {
      const from = info.offset;
      const to = Math.min(total, from + chunk);
      try {
        info = await this.call('PATCH', `/v1/uploads/${info.id}`, slice(file.data, from, to) as BodyInit, {
          'content-type': 'application/offset+octet-stream',
          'upload-offset': String(from),
        });
        failures = 0;
        o.onProgress?.({ uploadId: info.id, sent: info.offset, total });
      } catch (err) {
        const retry = !(err instanceof NatterClientError) || err.retryable || err.code === 'upload_incomplete';
        if (!retry || ++failures >= (o.maxAttempts ?? 8)) throw err;
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** failures)));
        info = await this.status(info.id).catch(() => info);
      }
    }
    return { uploadId: info.id, media: info.media! };
  }
}

/** The HTTP base of a server from its WebSocket URL: `wss://h/v1/ws` → `https://h`. */
export function httpBaseOf(wsUrl: string): string {
  const u = new URL(wsUrl);
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
  return `${u.protocol}//${u.host}`;
}
