/**
 * What a conversation topic carries on the bus. A log entry is one `message` frame that every
 * member's devices get byte for byte, after a short header:
 *
 *   \0<seq>\0<senderId>\0<clientMsgId>\0<frame>
 *
 * The seq lets each process see when an entry overtook another on the way (hub.ts). A sent
 * message also has a part for its sender's devices alone: the clientMsgId, which is the sender's
 * own idempotency key and, when it is a UUIDv7 as the SDK makes them, tells the time on the
 * sender's device. Its frame has `"clientMsgId":null` and the header carries the sender and the
 * id, which the hub puts back for the sender's devices. (Both are empty for system entries.)
 *
 * A payload that starts with JSON (a `resync` frame) is written to the conversation's devices as
 * it is. A raw control character never occurs in JSON text (JSON.stringify escapes them), so a
 * payload that starts with NUL is always this header, and one that starts with any other is a
 * later version's, which this one cannot read (readEntry gives null): the hub then tells the
 * conversation's devices to resync, so a cluster being upgraded one process at a time delays
 * such entries instead of writing frames its clients cannot read.
 */

const NUL = '\0';
const NULL_CLIENT_ID = '"clientMsgId":null';

/** The payload of the log entry at `seq`; `own`: the sender's devices get `clientMsgId` put back. */
export function logEntry(seq: number, frame: string, own?: { senderId: string; clientMsgId: string }): string {
  return `${NUL}${seq}${NUL}${own?.senderId ?? ''}${NUL}${own?.clientMsgId ?? ''}${NUL}${frame}`;
}

export interface Entry {
  /** What every member's devices get. */
  frame: string;
  /** The entry's place in the log; null for a payload that is not a log entry. */
  seq: number | null;
  /** The user whose devices get the frame with `clientMsgId` put back; null: everyone gets `frame`. */
  senderId: string | null;
  clientMsgId: string | null;
}

/** The entry in a payload; null when it is in a format this version does not know. */
export function readEntry(payload: string): Entry | null {
  const first = payload.charCodeAt(0);
  if (first >= 0x20) return { frame: payload, seq: null, senderId: null, clientMsgId: null };
  if (first !== 0) return null;
  const a = payload.indexOf(NUL, 1);
  const b = payload.indexOf(NUL, a + 1);
  const c = payload.indexOf(NUL, b + 1);
  if (a < 0 || b < 0 || c < 0) return null;
  const senderId = b > a + 1 ? payload.slice(a + 1, b) : null;
  return { frame: payload.slice(c + 1), seq: Number(payload.slice(1, a)), senderId, clientMsgId: senderId === null ? null : payload.slice(b + 1, c) };
}

/**
 * The sender's copy of a `message` frame: its `"clientMsgId":null` replaced by the id. The
 * last occurrence is the field itself: only the body comes before it that could hold the same
 * characters (a custom body with a clientMsgId key), and after it come only replyTo (a message
 * id) and createdAt.
 */
export function withClientMsgId(frame: string, clientMsgId: string): string {
  const at = frame.lastIndexOf(NULL_CLIENT_ID);
  if (at < 0) return frame;
  return `${frame.slice(0, at)}"clientMsgId":${JSON.stringify(clientMsgId)}${frame.slice(at + NULL_CLIENT_ID.length)}`;
}
