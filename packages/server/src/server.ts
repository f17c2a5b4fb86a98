/**
 * Wires one Natter process together: Store, Bus, core services, HTTP API and the WebSocket
 * gateway. `startNatter` is what main.ts and the tests call; it returns a handle whose
 * `close()` shuts down gracefully (stop accepting, close sockets, drain commits, write the delivery
 * cursors kept in memory, close the store).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { RegisteredConnectionCap } from './core/connection-caps.js';
import { prepareDatabaseFile, prepareDataDir } from './data-dir.js';
import { clientAddress, createHttpServer } from './http/http-server.js';
import { serveMetrics } from './http/metrics-route.js';
import { Accounts } from './core/accounts.js';
import { UserAdmin } from './core/user-admin.js';
import { systemClock, type Clock } from './core/clock.js';
import { Delivery } from './core/delivery/delivery.js';
import { DomainEvents } from './core/events.js';
import { Receipts } from './core/receipts.js';
import { Settings } from './core/settings.js';
import { FairShare } from './core/fair-share.js';
import { Messaging } from './core/messaging.js';
import { PresenceService } from './core/presence/presence.js';
import { Typing } from './core/presence/typing.js';
import type { Ephemeral } from './ephemeral/ephemeral.js';
import { createEphemeral } from './ephemeral/factory.js';
import type { LoginLimiter, RegistrationLimiter } from './core/rate-limit.js';
import { FlexibleLoginLimiter, FlexibleRegistrationLimiter } from './limits/login-limiter.js';
import { Session, type SessionDeps } from './core/session.js';
import { Contacts } from './core/contacts.js';
import { FlexiblePeopleLimiter } from './limits/people-limiter.js';
import { userBudgets } from './limits/user-budget.js';
import { MessageSearchService } from './core/search.js';
import { registerSearchRoutes } from './http/routes-search.js';
import { registerMessageActionRoutes } from './http/routes-message-actions.js';
import { SyncTokens } from './core/sync-token.js';
import { TokenService } from './core/tokens.js';
import type { Bus } from './bus/bus.js';
import { MemoryBus } from './bus/memory/memory-bus.js';
import { SharedBus } from './bus/shared-bus.js';
import { Broadcasts } from './core/rooms/broadcasts.js';
import { Rooms } from './core/rooms/rooms.js';
import { newDeviceId } from './core/ids.js';
import { registerRoomRoutes } from './http/routes-rooms.js';
import { registerRoomMetrics } from './metrics-rooms.js';
import { NatsBus } from './bus/nats/nats-bus.js';
import { RedisBus } from './bus/redis/redis-bus.js';
import { ConfigError, type Config } from './config.js';
import { frameworkErrorHandler, installErrorHandlers } from './http/errors.js';
import { registerCors } from './http/cors.js';
import { serveOpenApi } from './http/openapi.js';
import { defaultWebDir, serveWebApp } from './http/web-app.js';
import { registerRoutes } from './http/routes.js';
import { registerSettingsRoutes } from './http/routes-settings.js';
import { registerPresenceRoutes } from './http/routes-presence.js';
import { registerMediaRoutes } from './http/routes-media.js';
import type { BlobStore } from './media/blob-store.js';
import type { MediaService } from './media/media-service.js';
import { openMedia } from './media/open.js';
import { registerGroupRoutes } from './http/routes-groups.js';
import { Groups } from './core/groups.js';
import { MessageActions } from './core/message-actions.js';
import { createLogger, type Logger } from './log.js';
import { Metrics } from './metrics.js';
import type { Store } from './store/store.js';
import { SqliteWorkerStore } from './store/sqlite/worker-store.js';
import { PostgresStore } from './store/postgres/postgres-store.js';
import { WebSocketGateway } from './transport/websocket.js';

export interface NatterDeps {
  store?: Store;
  bus?: Bus;
  /** Ephemeral state (presence); opened from EPHEMERAL_URL / BUS_URL when not given. */
  ephemeral?: Ephemeral;
  clock?: Clock;
  logger?: Logger;
  limiter?: LoginLimiter;
  registrationLimiter?: RegistrationLimiter;
  /** SQLite: the WAL length above which a warning is logged (default 1 GiB). */
  walWarnBytes?: number;
  /** SQLite: how long without a checkpoint before an error is logged (default 10 s). */
  checkpointStallMs?: number;
  /** Where uploads go; by default what BLOB_STORE_URL says (the disk under DATA_DIR when unset). */
  blobStore?: BlobStore;
}

