import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';
import { mediaLimits } from './config.js';

describe('media settings', () => {
  it('defaults: disk store, documented limits', () => {
    const c = loadConfig({});
    expect(c.BLOB_STORE_URL).toBeUndefined();
    const l = mediaLimits(c);
    expect(l.maxBytes).toEqual({ image: 20 * 2 ** 20, audio: 50 * 2 ** 20, video: 500 * 2 ** 20, file: 200 * 2 ** 20 });
    expect(l.quotaBytes).toBe(5 * 2 ** 30);
    expect(l.maxPixels).toBe(50_000_000);
    expect(l.allowedTypes.has('image/jpeg')).toBe(true);
    expect(l.allowedTypes.has('application/x-msdownload')).toBe(false);
  });

  it('refuses a wrong BLOB_STORE_URL or limit with a message naming it, without echoing the secret', () => {
    let err: unknown;
    try {
      loadConfig({ BLOB_STORE_URL: 's3://bucket', MEDIA_MAX_PIXELS: '0' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(String((err as Error).message)).toMatch(/BLOB_STORE_URL: expected s3\+http/);
    expect(String((err as Error).message)).toMatch(/MEDIA_MAX_PIXELS/);
    try {
      loadConfig({ BLOB_STORE_URL: 's3+http://AKID:supersecret@host' });
    } catch (e) {
      expect(String((e as Error).message)).not.toContain('supersecret');
    }
    expect(loadConfig({ BLOB_STORE_URL: 's3+https://AKID:secret@s3.example.com/media' }).BLOB_STORE_URL).toBe('s3+https://AKID:secret@s3.example.com/media');
  });
});
