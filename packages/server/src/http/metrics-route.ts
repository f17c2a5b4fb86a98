/**
 * Where /metrics is served: on the main port (the default, so `curl host:8080/metrics` works on
 * a private network), or with METRICS_PORT on a listener of its own bound to METRICS_HOST
 * (127.0.0.1 by default), which keeps it off the public port. METRICS_TOKEN additionally asks
 * for `Authorization: Bearer <token>`. Prometheus text; the numbers tell an outsider how busy
 * the server is and which errors it answers, hence the settings.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { NatterError } from '@natter/protocol';
import type { Config } from '../config.js';

export interface MetricsSource {
  contentType: string;
  render(): Promise<string>;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

function authorised(req: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true;
  const header = req.headers.authorization;
  // Hashing first makes the comparison constant-time whatever the length.
  return (
    typeof header === 'string' &&
    header.startsWith('Bearer ') &&
    timingSafeEqual(digest(header.slice(7).trim()), digest(token))
  );
}

const UNAUTHORISED = JSON.stringify({
  error: new NatterError('invalid_token', 'send Authorization: Bearer <METRICS_TOKEN>').toBody(),
});

/** Serves /metrics as configured; resolves to the separate listener, if there is one, once it listens. */
export async function serveMetrics(
  app: FastifyInstance,
  config: Config,
  source: MetricsSource,
): Promise<Server | null> {
  if (config.METRICS_PORT === undefined) {
    app.get('/metrics', async (req, reply) => {
      if (!authorised(req.raw, config.METRICS_TOKEN))
        return reply.status(401).header('content-type', 'application/json').send(UNAUTHORISED);
      return reply.header('content-type', source.contentType).send(await source.render());
    });
    return null;
  }
  const server = createServer((req, res) => {
    if ((req.url ?? '').split('?')[0] !== '/metrics') {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: new NatterError('not_found', 'no such route').toBody() }));
      return;
    }
    if (!authorised(req, config.METRICS_TOKEN)) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(UNAUTHORISED);
      return;
    }
    source.render().then(
      (text) => res.writeHead(200, { 'content-type': source.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  server.requestTimeout = config.HTTP_REQUEST_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.METRICS_PORT, config.METRICS_HOST, () => resolve());
  });
  return server;
}

export function metricsPort(server: Server | null): number | null {
  return server ? (server.address() as AddressInfo).port : null;
}
