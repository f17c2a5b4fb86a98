/** JSON codec for frames: one place that turns text into validated frames and back. */
import { NatterError } from './errors.js';
import { clientFrameSchemas, type ClientFrame, type RequestId, type ServerFrame } from './frames.js';

export type DecodeResult = { ok: true; frame: ClientFrame } | { ok: false; error: NatterError; id?: RequestId };

function pickId(value: Record<string, unknown>): RequestId | undefined {
  const id = value.id;
  if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) return id;
  if (typeof id === 'string' && id.length > 0 && id.length <= 64) return id;
  return undefined;
}

/** Parses and validates a client frame. Never throws. */
export function decodeClientFrame(text: string): DecodeResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: new NatterError('malformed', 'frame is not valid JSON') };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: new NatterError('malformed', 'frame must be a JSON object') };
  }
  const record = value as Record<string, unknown>;
  const id = pickId(record);
  const type = record.type;
  const schema = typeof type === 'string' ? clientFrameSchemas[type as keyof typeof clientFrameSchemas] : undefined;
  if (!schema || !Object.hasOwn(clientFrameSchemas, type as string)) {
    const error = new NatterError('unknown_type', `unknown frame type ${JSON.stringify(String(type)).slice(0, 80)}`);
    return id === undefined ? { ok: false, error } : { ok: false, error, id };
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'frame';
    const error = new NatterError('invalid_request', `${where}: ${issue?.message ?? 'invalid'}`);
    return id === undefined ? { ok: false, error } : { ok: false, error, id };
  }
  return { ok: true, frame: parsed.data as ClientFrame };
}

export function encodeFrame(frame: ServerFrame | ClientFrame): string {
  return JSON.stringify(frame);
}

/** Parses a server frame on the client side. Light checks only: the server is trusted. */
export function decodeServerFrame(text: string): ServerFrame | null {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string') {
      return value as ServerFrame;
    }
  } catch {
    // fall through
  }
  return null;
}
