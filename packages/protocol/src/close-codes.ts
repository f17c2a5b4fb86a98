/**
 * WebSocket close codes. Following Centrifuge: 3000–3499 mean "reconnect (with backoff)",
 * 3500–3999 mean "do not reconnect as you are" (get a new token first, or stop).
 * 1009 (message too big) is sent by the WebSocket layer itself for oversized frames.
 */
export const CLOSE_CODES = {
  /** The server is shutting down or restarting. Reconnect with backoff. */
  server_shutdown: 3000,
  /** No pong to the server's pings within the heartbeat window. Reconnect. */
  heartbeat_timeout: 3001,
  /** The connection's send queue passed its limit. Reconnect and sync. */
  slow_consumer: 3002,
  /** Unexpected server error on this connection. Reconnect with backoff. */
  internal: 3003,
  /** The server could not check the credentials because a dependency (the database) is down. Reconnect with backoff. */
  unavailable: 3004,
  /** The user or the client address already holds as many connections as the server allows. Reconnect with backoff (stale connections time out); close ones not in use. */
  too_many_connections: 3005,
  /** The connection kept sending requests long after `rate_limited` told it to wait. Reconnect with backoff. */
  rate_limited: 3006,
  /** No valid `auth` frame before the deadline. Do not reconnect without a token. */
  auth_timeout: 3500,
  /** The token in `auth` was invalid or expired. Refresh the token first. */
  auth_failed: 3501,
  /** The device was revoked or logged out. Log in again. */
  device_revoked: 3502,
  /** Too many protocol violations on this connection. */
  protocol_violation: 3503,
} as const;

export type CloseReason = keyof typeof CLOSE_CODES;

/** Whether a client should reconnect after a close with this code. */
export function shouldReconnect(code: number): boolean {
  if (code >= 3500 && code <= 3999) return false;
  return true;
}
