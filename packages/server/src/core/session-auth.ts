/**
 * The `auth` frame of a Session: the token is checked, a connection slot for the user taken and
 * the device attached to delivery, in that order; any failure leaves the session closed (handle()
 * answers with the error, then closes with authCloseCode's code). Also the close code for each
 * failure.
 */
import { CLOSE_CODES, NatterError, PROTOCOL_VERSION } from '@natter/protocol';
import type { Attachment } from './delivery/delivery.js';
import type { SessionInternals, State } from './session-context.js';

/**
 * Authenticates the session with `token` and attaches its device; answers the auth frame's
 * result, or undefined when the connection closed while attaching (nothing then to answer).
 */
export async function authenticate(s: SessionInternals, token: string): Promise<unknown> {
  if (s.state.kind !== 'awaiting_auth') throw new NatterError('already_authenticated', 'this connection is already authenticated');
  const deadline = s.state.deadline;
  s.state = { kind: 'authenticating' };
  let claims;
  try {
    claims = await s.deps.accounts.authenticate(token);
  } catch (err) {
    deadline.cancel();
    s.state = { kind: 'closed' };
    // handle() answers with the error (so it is counted like any other) and then closes.
    throw err;
  }
  deadline.cancel();
  // A slot is taken before attaching, and given back by whichever path ends the session. Nothing
  // may be awaited between acquire() and attach(): the server's cap counts what attach registers.
  if (!s.deps.userConnections.acquire(claims.userId)) {
    s.state = { kind: 'closed' };
    throw new NatterError('rate_limited', 'this user has too many open connections; close some and retry');
  }
  let attachment: Attachment;
  try {
    attachment = await s.deps.delivery.attach(s.conn, claims.userId, claims.deviceId);
  } catch (err) {
    s.deps.userConnections.release(claims.userId);
    s.state = { kind: 'closed' };
    throw err;
  }
  if ((s.state as State).kind === 'closed') {
    s.deps.userConnections.release(claims.userId);
    await s.deps.delivery.detach(attachment);
    return undefined;
  }
  s.state = { kind: 'open', attachment };
  // Not awaited: the answer does not wait for presence (it never throws).
  void s.deps.presence.connected(claims.userId);
  // Nothing waits for auth any more: do not keep its promise (and result) per connection.
  s.authDone = null;
  return { userId: claims.userId, deviceId: claims.deviceId, heartbeatSeconds: s.deps.heartbeatSeconds, protocolVersion: PROTOCOL_VERSION };
}

/** Token problems mean "do not come back with this token"; anything else is worth a retry. */
export function authCloseCode(code: string): number {
  switch (code) {
    case 'device_revoked':
      return CLOSE_CODES.device_revoked;
    case 'invalid_token':
    case 'token_expired':
      return CLOSE_CODES.auth_failed;
    case 'unavailable':
      return CLOSE_CODES.unavailable;
    case 'rate_limited':
      return CLOSE_CODES.too_many_connections;
    default:
      return CLOSE_CODES.internal;
  }
}
