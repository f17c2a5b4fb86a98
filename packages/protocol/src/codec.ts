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

/**
 * Deepest nesting accepted in a client frame. Real frames (custom bodies included) are far
 * shallower; a frame nested thousands deep would overflow the stack of every recursive step
 * after decoding (JSON.stringify when storing or fanning out) and surface as `internal`.
 */
export const MAX_FRAME_DEPTH = 64;

/** Whether `value` nests objects/arrays more than `max` levels deep (iterative: no recursion). */
function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [v, depth] = next;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v as object)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * An `ack` exactly as clients write it (JSON.stringify of { type, id?, conversationId, seq },
 * as the SDK does): a client acks every entry it applies, so acks are the commonest frame a
 * busy server reads, and this shape needs neither JSON.parse nor the schema. Only text the full
 * path would accept, with the same result, matches (no leading zeros, no spaces, no escapes,
 * an id of the objectId alphabet); anything else takes the full path.
 */
const ACK_TEXT = /^\{"type":"ack",(?:"id":(0|[1-9]\d{0,15}),)?"conversationId":"([A-Za-z0-9_-]{1,64})","seq":(0|[1-9]\d{0,15})\}$/;

function decodeAck(text: string): DecodeResult | null {
  if (text.length > 160 || !text.startsWith('{"type":"ack",')) return null;
  const m = ACK_TEXT.exec(text);
  if (!m) return null;
  const seq = Number(m[3]);
  if (!Number.isSafeInteger(seq)) return null;
  if (m[1] === undefined) return { ok: true, frame: { type: 'ack', conversationId: m[2]!, seq } };
  const id = Number(m[1]);
  return Number.isSafeInteger(id) ? { ok: true, frame: { type: 'ack', id, conversationId: m[2]!, seq } } : null;
}

/** Parses and validates a client frame. Never throws. */
export function decodeClientFrame(text: string): DecodeResult {
  const ack = decodeAck(text);
  if (ack) return ack;
  return decodeAnyClientFrame(text);
}

/** The full path: JSON.parse, then the frame type's schema. */
export function decodeAnyClientFrame(text: string): DecodeResult {
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
  if (nestedDeeperThan(record, MAX_FRAME_DEPTH)) {
    const error = new NatterError('invalid_request', `frame: nested more than ${MAX_FRAME_DEPTH} levels deep`);
    return id === undefined ? { ok: false, error } : { ok: false, error, id };
  }
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

export { decodeServerFrame } from './server-frame.js';
