/**
 * Signed URLs for the media a chat shows (`<img>`, `<audio>`, downloads). The server signs them for
 * a short time; one is reused until shortly before it expires so a re-render does not ask again.
 */
import type { NatterClient } from '@natter/client';

/** How long before its expiry a signed URL is no longer handed out. */
const MARGIN_MS = 30_000;

export class MediaUrls {
  private readonly urls = new Map<string, { url: string; expiresAt: number }>();

  constructor(private readonly client: NatterClient) {}

  /** A URL for a blob this user may see (signed, short-lived, cached). */
  async get(blobId: string, variant: 'original' | 'thumbnail' = 'original'): Promise<string> {
    const key = `${variant}:${blobId}`;
    const hit = this.urls.get(key);
    if (hit && hit.expiresAt - Date.now() > MARGIN_MS) return hit.url;
    const fresh = await this.client.uploader.signedUrl(blobId, variant);
    this.urls.set(key, fresh);
    return fresh.url;
  }
}
