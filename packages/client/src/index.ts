/** @natter/client — the Natter SDK for browsers and Node. */
export { NatterClient, newClientMsgId, type NatterClientOptions, type ClientEvents, type SendOptions } from './client.js';
export type { RoomEvents } from './rooms.js';
export { MemoryCache, type ClientCache, type PendingSend } from './cache.js';
export { NatterClientError, type ConnectionState, type WebSocketLike, type WebSocketFactory } from './connection.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export type * from '@natter/protocol';
