/**
 * Rules of a send, written once for every Store: when a repeated clientMsgId is a retry (answered
 * with the original) rather than a conflict, and which messages a send may reply to. Pure: each
 * store reads the rows its own way (SQLite per message, PostgreSQL per batch) and asks these.
 */
import type { NewMessage } from '../store.js';

/** The fields of a stored send that its retries must repeat. `body` is the stored JSON text. */
export interface SendRecord {
  conversationId: string;
  type: string;
  body: string;
  replyTo: string | null;
}

/** Whether a send repeats a stored one with the same clientMsgId exactly: a retry, not a conflict. */
export const sameSend = (prior: SendRecord, m: NewMessage): boolean =>
  prior.conversationId === m.conversationId && prior.type === m.type && prior.body === m.body && prior.replyTo === m.replyTo;

/**
 * Whether a send to `conversationId` by a member who joined at `joinedSeq` may reply to
 * `target` (undefined: no such message): it must be in the same conversation and within what
 * the sender can see (a member never quotes history from before they joined).
 */
export const replyAllowed = (target: { conversationId: string; seq: number } | undefined, conversationId: string, joinedSeq: number): boolean =>
  target !== undefined && target.conversationId === conversationId && target.seq >= joinedSeq;
