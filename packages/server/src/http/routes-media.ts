/**
 * Media routes (docs/api.md, docs/media.md): the chunked upload protocol under /v1/uploads and
 * downloads under /v1/media. Upload chunks are streamed from the socket into the blob store,
 * never parsed or buffered by Fastify: this plugin's content-type parser hands the raw stream on.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NatterError } from '@natter/protocol';
import type { Accounts } from '../core/accounts.js';
import type { MediaService } from '../media/media-service.js';
import { idParam } from './schemas.js';
import { signedQuery, uploadBody, urlQuery } from './schemas-media.js';
import { parse } from './validate.js';

export interface MediaRouteDeps {
  accounts: Accounts;
  media: MediaService;
}

const CHUNK_TYPE = 'application/offset+octet-stream';
/** Served inline (displayed by a browser); anything else is an attachment. */
const INLINE = /^(image\/(jpeg|png|webp|gif)|audio\/[a-z0-9.+-]+|video\/[a-z0-9.+-]+)$/;

export function registerMediaRoutes(app: FastifyInstance, d: MediaRouteDeps): void {
  async function user(req: FastifyRequest): Promise<string> {
    const header = req.headers.authorization;
    if (!header?.startsWith('Bearer ')) throw new NatterError('invalid_token', 'send Authorization: Bearer <access token>');
    return (await d.accounts.authenticate(header.slice(7).trim())).userId;
  }

  app.register(async (sub) => {
    // The chunk's body stays a stream: MediaService pipes it into the blob store.
    sub.addContentTypeParser(CHUNK_TYPE, (_req, payload, done) => done(null, payload));

    sub.post('/v1/uploads', async (req, reply) => {
      const userId = await user(req);
      const b = parse(uploadBody, req.body);
      return reply.status(201).send(await d.media.createUpload(userId, b));
    });
    sub.get('/v1/uploads/:id', async (req) => d.media.getUpload(await user(req), parse(idParam, req.params, 'params').id));
    sub.delete('/v1/uploads/:id', async (req, reply) => {
      await d.media.cancelUpload(await user(req), parse(idParam, req.params, 'params').id);
      return reply.status(204).send();
    });
    sub.patch('/v1/uploads/:id', async (req) => {
      const userId = await user(req);
      const { id } = parse(idParam, req.params, 'params');
      if (req.headers['content-type'] !== CHUNK_TYPE) throw new NatterError('invalid_request', `send the chunk as ${CHUNK_TYPE}`);
      const offset = Number(req.headers['upload-offset']);
      const length = Number(req.headers['content-length']);
      if (!Number.isSafeInteger(offset) || offset < 0) throw new NatterError('invalid_request', 'Upload-Offset: the byte offset of this chunk');
      if (!Number.isSafeInteger(length)) throw new NatterError('invalid_request', 'Content-Length: required for a chunk');
      return d.media.writeChunk(userId, id, offset, length, req.raw);
    });

    sub.post('/v1/media/:id/url', async (req) => {
      const userId = await user(req);
      const { id } = parse(idParam, req.params, 'params');
      const variant = parse(urlQuery, req.query, 'query').variant ?? 'original';
      return d.media.signedPath(userId, id, variant);
    });
    sub.get('/v1/media/:id', (req, reply) => serve(req, reply, 'original'));
    sub.get('/v1/media/:id/thumbnail', (req, reply) => serve(req, reply, 'thumbnail'));
  });

  async function serve(req: FastifyRequest, reply: FastifyReply, variant: 'original' | 'thumbnail'): Promise<FastifyReply> {
    const { id } = parse(idParam, req.params, 'params');
    const q = parse(signedQuery, req.query, 'query');
    const userId = req.headers.authorization ? await user(req) : d.media.verifySigned(id, variant, q);
    const etag = `"${id}${variant === 'thumbnail' ? '-t' : ''}"`;
    let dl;
    try {
      dl = await d.media.open(userId, id, variant, typeof req.headers.range === 'string' ? req.headers.range : undefined);
    } catch (err) {
      if (err instanceof NatterError && err.code === 'invalid_position') {
        void reply.header('content-range', `bytes */${String(err.details?.size ?? '*')}`);
        return reply.status(416).send({ error: err.toBody() });
      }
      throw err;
    }
    // Blobs never change under their id: a client keeps them (privately) and revalidates by ETag.
    void reply
      .header('content-type', dl.mime)
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; sandbox")
      .header('cache-control', 'private, max-age=31536000, immutable')
      .header('etag', etag)
      .header('accept-ranges', 'bytes')
      .header('content-disposition', disposition(dl.mime, dl.blob.name, variant));
    if (req.headers['if-none-match'] === etag) {
      dl.body.destroy();
      return reply.status(304).send();
    }
    if (dl.range) {
      void reply
        .status(206)
        .header('content-range', `bytes ${dl.range.start}-${dl.range.end}/${dl.size}`)
        .header('content-length', dl.range.end - dl.range.start + 1);
    } else void reply.header('content-length', dl.size);
    return reply.send(dl.body);
  }
}

/** `inline` for images, audio and video a browser shows; `attachment` for everything else. Names are RFC 5987-encoded. */
export function disposition(mime: string, name: string | null, variant: 'original' | 'thumbnail'): string {
  const kind = variant === 'thumbnail' || INLINE.test(mime) ? 'inline' : 'attachment';
  if (!name) return kind;
  const ascii = name.replace(/[^\x20-\x7e]|["\\%;]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
