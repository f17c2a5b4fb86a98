/**
 * Which browser origins may use this server: one rule (ALLOWED_ORIGINS) for the WebSocket upgrade
 * and for CORS on the REST API, so a page that may open a socket may also log in, and no other.
 */

/**
 * True when a request carrying `origin` (its Origin header) to `host` (its Host header) is allowed:
 * no Origin at all (not a browser), `*`, a listed origin, or a page served from this very host.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: '*' | readonly string[]): boolean {
  // Non-browser clients send no Origin; browsers always do on cross-origin requests and WebSockets.
  if (origin === undefined) return true;
  if (allowed === '*') return true;
  if (allowed.includes(origin)) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
