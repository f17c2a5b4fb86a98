/** Request schemas of the media routes (routes-media.ts), shared with the OpenAPI document. */
import { z } from 'zod';

export const uploadBody = z.object({
  size: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  type: z.string().min(3).max(255).regex(/^[A-Za-z0-9.+-]+\/[A-Za-z0-9.+-]+$/, 'a media type like image/png'),
  name: z.string().max(1024).nullable().optional(),
});
/** A signed download URL's query (POST /v1/media/:id/url makes them). */
export const signedQuery = z.object({ u: z.string().max(64).optional(), exp: z.string().max(20).optional(), sig: z.string().max(64).optional() });
export const urlQuery = z.object({ variant: z.enum(['original', 'thumbnail']).optional() });
