/**
 * CORS on the REST API (@fastify/cors), by the same rule as the WebSocket's Origin check
 * (ALLOWED_ORIGINS, see origins.ts): an allowed origin gets `Access-Control-Allow-Origin` on its
 * answers and its preflights, any other gets none and the browser refuses the answer to the page.
 * The API authenticates with bearer tokens, never cookies, so credentials are not allowed: a page
 * must hold the token it sends.
 */
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import { originAllowed } from '../origins.js';

/** Seconds a browser may keep a preflight's answer. */
const PREFLIGHT_MAX_AGE_S = 600;

export async function registerCors(app: FastifyInstance, allowedOrigins: '*' | string[]): Promise<void> {
  await app.register(cors, {
    delegator: (req, callback) => {
      const origin = req.headers.origin;
      const allowed = origin !== undefined && originAllowed(origin, req.headers.host, allowedOrigins);
      callback(null, {
        // The allowed origin itself, never `*`, so a cache keys answers by Origin (Vary: Origin).
        origin: allowed ? origin : false,
        methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
        // No X-Admin-Key: the admin key belongs on an app server, never in a browser.
        allowedHeaders: ['authorization', 'content-type'],
        exposedHeaders: ['retry-after'],
        maxAge: PREFLIGHT_MAX_AGE_S,
        credentials: false,
      });
    },
  });
}
