/**
 * Serves the web chat app (packages/web, built by `npm start`) at `/`. Hashed files under
 * /assets/ never change, so browsers keep them for a year; index.html must be fetched again each
 * time (`no-cache`) so a new release is picked up on the next load. Every page answer carries a
 * strict Content-Security-Policy: scripts, styles and connections only from this origin, no inline
 * script, no framing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Where the built app is in this repository's layout (packages/server/dist/http → packages/web/dist). */
export function defaultWebDir(): string {
  return fileURLToPath(new URL('../../../web/dist/', import.meta.url));
}

/** Registers the app's files; returns false (and serves nothing) when `dir` holds no built app. */
export async function serveWebApp(app: FastifyInstance, dir: string): Promise<boolean> {
  if (!existsSync(join(dir, 'index.html'))) return false;
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    // Routes for the files present at start; anything else falls through to the JSON 404.
    wildcard: false,
    index: ['index.html'],
    cacheControl: false,
    dotfiles: 'deny',
    setHeaders(res, path) {
      const immutable = path.includes('/assets/');
      res.setHeader('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      res.setHeader('x-content-type-options', 'nosniff');
      if (path.endsWith('.html')) {
        res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
        res.setHeader('referrer-policy', 'no-referrer');
        res.setHeader('x-frame-options', 'DENY');
      }
    },
  });
  return true;
}
