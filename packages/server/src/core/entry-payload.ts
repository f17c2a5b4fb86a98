/**
 * What a conversation topic carries on the bus. Most entries are one `message` frame that every
 * member's devices get byte for byte. A sent message also has a part for its sender's devices
 * alone: the clientMsgId, which is the sender's own idempotency key and, when it is a UUIDv7 as
 * the SDK makes them, tells the time on the sender's device. So its payload is a short header
 * and the frame everyone gets (with `"clientMsgId":null`):
 *
 *   \0<senderId>\0<clientMsgId>\0<frame>
 *
 * and the hub writes the frame to every member, with the id put back for the sender's devices.
 * A raw NUL never occurs in JSON text (JSON.stringify escapes it), so a payload that starts with
 * one is always a header.
 */

const NUL = '\0';
const NULL_CLIENT_ID = '"clientMsgId":null';

/** A payload for a conversation topic: `frame` to everyone, with `clientMsgId` to `senderId`'s devices. */
export function ownedEntry(senderId: string, clientMsgId: string, frame: string): string {
  return `${NUL}${senderId}${NUL}${clientMsgId}${NUL}${frame}`;
}

export interface Entry {
  /** What every member's devices get. */
  frame: string;
  /** The user whose devices get `ownFrame` instead; null: everyone gets `frame`. */
  senderId: string | null;
  clientMsgId: string | null;
}

export function readEntry(payload: string): Entry {
  if (payload.charCodeAt(0) !== 0) return { frame: payload, senderId: null, clientMsgId: null };
  const a = payload.indexOf(NUL, 1);
  const b = payload.indexOf(NUL, a + 1);
  if (a < 0 || b < 0) return { frame: payload, senderId: null, clientMsgId: null };
  return { frame: payload.slice(b + 1), senderId: payload.slice(1, a), clientMsgId: payload.slice(a + 1, b) };
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
