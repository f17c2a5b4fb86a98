/**
 * The HTTP side of a process: the Fastify instance (its limits, error handlers, CORS and latency
 * metric), /healthz, /metrics (on this port or its own), the REST routes, the OpenAPI document
 * and the web app.
 */
import type { Server } from 'node:http';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { Clock } from '../core/clock.js';
import { UserAdmin } from '../core/user-admin.js';
import { registerCors } from '../http/cors.js';
import { frameworkErrorHandler, installErrorHandlers } from '../http/errors.js';
import { createHttpServer } from '../http/http-server.js';
import { serveMetrics } from '../http/metrics-route.js';
import { serveOpenApi } from '../http/openapi.js';
import { registerGroupRoutes } from '../http/routes-groups.js';
import { registerMediaRoutes } from '../http/routes-media.js';
import { registerMessageActionRoutes } from '../http/routes-message-actions.js';
import { registerPresenceRoutes } from '../http/routes-presence.js';
import { registerRoomRoutes } from '../http/routes-rooms.js';
import { registerSearchRoutes } from '../http/routes-search.js';
import { registerSettingsRoutes } from '../http/routes-settings.js';
import { registerRoutes } from '../http/routes.js';
import { defaultWebDir, serveWebApp } from '../http/web-app.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Store } from '../store/store.js';
import type { CoreServices } from './services.js';

export interface HttpApp {
  app: FastifyInstance;
  /** The separate metrics listener (METRICS_PORT), or null when /metrics is on the main port. */
  metricsServer: Server | null;
}

/**
 * Builds the app with every route registered; the caller listens. `socketCount` is read when
 * /metrics is scraped: the WebSocket gateway is made after the app, on its server.
 */
export async function createHttpApp(
  config: Config,
  services: CoreServices,
  { store, clock, logger, metrics, socketCount }: { store: Store; clock: Clock; logger: Logger; metrics: Metrics; socketCount: () => number },
): Promise<HttpApp> {
  const { accounts, messaging, contacts, settings, presence, fairShare, rooms, broadcasts, media, groups, search, messageActions, events, delivery } = services;
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
      metrics.connections.set(socketCount());
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
  return { app, metricsServer };
}
