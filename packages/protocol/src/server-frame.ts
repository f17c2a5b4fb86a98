/** Decoding a server frame on the client side: no schema (the server is trusted), so no zod. */
import type { ServerFrame } from './frames.js';

/**
 * Parses a server frame on the client side. Light checks only: the server is trusted. Fields a
 * `message` frame leaves out because they are null (`clientMsgId`, `replyTo`) are put back as
 * null, so a client sees the same Message shape as history and sync give.
 */
export function decodeServerFrame(text: string): ServerFrame | null {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string') {
      const frame = value as ServerFrame;
      if (frame.type === 'message' && typeof frame.message === 'object' && frame.message !== null) {
        frame.message.clientMsgId ??= null;
        frame.message.replyTo ??= null;
      }
      return frame;
    }
  } catch {
    // fall through
  }
  return null;
}
