/**
 * The one table of error codes shared by server and SDK. Every error a client can see — over
 * HTTP or the socket — carries one of these codes, a human message and whether retrying the
 * same request may succeed.
 */

export const ERROR_CODES = {
  /** The frame or body is not valid JSON, or not an object. */
  malformed: { status: 400, retryable: false },
  /** The frame's `type` is not one the server knows. */
  unknown_type: { status: 400, retryable: false },
  /** A field is missing, of the wrong type or out of range. */
  invalid_request: { status: 400, retryable: false },
  /** A message body or frame exceeds a configured limit. */
  too_large: { status: 413, retryable: false },
  /** A frame other than `auth` arrived before authentication. */
  not_authenticated: { status: 401, retryable: false },
  /** A second `auth` frame on an authenticated connection. */
  already_authenticated: { status: 409, retryable: false },
  /** The token is forged, malformed, or signed for something else. */
  invalid_token: { status: 401, retryable: false },
  /** The access token has expired: refresh it and try again. */
  token_expired: { status: 401, retryable: false },
  /** The device (session) was revoked or logged out. */
  device_revoked: { status: 401, retryable: false },
  /** Unknown user or wrong password: the same answer for both. */
  invalid_credentials: { status: 401, retryable: false },
  /** The admin API key is missing or wrong. */
  invalid_api_key: { status: 401, retryable: false },
  /** Too many attempts; `retryAfterMs` in details says when to try again. */
  rate_limited: { status: 429, retryable: true },
  /** The username is already registered. */
  username_taken: { status: 409, retryable: false },
  /** The object does not exist, or the caller may not know that it does (same answer). */
  not_found: { status: 404, retryable: false },
  /** The caller is known to the object but lacks the role for this action. */
  forbidden: { status: 403, retryable: false },
  /** A `clientMsgId` was reused with a different message. */
  client_msg_id_conflict: { status: 409, retryable: false },
  /** A seq or cursor outside what exists (acking the future, negative positions). */
  invalid_position: { status: 400, retryable: false },
  /** The current password given to change it was wrong. */
  wrong_password: { status: 403, retryable: false },
  /** The Origin header is not in ALLOWED_ORIGINS. */
  origin_not_allowed: { status: 403, retryable: false },
  /** Media: the file's bytes are of a type that is not allowed, or not the type the upload or message said. */
  unsupported_media_type: { status: 415, retryable: false },
  /** Media: an image whose width × height passes the pixel limit (refused before decoding). */
  image_too_large: { status: 413, retryable: false },
  /** Media: the upload would take the user past their storage quota. */
  quota_exceeded: { status: 413, retryable: false },
  /** Media: the upload is not finished (bytes missing), or a chunk was sent at the wrong offset; `details.offset` says where to resume. */
  upload_incomplete: { status: 409, retryable: false },
  /** The group has GROUP_MAX_MEMBERS active members: nobody more may join. */
  group_full: { status: 409, retryable: false },
  /** The group was dissolved: it is read-only for everyone. */
  group_dissolved: { status: 409, retryable: false },
  /** The sender is muted in this group (by name or by a mute of everyone but the owner and admins). */
  muted: { status: 403, retryable: false },
  /** A message's sender may recall it only within RECALL_WINDOW_SECONDS of sending it. */
  recall_window_passed: { status: 409, retryable: false },
  /** The server is overloaded or a dependency is down; retry with backoff. */
  unavailable: { status: 503, retryable: true },
  /** Anything unexpected. Details are logged on the server, never sent. */
  internal: { status: 500, retryable: true },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The error object carried by an `error` frame and by HTTP error bodies (`{ error: … }`). */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  details?: Record<string, unknown>;
}

/** An error that is meant to reach the client as it is. */
export class NatterError extends Error {
  override readonly name = 'NatterError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message, retryable: ERROR_CODES[this.code].retryable };
    if (this.details) body.details = this.details;
    return body;
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/**
 * Turns anything thrown into an error body safe to send: NatterErrors pass through, anything
 * else becomes `internal` with a generic message so no stack or internals leak.
 */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof NatterError) return err.toBody();
  return { code: 'internal', message: 'internal error', retryable: true };
}
