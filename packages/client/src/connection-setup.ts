/**
 * The connection set-up NatterClient and NatterRoomViewer share: which WebSocket implementation
 * (the one given, else the global one) and the defaults of reconnect backoff and request timeout.
 */
import type { AuthOk, BackoffOptions } from '@natter/protocol/wire';
import { Connection, type ConnectionOptions, type WebSocketFactory } from './connection.js';

/** The socket options both entry points take (their own option types document them for users). */
export interface SocketOptions {
  url: string;
  WebSocket?: WebSocketFactory;
  requestTimeoutMs?: number;
  backoff?: Partial<BackoffOptions>;
  pingIntervalMs?: number;
}

/** A connection, not started yet; throws when there is no WebSocket implementation to use. */
export function createConnection<S extends AuthOk | null>(
  options: SocketOptions,
  token: ConnectionOptions<S>['token'],
  handlers: Pick<ConnectionOptions<S>, 'onState' | 'onPush' | 'onOnline'>,
): Connection<S> {
  const WS = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketFactory }).WebSocket;
  if (!WS) throw new Error('no WebSocket implementation: pass options.WebSocket (e.g. the ws package in Node)');
  return new Connection<S>({
    url: options.url,
    token,
    WebSocket: WS,
    backoff: { initialMs: 250, maxMs: 10_000, ...options.backoff },
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    ...(options.pingIntervalMs !== undefined && { pingIntervalMs: options.pingIntervalMs }),
    ...handlers,
  });
}
