/**
 * Errors shared by the networked Bus backends. A bus that cannot reach its broker throws
 * BusUnavailableError, a NatterError with code `unavailable`, so whatever was publishing (a send,
 * a membership change) answers the client `unavailable` (retryable) without a translation layer.
 * The broker's error is kept as `cause` with its name and message only: driver errors can carry the
 * failed command's arguments (ioredis attaches them to reply errors), and for PUBLISH those are a
 * user's message, which must not reach a log line through an error serializer.
 */
import { NatterError } from '@natter/protocol';

export class BusUnavailableError extends NatterError {
  constructor(message: string, cause?: unknown) {
    super('unavailable', message, undefined, cause === undefined ? undefined : { cause: scrub(cause) });
  }
}

/** A copy of `err` with only its name and message. */
function scrub(err: unknown): Error {
  const copy = new Error(errorMessage(err));
  if (err instanceof Error) copy.name = err.name;
  return copy;
}

/** The part of the pino logger the buses use; they log connection state, never URLs or credentials. */
export interface BusLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Message of an unknown thrown value, for logs. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
