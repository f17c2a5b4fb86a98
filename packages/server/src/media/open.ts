/** Builds the process's MediaService from config: the blob store BLOB_STORE_URL names (or the disk), the limits. */
import { join } from 'node:path';
import type { Clock } from '../core/clock.js';
import type { Config } from '../config.js';
import type { Store } from '../store/store.js';
import type { BlobStore } from './blob-store.js';
import { mediaLimits } from './config.js';
import { DiskBlobStore } from './disk-blob-store.js';
import { MediaService } from './media-service.js';
import { S3BlobStore, parseS3Url } from './s3-blob-store.js';

export async function openBlobStore(config: Config): Promise<BlobStore> {
  if (!config.BLOB_STORE_URL) return new DiskBlobStore(join(config.dataDir, 'media'));
  const s3 = new S3BlobStore(parseS3Url(config.BLOB_STORE_URL));
  await s3.ensureBucket();
  return s3;
}

export async function openMedia(config: Config, store: Store, clock: Clock, secret: string, blobs?: BlobStore): Promise<MediaService> {
  return new MediaService(store, blobs ?? (await openBlobStore(config)), clock, mediaLimits(config), secret);
}
