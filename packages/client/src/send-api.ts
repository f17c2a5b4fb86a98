/**
 * What a text or custom send queues in the outbox: the options a caller gives a send, and the
 * generated idempotency key (a UUIDv7) when they give none. Media sends are media-api.ts's.
 */
import { v7 as uuidv7 } from 'uuid';
import type { PendingSend } from './cache.js';

export interface SendOptions {
  /**
   * Supply your own idempotency key; generated when omitted (a UUIDv7). Keys that start with
   * the time, like the generated ones, are cheapest for the server to index.
   */
  clientMsgId?: string;
  replyTo?: string;
  /**
   * Active members' user ids and/or `"all"` to mention (at most 50). Stored with the message
   * (`Message.mentions`); a mentioned member's conversation shows `mentioned` until read.
   */
  mentions?: string[];
}

/**
 * A UUIDv7 (RFC 9562, from the `uuid` package): 48 bits of Unix milliseconds, then a counter and
 * random bits. Ids that sort by time land at the end of the server's idempotency index, so a batch
 * of sends writes a page or two of it instead of a page per sender (random UUIDv4 keys scatter
 * across the whole index). `now` is for tests.
 */
export function newClientMsgId(now?: number): string {
  return now === undefined ? uuidv7() : uuidv7({ msecs: now });
}

/** The outbox entry of a text or custom send. */
export function pendingSend(conversationId: string, msgType: 'text' | 'custom', body: unknown, options: SendOptions): PendingSend {
  return {
    clientMsgId: options.clientMsgId ?? newClientMsgId(),
    conversationId,
    msgType,
    body,
    createdAt: Date.now(),
    ...(options.replyTo !== undefined && { replyTo: options.replyTo }),
    ...(options.mentions !== undefined && options.mentions.length > 0 && { mentions: options.mentions }),
  };
}
