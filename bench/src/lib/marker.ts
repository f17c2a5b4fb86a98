/**
 * The marker each benchmark message carries in its body: `~B<sender>.<n>.<t>~`, where sender
 * is the publishing client's index, n its message number and t the send time in µs on the
 * generator's clock. Receivers find it with one byte search (no JSON parsing), so the cost of
 * reading a delivery is the same for every target and stays small.
 */
export interface Mark {
  sender: number;
  n: number;
  t: number;
}

const T0 = performance.now();

/** Microseconds on the generator's monotonic clock. */
export function nowUs(): number {
  return Math.round((performance.now() - T0) * 1000);
}

/** A message body text of about `size` characters holding the marker. */
export function markText(sender: number, n: number, t: number, size: number): string {
  const m = `~B${sender}.${n}.${t}~`;
  return m.length >= size ? m : m + 'x'.repeat(size - m.length);
}

const TILDE = 0x7e;
const DOT = 0x2e;

/** Reads the marker from a delivery's raw bytes into `out`. Returns false if there is none. */
export function readMarkBuf(buf: Buffer, out: Mark): boolean {
  let i = buf.indexOf('~B');
  if (i < 0) return false;
  i += 2;
  let v = 0;
  let field = 0;
  for (; i < buf.length; i++) {
    const c = buf[i]!;
    if (c === DOT || c === TILDE) {
      if (field === 0) out.sender = v;
      else if (field === 1) out.n = v;
      else {
        out.t = v;
        return c === TILDE;
      }
      field++;
      v = 0;
    } else {
      v = v * 10 + (c - 48);
    }
  }
  return false;
}

/** Same as readMarkBuf, for payloads that arrive as strings (Socket.IO). */
export function readMarkStr(s: string, out: Mark): boolean {
  let i = s.indexOf('~B');
  if (i < 0) return false;
  i += 2;
  let v = 0;
  let field = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === DOT || c === TILDE) {
      if (field === 0) out.sender = v;
      else if (field === 1) out.n = v;
      else {
        out.t = v;
        return c === TILDE;
      }
      field++;
      v = 0;
    } else {
      v = v * 10 + (c - 48);
    }
  }
  return false;
}

/**
 * A send's clientMsgId: the time first, then the run, client and message number, so ids sort
 * by time like the SDK's generated UUIDv7 ids (the order the server's idempotency index is
 * built for) at a fraction of their cost to make. `ms`: the time to put first, when a send
 * answers another and must get the same id however often that one is delivered.
 */
export function clientMsgId(tag: string, client: number, n: number, ms = Date.now()): string {
  return `${Math.floor(ms).toString(16).padStart(12, '0')}-${tag}-${client}-${n}`;
}

/** The wall-clock milliseconds of a time from nowUs() (in this process). */
export function wallMs(tUs: number): number {
  return performance.timeOrigin + T0 + tUs / 1000;
}
