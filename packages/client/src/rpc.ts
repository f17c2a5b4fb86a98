/**
 * How NatterClient's feature modules make a request: once the connection is online, waiting for
 * it when not, so that a call made while (re)connecting goes out then instead of failing.
 */
import type { Connection } from './connection.js';

/** Runs `f` with the connection once it is online; the frame is built then, not before. */
export type Rpc = <T>(f: (conn: Connection) => Promise<T>) => Promise<T>;

export function rpcOver(conn: Connection): Rpc {
  return async (f) => {
    await conn.waitOnline();
    return f(conn);
  };
}
