/** Maps anything thrown in a route to the stable `{ error: { code, message } }` body. */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { NatterError, toErrorBody, type ErrorBody } from '@natter/protocol';

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
