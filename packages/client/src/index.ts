/** @natter/client — the Natter SDK for browsers and Node. */
export { NatterClient, newClientMsgId, type NatterClientOptions, type ClientEvents, type SendOptions } from './client.js';
export {
  ConversationList,
  compareListItems,
  totalUnreadOf,
  type ConversationListItem,
  type ConversationListEvents,
  type ConversationListSource,
} from './conversation-list.js';
export { ReceiptBook, type ConversationReceipts } from './receipts.js';
export type { RoomEvents } from './rooms.js';
export type { RoomWatchEvents } from './room-watch.js';
export { NatterRoomViewer, type NatterRoomViewerOptions, type RoomViewerEvents } from './room-viewer.js';
export { MemoryCache, type ClientCache, type PendingSend, type PendingUpload } from './cache.js';
export { MediaUploader, httpBaseOf, type MediaFile, type UploadOptions, type UploadProgress } from './media.js';
export { NatterClientError, type ConnectionState, type WebSocketLike, type WebSocketFactory } from './connection.js';
export { backoffDelay, type BackoffOptions } from '@natter/protocol/wire';
export type * from '@natter/protocol/wire';
export {
  NatterAuth,
  NatterHttpError,
  MemorySessionStore,
  type AuthSession,
  type SessionStore,
  type NatterAuthOptions,
  type Credentials,
  type DeviceInfo,
} from './auth.js';
export { IndexedDbCache } from './indexeddb-cache.js';
export { TYPING_RESEND_MS, type TypingEvent } from './presence.js';
