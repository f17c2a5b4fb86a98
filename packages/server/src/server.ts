/**
 * Wires one Natter process together: Store, Bus, core services, HTTP API and the WebSocket
 * gateway. `startNatter` is what main.ts and the tests call; it returns a handle whose
 * `close()` shuts down gracefully (stop accepting, close sockets, drain commits, write the delivery
 * cursors kept in memory, close the store). Each part is built in wiring/; this file keeps the
 * order they start in and the order they stop in.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Bus } from './bus/bus.js';
import { SharedBus } from './bus/shared-bus.js';
import type { Config } from './config.js';
import { systemClock, type Clock } from './core/clock.js';
import type { Delivery } from './core/delivery/delivery.js';
import type { DomainEvents } from './core/events.js';
import type { LoginLimiter, RegistrationLimiter } from './core/rate-limit.js';
import type { Broadcasts } from './core/rooms/broadcasts.js';
import type { Rooms } from './core/rooms/rooms.js';
import { prepareDataDir } from './data-dir.js';
import type { Ephemeral } from './ephemeral/ephemeral.js';
import { createLogger, type Logger } from './log.js';
import type { BlobStore } from './media/blob-store.js';
import type { MediaService } from './media/media-service.js';
import { Metrics } from './metrics.js';
import type { Store } from './store/store.js';
import { openBus, openEphemeral, openStore } from './wiring/backends.js';
import { createHttpApp } from './wiring/http-app.js';
import { startGateway } from './wiring/realtime.js';
import { startServices } from './wiring/services.js';
import { walGauges, walStore, watchWalWithDefaults } from './wiring/sqlite-watch.js';

// Part of the public API (index.ts): an embedder opens the backends a Config names as we do.
export { openBus, openEphemeral, openStore } from './wiring/backends.js';
export { loadJwtSecret } from './wiring/services.js';

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

export async function startNatter(config: Config, deps: NatterDeps = {}): Promise<NatterServer> {
  const logger = deps.logger ?? createLogger(config.LOG_LEVEL, undefined, config.LOG_FORMAT);
  const clock = deps.clock ?? systemClock;
  for (const warning of config.warnings) logger.warn(warning);
  prepareDataDir(config.dataDir, logger);
  const store = deps.store ?? (await openStore(config, logger));
  // Shared: delivery, rooms and broadcasts each take the topics that are theirs.
  const bus = new SharedBus(deps.bus ?? (await openBus(config, logger)));
  const ephemeral = deps.ephemeral ?? (await openEphemeral(config, logger, deps.clock));
  const wal = walStore(store);
  const metrics = new Metrics(wal ? walGauges(wal) : undefined);
  const walWatch = wal ? watchWalWithDefaults(wal, deps, logger) : null;
  const services = await startServices(config, deps, { store, bus, ephemeral, clock, logger, metrics });
  const { delivery, rooms, broadcasts, roomEphemeral, events, messaging, presence, media } = services;
  // The metrics read the gateway's size when scraped, by which time it exists.
  const { app, metricsServer } = await createHttpApp(config, services, { store, clock, logger, metrics, socketCount: () => gateway.size });
  const gateway = startGateway(app.server, config, services, { clock, logger, metrics });

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