export interface NatterServer {
  /** http://host:port of the listening server. */
  url: string;
  port: number;
  app: FastifyInstance;
  store: Store;
  metrics: Metrics;
  delivery: Delivery;
  /** Live rooms and broadcasts on this process. */
  rooms: Rooms;
  broadcasts: Broadcasts;
  /** The process's domain events: subscribe to act on what the core committed. */
  events: DomainEvents;
  /** Uploads and downloads; `onMessageRecalled` is the hook message recall calls. */
  media: MediaService;
  /** http://host:port of the separate metrics listener (METRICS_PORT), or null when /metrics is on the main port. */
  metricsUrl: string | null;
  close(): Promise<void>;
}

/** The signing secret: from config, else created once and kept in DATA_DIR. */
export function loadJwtSecret(config: Config): string {
  if (config.JWT_SECRET) return config.JWT_SECRET;
  prepareDataDir(config.dataDir);
  const file = join(config.dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  return secret;
}

export async function openStore(config: Config, logger?: Logger): Promise<Store> {
  const url = config.DATABASE_URL;
  if (url === undefined || url.startsWith('sqlite:')) {
    const path = url ? url.slice('sqlite:'.length) : join(config.dataDir, 'natter.db');
    if (path !== ':memory:') prepareDatabaseFile(path, logger);
    return SqliteWorkerStore.open({ path, durability: config.DURABILITY });
  }
  // PostgreSQL always commits synchronously: an acknowledged message must survive a crash of
  // the database too, not only of a Natter process. Group commit keeps that affordable.
  return PostgresStore.open({
    connectionString: url,
    poolMax: config.DATABASE_POOL_MAX,
    durability: 'full',
    ...(config.DATABASE_SCHEMA !== undefined && { schema: config.DATABASE_SCHEMA }),
  });
}

/** BUS_URL: unset or `memory:` (one process), `redis://`/`rediss://`, or `nats://`; channels named by BUS_PREFIX. */
export async function openBus(config: Config, logger?: Logger): Promise<Bus> {
  const url = config.BUS_URL;
  if (url === undefined || url.startsWith('memory:')) return new MemoryBus();
  // The URL may hold a password: the buses log state changes only, never the URL.
  if (url.startsWith('redis://') || url.startsWith('rediss://')) return RedisBus.connect(url, { logger, prefix: `${config.BUS_PREFIX}:` });
  if (url.startsWith('nats://')) return NatsBus.connect(url, { logger, prefix: config.BUS_PREFIX });
  throw new ConfigError('invalid configuration:\n  BUS_URL: expected memory:, redis://, rediss:// or nats://');
}

/**
 * EPHEMERAL_URL when set (a failure to reach it stops start-up). Unset: the Redis or NATS of
 * BUS_URL, or memory. A bus server that cannot serve it (NATS started without JetStream) gives
 * memory with a warning: presence then covers this process's users only.
 */
export async function openEphemeral(config: Config, logger?: Logger, clock?: Clock): Promise<Ephemeral> {
  const options = { prefix: config.BUS_PREFIX, ...(logger && { logger }), ...(clock && { clock }) };
  if (config.EPHEMERAL_URL !== undefined) return createEphemeral(config.EPHEMERAL_URL, options);
  const bus = config.BUS_URL;
  if (bus === undefined || bus.startsWith('memory:')) return createEphemeral(undefined, options);
  try {
    return await createEphemeral(bus, options);
  } catch (err) {
    logger?.warn(
      { err },
      'ephemeral state cannot use the BUS_URL server (NATS needs JetStream: nats-server -js); presence is per process until EPHEMERAL_URL names a shared one',
    );
    return createEphemeral(undefined, options);
  }
}

/** A WAL this long has not started over for many seconds of heavy writes, or minutes of light ones. */
const WAL_WARN_BYTES = 1024 ** 3;
/** How often the WAL's length is looked at, and how often at most the warning is repeated. */
const WAL_WATCH_MS = 1000;
const WAL_WARN_EVERY_MS = 60_000;

/** Checkpoints run four times a second; this long without one is a fault, not a busy moment. */
const CHECKPOINT_STALL_MS = 10_000;

/**
 * Warns when the SQLite WAL keeps growing: it starts over four times a second, unless a read
 * transaction held open on the database keeps the frames it may still read. The disk then fills
 * at the rate of writes until that reader ends. Also logs when checkpoints stop altogether (the
 * checkpointer thread failing again and again) and each failure of that thread, at most once a
 * minute each: nothing else would tell an operator before the disk is full. Likewise the search
 * indexer's failures, and searches that stopped waiting for it.
 */
function watchWal(store: SqliteWorkerStore, warnBytes: number, stallMs: number, logger: Logger): NodeJS.Timeout {
  const lastLogged = { wal: 0, stall: 0, thread: 0, indexer: 0, behind: 0 };
  const due = (what: keyof typeof lastLogged) => {
    if (Date.now() - lastLogged[what] < WAL_WARN_EVERY_MS) return false;
    lastLogged[what] = Date.now();
    return true;
  };
  store.onCheckpointerError = (err) => {
    if (due('thread')) logger.error({ err }, 'the SQLite checkpointer thread failed; it is started again in a second');
  };
  // The search indexer's too (docs/search.md): searches then answer from what is indexed.
  store.onSearchIndexerError = (err) => {
    if (due('indexer')) logger.error({ err }, 'SQLite search indexing failed; it is tried again (the thread, if it died, in a second)');
  };
  store.onSearchIndexBehind = (waitedMs) => {
    if (due('behind')) logger.warn({ waitedMs }, 'a search waited for the search index to catch up and went ahead without: recent messages may be missing from its results');
  };
  let before = 0;
  const timer = setInterval(() => {
    const walBytes = store.walBytes() ?? 0;
    const checkpointAgeS = store.checkpointAgeSeconds() ?? 0;
    if (checkpointAgeS * 1000 >= stallMs && due('stall')) {
      logger.error({ checkpointAgeS, walBytes }, 'SQLite checkpoints have stopped: the WAL grows with every write until they run again');
    }
    // Still growing: once the reader has gone the length stays put until the next write starts
    // the WAL over, and that is no reason to warn.
    const growing = walBytes > before;
    before = walBytes;
    if (walBytes < warnBytes || !growing || !due('wal')) return;
    logger.warn(
      { walBytes },
      'the SQLite WAL is not starting over: a read transaction held open on the database (a backup with VACUUM INTO, an open sqlite3 shell) keeps it growing until that reader ends',
    );
  }, WAL_WATCH_MS);
  timer.unref();
  return timer;
}

export async function startNatter(config: Config, deps: NatterDeps = {}): Promise<NatterServer> {
  const logger = deps.logger ?? createLogger(config.LOG_LEVEL, undefined, config.LOG_FORMAT);
  const clock = deps.clock ?? systemClock;
  for (const warning of config.warnings) logger.warn(warning);
  prepareDataDir(config.dataDir, logger);
  const store = deps.store ?? (await openStore(config, logger));
  // Shared: delivery, rooms and broadcasts each take the topics that are theirs.
  const bus = new SharedBus(deps.bus ?? (await openBus(config, logger)));
  const ephemeral = deps.ephemeral ?? (await openEphemeral(config, logger, deps.clock));
  const wal = store instanceof SqliteWorkerStore && store.walBytes() !== null ? store : null;
  const metrics = new Metrics(
    wal ? { walBytes: () => wal.walBytes() ?? 0, checkpointAgeSeconds: () => wal.checkpointAgeSeconds() ?? 0, threadBusySeconds: () => wal.threadBusySeconds() } : undefined,
  );
  const walWatch = wal ? watchWal(wal, deps.walWarnBytes ?? WAL_WARN_BYTES, deps.checkpointStallMs ?? CHECKPOINT_STALL_MS, logger) : null;
  const events = new DomainEvents();
  events.onError = (err, event) => logger.error({ err, event: event.type }, 'a domain event subscriber failed');
  const delivery = new Delivery(bus, store, clock);
  // Delivery to sockets is the first subscriber; webhooks, push and receipts come after it.
  events.subscribe((e) => delivery.publish(e));
  // Read and delivery receipts: derived from cursor moves, published through delivery.
  const receipts = new Receipts(store, events);
  events.subscribe((e) => receipts.handle(e));
  const settings = new Settings(store, events);
  let lastBusWarning = 0;
  delivery.onBusError = (err) => {
    metrics.busErrors.inc();
    // One line per few seconds is enough to tell an operator the bus is down.
    if (Date.now() - lastBusWarning > 5000) {
      lastBusWarning = Date.now();
      logger.warn({ err }, 'bus operation failed; live delivery degraded, clients will resync');
    }
  };
  const { rooms, broadcasts, roomEphemeral } = await startRooms(config, bus, store, clock, logger, metrics, delivery);
  const secret = loadJwtSecret(config);
  const tokens = new TokenService(secret, config.ACCESS_TOKEN_TTL_SECONDS);
  const limits = {
    account: config.LOGIN_ATTEMPTS_PER_ACCOUNT,
    ip: config.LOGIN_ATTEMPTS_PER_IP,
    delayBaseSeconds: config.LOGIN_DELAY_BASE_SECONDS,
    delayMaxSeconds: config.LOGIN_DELAY_MAX_SECONDS,
  };
  // In cluster mode the counters live in PostgreSQL, so every process sees every attempt.
  const pool = store instanceof PostgresStore ? store.pool : null;
  // Per-user budgets: in PostgreSQL when there is one, so a cluster counts together.
  const budget = userBudgets(pool);
  const limiter = deps.limiter ?? (pool ? FlexibleLoginLimiter.postgres(pool, limits) : FlexibleLoginLimiter.inMemory(limits));
  const registrations =
    deps.registrationLimiter ??
    (pool
      ? FlexibleRegistrationLimiter.postgres(pool, config.REGISTRATIONS_PER_IP_PER_HOUR)
      : FlexibleRegistrationLimiter.inMemory(config.REGISTRATIONS_PER_IP_PER_HOUR));
  const accounts = new Accounts(store, tokens, limiter, registrations, clock, { refreshTtlDays: config.REFRESH_TOKEN_TTL_DAYS }, async (userId, deviceIds) => {
    await events.emit({ type: 'device.revoked', userId, deviceIds });
  });
  const fairShare = new FairShare(clock, {
    userReads: { perSecond: config.USER_READS_PER_SECOND, burst: config.USER_READ_BURST },
    userWrites: { perSecond: config.USER_WRITES_PER_SECOND, burst: config.USER_WRITE_BURST },
    connectionReads: { perSecond: config.CONNECTION_READS_PER_SECOND, burst: config.CONNECTION_READ_BURST },
    connectionWrites: { perSecond: config.CONNECTION_WRITES_PER_SECOND, burst: config.CONNECTION_WRITE_BURST },
    // SQLite runs one request at a time on its thread: two reads keep it busy while a send waits
    // behind at most those two. PostgreSQL reads in parallel on the pool; half of it stays for writes.
    readConcurrency: config.STORE_READ_CONCURRENCY ?? (store instanceof PostgresStore ? Math.max(1, Math.floor(config.DATABASE_POOL_MAX / 2)) : 2),
  });
  const messaging = new Messaging(
    store,
    events,
    clock,
    {
      maxTextLength: config.MAX_TEXT_LENGTH,
      maxCustomBodyBytes: config.MAX_CUSTOM_BODY_BYTES,
      historyPageMaxBytes: config.HISTORY_PAGE_MAX_BYTES,
      retryResyncWindowMs: config.RETRY_RESYNC_WINDOW_SECONDS * 1000,
      syncTokens: new SyncTokens(secret),
      groupMaxMembers: config.GROUP_MAX_MEMBERS,
    },
    fairShare,
  );
  const peopleLimits = {
    searchesPerHour: config.USER_SEARCHES_PER_HOUR,
    lookupsPerHour: config.USER_LOOKUPS_PER_HOUR,
    friendRequestsPerDay: config.FRIEND_REQUESTS_PER_DAY,
  };
  const contacts = new Contacts(store, events, clock, new FlexiblePeopleLimiter(pool, peopleLimits), {
    discovery: config.USER_DISCOVERY,
    directMessages: config.DIRECT_MESSAGES,
    searchMinPrefix: config.USER_SEARCH_MIN_PREFIX,
    searchMinAccountAgeMs: config.USER_SEARCH_MIN_ACCOUNT_AGE_SECONDS * 1000,
  });
  messaging.relations = contacts;
  const perMinute = config.MESSAGE_SEARCHES_PER_MINUTE;
  const search = new MessageSearchService(store, budget('message_search', perMinute, 60, 'searches'));
  messaging.committer.onBatch = (n, queuedS, commitS) => {
    metrics.commitBatch.observe(n);
    metrics.commitQueue.observe(queuedS);
    metrics.commitDuration.observe(commitS);
  };
  const groups = new Groups(store, events, clock, { maxMembers: config.GROUP_MAX_MEMBERS }, budget('group_join', config.INVITE_JOIN_ATTEMPTS_PER_HOUR, 3600, 'invite codes tried'));
  const messageActions = new MessageActions(store, events, clock, {
    recallWindowMs: config.RECALL_WINDOW_SECONDS * 1000,
    maxTextLength: config.MAX_TEXT_LENGTH,
  }, {
    reactions: budget('reactions', config.REACTIONS_PER_MINUTE, 60, 'reactions'),
    hides: budget('message_hides', config.REACTIONS_PER_MINUTE, 60, 'messages deleted for you'),
  });
  messaging.cursors.hooks = { onError: (err) => logger.warn({ err }, 'delivery cursors not written; trying again') };
  const typing = new Typing(delivery, events, store, clock, {
    ttlMs: config.TYPING_TTL_MS,
    maxFrames: config.TYPING_MAX_FRAMES,
    windowMs: config.TYPING_WINDOW_MS,
  });
  let lastPresenceWarning = 0;
  const presence = new PresenceService(
    ephemeral,
    store,
    delivery,
    events,
    clock,
    { ttlMs: config.PRESENCE_TTL_MS, graceMs: config.PRESENCE_GRACE_MS, processId: randomBytes(8).toString('hex') },
    {
      onError(err, what) {
        // The Ephemeral backend down means one failure per user per tick: a line every few seconds.
        if (Date.now() - lastPresenceWarning < 5000) return;
        lastPresenceWarning = Date.now();
        logger.warn({ err }, `${what} failed; presence degraded`);
      },
    },
  );
  await presence.start();
  const media = await openMedia(config, store, clock, secret, deps.blobStore);
  messaging.media = media;
  messageActions.media = media;
  if (config.MEDIA_GC_INTERVAL_SECONDS > 0) {
    media.startCollector(config.MEDIA_GC_INTERVAL_SECONDS * 1000, (err) => logger.warn({ err }, 'media garbage collection failed; trying again later'));
  }

  const app = Fastify({
    loggerInstance: logger.child({}),
    // Per-request lines are noise at scale; errors are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.MAX_FRAME_BYTES,
    trustProxy: config.TRUST_PROXY,
    return503OnClosing: true,
    serverFactory: (handler) => createHttpServer(config, handler),
    frameworkErrors: frameworkErrorHandler(metrics),
  }) as unknown as FastifyInstance;
  installErrorHandlers(app, metrics);
  await registerCors(app, config.allowedOrigins);
  app.addHook('onResponse', async (req, reply) => {
    metrics.httpLatency.observe({ route: req.routeOptions.url ?? 'unknown', status: reply.statusCode }, reply.elapsedTime / 1000);
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  const metricsServer = await serveMetrics(app, config, {
    contentType: metrics.registry.contentType,
    render: () => {
      metrics.connections.set(gateway.size);
      metrics.authenticated.set(delivery.connectionCount);
      return metrics.registry.metrics();
    },
  });
  const users = new UserAdmin(store, clock, async (userId, deviceIds) => {
    await events.emit({ type: 'device.revoked', userId, deviceIds });
  });
  registerRoutes(app, { accounts, messaging, contacts, adminApiKey: config.ADMIN_API_KEY, registration: config.REGISTRATION, users });
  registerSettingsRoutes(app, { accounts, settings });
  registerPresenceRoutes(app, { accounts, presence, fairShare });
  registerRoomRoutes(app, { rooms, broadcasts, adminApiKey: config.ADMIN_API_KEY });
  registerMediaRoutes(app, { accounts, media });
  registerGroupRoutes(app, { accounts, messaging, groups });
  registerSearchRoutes(app, { accounts, messaging, search });
  registerMessageActionRoutes(app, { accounts, messaging, messageActions });
  serveOpenApi(app);
  const webDir = config.WEB_DIR === 'off' ? null : (config.WEB_DIR ?? defaultWebDir());
  if (webDir && !(await serveWebApp(app, webDir)) && config.WEB_DIR) logger.warn({ webDir }, 'WEB_DIR holds no built web app (index.html); serving the API only');

  // One deps object for every session (not one per connection: idle sockets are counted in KB).
  const frameMetrics = new Map<string, { count: { inc(): void }; latency: { observe(v: number): void } }>();
  const sessionDeps: SessionDeps = {
    accounts,
    messaging,
    receipts,
    settings,
    contacts,
    groups,
    messageActions,
    search,
    delivery,
    clock,
    authTimeoutMs: config.AUTH_TIMEOUT_MS,
    heartbeatSeconds: Math.round(config.HEARTBEAT_INTERVAL_MS / 1000),
    userConnections: new RegisteredConnectionCap(config.WS_MAX_PER_USER, (userId) => delivery.localConnectionCount(userId)),
    typing,
    presence,
    rooms,
    broadcasts,
    hooks: {
      onFrame(type, code, ms) {
        // The labelled children once per frame type: prom-client hashes the labels on every call
        // otherwise, and a busy server reads tens of thousands of acks a second.
        let m = frameMetrics.get(type);
        if (!m) frameMetrics.set(type, (m = { count: metrics.framesIn.labels({ type }), latency: metrics.frameLatency.labels({ type }) }));
        m.count.inc();
        m.latency.observe(ms / 1000);
        if (code) metrics.errors.inc({ code });
      },
      onError(err) {
        logger.error({ err }, 'frame handling failed');
      },
      onQuickFrame() {
        metrics.quickAcks++;
      },
    },
  };
  const gateway = new WebSocketGateway(app.server, {
    path: '/v1/ws',
    maxFrameBytes: config.MAX_FRAME_BYTES,
    maxSendQueueBytes: config.MAX_SEND_QUEUE_BYTES,
    heartbeatIntervalMs: config.HEARTBEAT_INTERVAL_MS,
    writeCoalesceMaxMs: config.WRITE_COALESCE_MAX_MS,
    allowedOrigins: config.allowedOrigins,
    maxInFlight: 1024,
    maxPerAddress: config.WS_MAX_PER_ADDRESS,
    clientAddress: (req) => clientAddress(req, config.TRUST_PROXY),
    openSession: (conn) => new Session(conn, sessionDeps),
    onOpen: () => metrics.connections.inc(),
    onClose: () => metrics.connections.dec(),
    onFrameIn: () => {},
    onFrameOut: () => metrics.framesOut.inc(),
    onOriginRejected: () => metrics.errors.inc({ code: 'origin_not_allowed' }),
    onServerClose: (reason) => metrics.closes.inc({ reason }),
  });

  // Fastify would log one "Server listening" line per network interface: its logger (a child of
  // ours) skips info while it listens, and the one line below says where the server is.
  const level = app.log.level;
  if (['info', 'debug', 'trace'].includes(level)) app.log.level = 'warn';
  await app.listen({ port: config.PORT, host: config.HOST }).finally(() => (app.log.level = level));
  const port = (app.server.address() as AddressInfo).port;
  const everywhere = config.HOST === '0.0.0.0' || config.HOST === '::';
  const host = everywhere ? '127.0.0.1' : config.HOST;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const data = config.DATABASE_URL?.startsWith('postgres') ? 'data in PostgreSQL' : `data in ${config.dataDir}`;
  logger.info(
    { url, host: config.HOST, port, registration: config.REGISTRATION },
    `natter listening at ${url}${everywhere ? ` (HOST=${config.HOST}: every interface)` : ''}, WebSocket at /v1/ws, registration ${config.REGISTRATION}, ${data}`,
  );

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    app,
    store,
    metrics,
    delivery,
    rooms,
    broadcasts,
    events,
    media,
    metricsUrl: metricsServer ? `http://${config.METRICS_HOST.includes(':') ? `[${config.METRICS_HOST}]` : config.METRICS_HOST}:${(metricsServer.address() as AddressInfo).port}` : null,
    close() {
      closing ??= (async () => {
        logger.info('shutting down');
        if (walWatch) clearInterval(walWatch);
        // Out of the live set first: other processes re-check its users while they reconnect there.
        await presence.close();
        const stopped = app.close();
        metricsServer?.close();
        metricsServer?.closeAllConnections();
        // Fastify closes the connections idle when close begins; one still finishing a
        // streamed answer (a media download) becomes idle a moment later and would otherwise
        // linger until the keep-alive timeout (72 s) held shutdown up.
        const idle = setInterval(() => app.server.closeIdleConnections(), 50);
        await gateway.close();
        rooms.close();
        await roomEphemeral.close();
        await stopped.finally(() => clearInterval(idle));
        await messaging.committer.drained();
        // Acks kept in memory reach the store before it closes (sessions closing wrote theirs).
        await messaging.cursors.close();
        await bus.close();
        await ephemeral.close();
        await media.stop();
        await store.close();
        logger.info('stopped');
      })();
      return closing;
    },
  };
}

/**
 * Live rooms and broadcasts (core/rooms/): their own Ephemeral instance, on the same server as
 * presence's (memory: for one process), and their counters as metrics.
 */
async function startRooms(config: Config, bus: SharedBus, store: Store, clock: Clock, logger: Logger, metrics: Metrics, delivery: Delivery) {
  // The same server as presence (EPHEMERAL_URL, else the bus's), under a prefix of their own.
  const roomEphemeral = await openEphemeral({ ...config, BUS_PREFIX: `${config.BUS_PREFIX}-rooms` }, logger, clock);
  const rooms = new Rooms(bus, store, roomEphemeral, clock, {
    processId: newDeviceId().slice(2, 14),
    encoding: config.ROOM_FRAME_ENCODING,
    maxBodyBytes: config.ROOM_MAX_BODY_BYTES,
    defaults: {
      anonymous: config.ROOM_ANONYMOUS,
      tickMs: config.ROOM_TICK_MS,
      retention: config.ROOM_RETENTION,
      budgetPerViewer: config.ROOM_BUDGET_PER_VIEWER,
      roomSendsPerSecond: config.ROOM_SENDS_PER_SECOND,
      userSendsPer10s: config.ROOM_USER_SENDS_PER_10S,
    },
  });
  let lastWarning = 0;
  rooms.onError = (err) => {
    if (Date.now() - lastWarning > 5000) {
      lastWarning = Date.now();
      logger.warn({ err }, 'live rooms: a bus or ephemeral call failed; room messages may be missed (at most once)');
    }
  };
  const fatigue = {
    maxPerWindow: config.BROADCAST_MAX_PER_WINDOW,
    windowMs: config.BROADCAST_WINDOW_SECONDS * 1000,
    minIntervalMs: config.BROADCAST_MIN_INTERVAL_SECONDS * 1000,
  };
  const broadcasts = new Broadcasts(bus, store, clock, fatigue, delivery);
  broadcasts.onError = (err) => logger.warn({ err }, 'broadcasts: announcing failed; users get it on their next broadcast.sync');
  await broadcasts.start();
  registerRoomMetrics(metrics.registry, () => rooms.stats(), () => rooms.viewerCount);
  return { rooms, broadcasts, roomEphemeral };
}
