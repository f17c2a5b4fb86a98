/**
 * Maps anything thrown in a route to the stable `{ error: { code, message } }` body, and installs
 * the handlers that make every HTTP error take that shape (unknown routes, malformed paths).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NatterError, toErrorBody, type ErrorBody } from '@natter/protocol';
import { RequestDropped } from '../core/fair-share.js';
import type { Metrics } from '../metrics.js';

const FASTIFY_CODES: Record<string, NatterError> = {
  FST_ERR_CTP_INVALID_JSON_BODY: new NatterError('malformed', 'body is not valid JSON'),
  FST_ERR_CTP_EMPTY_JSON_BODY: new NatterError('malformed', 'body is empty'),
  FST_ERR_CTP_BODY_TOO_LARGE: new NatterError('too_large', 'request body too large'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: new NatterError('invalid_request', 'send application/json'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: new NatterError('malformed', 'bad Content-Length'),
};

export function toHttpError(err: unknown): { status: number; body: { error: ErrorBody } } {
  if (err instanceof NatterError) return { status: err.status, body: { error: err.toBody() } };
  const code = (err as FastifyError | undefined)?.code;
  const known = code ? FASTIFY_CODES[code] : undefined;
  if (known) return { status: known.status, body: { error: known.toBody() } };
  if (err instanceof SyntaxError) {
    const e = new NatterError('malformed', 'body is not valid JSON');
    return { status: 400, body: { error: e.toBody() } };
  }
  return { status: 500, body: { error: toErrorBody(err) } };
}

export function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  const { status, body } = toHttpError(err);
  if (status === 429 && typeof body.error.details?.retryAfterMs === 'number') {
    void reply.header('retry-after', Math.ceil(body.error.details.retryAfterMs / 1000));
  }
  return reply.status(status).send(body);
}

export type Req = FastifyRequest;

/** The error handler (counts each answer by code, logs only server faults) and the not-found handler. */
export function installErrorHandlers(app: FastifyInstance, metrics: Metrics): void {
  app.setErrorHandler((err, req, reply) => {
    // The client closed the connection mid-body (an aborted upload): nobody is left to answer,
    // and it is no fault of the server's, so no error line and no `internal` count.
    if (req.raw.destroyed && (err as NodeJS.ErrnoException).code === 'ECONNRESET') {
      req.log.debug({ code: 'ECONNRESET' }, 'client aborted the request');
      return reply.status(400).send();
    }
    // The client went away while its read waited its turn: nobody reads the answer.
    if (err instanceof RequestDropped) {
      metrics.errors.inc({ code: 'dropped' });
      return reply.status(503).send();
    }
    const { status, body } = toHttpError(err);
    metrics.errors.inc({ code: body.error.code });
    if (status >= 500) req.log.error({ err }, 'request failed');
    return sendError(reply, err);
  });
  app.setNotFoundHandler((_req, reply) => {
    metrics.errors.inc({ code: 'not_found' });
    return sendError(reply, new NatterError('not_found', 'no such route'));
  });
}

/** Fastify's `frameworkErrors`: a malformed percent-encoded path gets Natter's shape, without the path echoed back. */
export function frameworkErrorHandler(metrics: Metrics): (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => void {
  return (_err, _req, reply) => {
    metrics.errors.inc({ code: 'invalid_request' });
    void sendError(reply, new NatterError('invalid_request', 'the request path is not valid'));
  };
}
