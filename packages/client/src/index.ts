/** @natter/client — the Natter SDK for browsers and Node. */
export { NatterClient, newClientMsgId, type NatterClientOptions, type ClientEvents, type SendOptions } from './client.js';
export { MemoryCache, type ClientCache, type PendingSend, type PendingUpload } from './cache.js';
export { MediaUploader, httpBaseOf, type MediaFile, type UploadOptions, type UploadProgress } from './media.js';
export { NatterClientError, type ConnectionState, type WebSocketLike, type WebSocketFactory } from './connection.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export type * from '@natter/protocol';
