/**
 * The node:http server under Fastify, built here (Fastify's `serverFactory`) so every timeout and
 * the connection cap are set in one place: a client that drips a request's body a byte at a time
 * is cut at HTTP_REQUEST_TIMEOUT_MS, one that sends nothing at HTTP_IDLE_TIMEOUT_MS, and past
 * MAX_CONNECTIONS new sockets are closed at once instead of the process running out of file
 * descriptors for everyone. WebSockets leave these timeouts at the upgrade (ws clears the
 * socket's) and are kept alive or closed by their heartbeat.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { Config } from '../config.js';

export function createHttpServer(config: Config, handler: RequestListener): Server {
  const server = createServer(
    {
      requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
      headersTimeout: config.HTTP_HEADERS_TIMEOUT_MS,
      // Node checks the two timeouts above only this often (30 s by default): a 2 s limit
      // would otherwise be enforced up to 30 s late.
      connectionsCheckingInterval: Math.max(
        250,
        Math.min(1000, Math.floor(config.HTTP_HEADERS_TIMEOUT_MS / 4)),
      ),
      // Longer than common load balancers' idle timeout (60 s), so they close first and never
      // send a request on a socket we are closing.
      keepAliveTimeout: 72_000,
    },
    handler,
  );
  server.setTimeout(config.HTTP_IDLE_TIMEOUT_MS);
  if (config.MAX_CONNECTIONS > 0) server.maxConnections = config.MAX_CONNECTIONS;
  return server;
}

/**
 * The client's address as Fastify's `req.ip` gives it: the socket's peer, or behind a trusted
 * proxy (TRUST_PROXY) the first address of X-Forwarded-For. Used where Fastify is not in the
 * path (WebSocket upgrades).
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req.headers['x-forwarded-for'];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
    if (first) return first;
  }
  return req.socket.remoteAddress ?? 'unknown';
}
