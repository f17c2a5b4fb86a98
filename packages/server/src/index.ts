/**
 * @natter/server — embed or start a Natter server. Everything another package may use is
 * exported here (the SDK's and the test kit's tests included); nothing outside reaches into src/.
 */
/** Start a server from a Config; pick the Store and Bus a Config names. */
export { startNatter, openStore, openBus, openEphemeral, type NatterServer, type NatterDeps } from './server.js';
/** Read and validate the configuration from the environment and overrides. */
export { loadConfig, ConfigError, type Config } from './config.js';
/** Time as the core sees it, so an embedder (or a test) can move it instead of sleeping. */
export { systemClock, type Clock } from './core/clock.js';
/** The structured logger with secrets redacted; pass your own as NatterDeps.logger. */
export { createLogger, type Logger } from './log.js';
/** Persistence: the Store interface and the records its methods take and return. */
export type {
  Store,
  UserRecord,
  DeviceRecord,
  NewUser,
  NewDevice,
  RotateOutcome,
  NewMessage,
  AppendOutcome,
  NewConversation,
  MembershipChange,
  MemberView,
  CreatedConversation,
  MembershipOutcome,
  ConversationState,
  PageQuery,
  CursorOutcome,
  SyncPage,
  ReceiptCursors,
  MemberReceiptCursor,
  PresenceAudience,
  GroupOutcome,
  InviteOutcome,
  NewGroupInvite,
} from './store/store.js';
export type { RoomStore, RoomPatch, NewBroadcast, FatigueRules } from './store/rooms-store.js';
export type { MessageSearch, SearchCursor, SearchStore } from './store/search.js';
/** Group management: the changes a store applies (docs/groups.md). */
export type { GroupChange } from './store/rules/groups.js';
export type { MessageAction } from './store/rules/message-actions.js';
/** The Store in this process's memory, for tests; another MemoryStore may take over its MemoryTables. */
export {
  MemoryStore,
  MemoryTables,
  MemoryConstraintError,
  MemoryStoreClosedError,
  type MemoryStoreOptions,
} from './store/memory/memory-store.js';
/** The session path's parts, for the bench's micro-benchmark of a frame after the socket (bench/src/micro/ack.ts). */
export { Session, type SessionDeps } from './core/session.js';
export type { Connection } from './core/connection.js';
export { ConnectionCaps } from './core/connection-caps.js';
export { Delivery } from './core/delivery/delivery.js';
export { DomainEvents } from './core/events.js';
export { FairShare, DEFAULT_FAIR_SHARE } from './core/fair-share.js';
export { Messaging } from './core/messaging.js';
/** Store implementations for a server: SQLite (in-process or on its own thread) and PostgreSQL. */
export { SqliteStore } from './store/sqlite/sqlite-store.js';
export { SqliteWorkerStore } from './store/sqlite/worker-store.js';
// For bench/src/micro/search-index.ts: the message-search indexer on its own.
export { SearchIndexer, SEARCH_FTS_OPTIONS, searchFilePath } from './store/sqlite/search-indexer.js';
export { PostgresStore, type PostgresStoreOptions } from './store/postgres/postgres-store.js';
/** Fan-out between processes: the Bus interface, its optional reconnect capability and its error. */
export { isReconnectingBus, type Bus, type BusHandler, type ReconnectingBus } from './bus/bus.js';
export { BusUnavailableError, type BusLogger } from './bus/errors.js';
/** Bus implementations: in-process (one MemoryBroker shared by the buses it attaches), Redis, NATS. */
export { MemoryBus, MemoryBroker } from './bus/memory/memory-bus.js';
export { RedisBus, type RedisBusOptions } from './bus/redis/redis-bus.js';
export { NatsBus, type NatsBusOptions } from './bus/nats/nats-bus.js';
/** Ephemeral state (presence, typing, rate windows): interface, longest TTL, error, backend from a URL. */
export { MAX_TTL_MS, type Ephemeral, type WindowCount } from './ephemeral/ephemeral.js';
export { EphemeralUnavailableError, type EphemeralLogger } from './ephemeral/errors.js';
export { createEphemeral, type EphemeralOptions } from './ephemeral/factory.js';
/** Ephemeral backends: in-process (the instances of one MemoryEphemeralSpace share it), Redis, NATS KV. */
export { MemoryEphemeral, MemoryEphemeralSpace } from './ephemeral/memory/memory-ephemeral.js';
export { RedisEphemeral, type RedisEphemeralOptions } from './ephemeral/redis/redis-ephemeral.js';
export { NatsEphemeral, type NatsEphemeralOptions } from './ephemeral/nats/nats-ephemeral.js';
/** Run a server as `natter-server` does (configuration from the environment), and the setting names for a CLI. */
export { runServer } from './run.js';
export { configSchema } from './config.js';
export { inviteHash } from './core/user-admin.js';
/** Live-room frames as the server encodes them (for the bench's micro-benchmark of encodings). */
export { encodeRoomMessage, roomFrame, type RoomEncoding } from './core/rooms/room-codec.js';

export { BlobNotFoundError, BlobSizeError, BLOB_KEY, type BlobStore, type ByteRange } from './media/blob-store.js';
export { DiskBlobStore } from './media/disk-blob-store.js';
export { S3BlobStore, parseS3Url, type S3BlobStoreOptions } from './media/s3-blob-store.js';
export type { BlobRecord, BlobRef, MediaRecords, NewUpload, GarbageQuery } from './store/media.js';
export { MediaService, type MediaLimits } from './media/media-service.js';
