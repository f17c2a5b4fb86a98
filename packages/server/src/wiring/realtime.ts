/**
 * The realtime side of a process: the WebSocket gateway at /v1/ws on the HTTP server, one
 * Session per connection over the core services, and the per-frame metrics and error log.
 */
import type { Server } from 'node:http';
import type { Config } from '../config.js';
import type { Clock } from '../core/clock.js';
import { RegisteredConnectionCap } from '../core/connection-caps.js';
import { Session, type SessionDeps } from '../core/session.js';
import { clientAddress } from '../http/http-server.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { WebSocketGateway } from '../transport/websocket.js';
import type { CoreServices } from './services.js';

/** Attaches the gateway to `server` (the HTTP app's): it accepts upgrades once that listens. */
export function startGateway(
  server: Server,
  config: Config,
  services: CoreServices,
  { clock, logger, metrics }: { clock: Clock; logger: Logger; metrics: Metrics },
): WebSocketGateway {
  const { accounts, messaging, receipts, settings, contacts, groups, messageActions, search, delivery, typing, presence, rooms, broadcasts } = services;
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
  const gateway = new WebSocketGateway(server, {
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
  return gateway;
}
