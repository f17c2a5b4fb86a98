/**
 * Errors of the Ephemeral backends. A backend that cannot reach its server, or gets no answer in
 * time, throws EphemeralUnavailableError: a NatterError with code `unavailable` (retryable), so a
 * request that needed ephemeral state (a rate-limit check, a presence query) answers the client
 * `unavailable` without a translation layer — the same contract as BusUnavailableError.
 * The driver's error is kept as `cause` with its name and message only: ioredis attaches a failed
 * command's arguments to its errors, and those are keys and values (user ids, devices) that
 * must not reach a log line through an error serializer.
 */
import { NatterError } from '@natter/protocol';

export class EphemeralUnavailableError extends NatterError {
  constructor(message: string, cause?: unknown) {
    super('unavailable', message, undefined, cause === undefined ? undefined : { cause: scrub(cause) });
  }
}

/** A copy of `err` with only its name and message. */
function scrub(err: unknown): Error {
  const copy = new Error(err instanceof Error ? err.message : String(err));
  if (err instanceof Error) copy.name = err.name;
  return copy;
}

/** The part of the pino logger the backends use: connection state only, never URLs, keys or values. */
export type { BusLogger as EphemeralLogger } from '../bus/errors.js';
