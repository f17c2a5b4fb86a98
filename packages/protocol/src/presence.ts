/**
 * Typing indicators and presence on the wire (issue 21, items 5 and 6). Both are ephemeral:
 * never stored in the log, never part of sync; a client that missed a push asks again
 * (`presence.get`) or simply waits for the next one. See docs/presence.md for the guarantees.
 */
import { z } from 'zod';

import { PRESENCE_LIMITS } from './presence-limits.js';

export { PRESENCE_LIMITS };

const requestId = z.union([z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), z.string().min(1).max(64)]);
const objectId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'ids are letters, digits, _ and -');

/** "I am typing in this conversation" (start, repeated while typing) or "I stopped". */
export const typingFrame = z.object({
  type: z.literal('typing'),
  id: requestId.optional(),
  conversationId: objectId,
  state: z.enum(['start', 'stop']),
});

/** Online / last seen of up to 100 users the caller shares a conversation with. */
export const presenceGetFrame = z.object({
  type: z.literal('presence.get'),
  id: requestId.optional(),
  userIds: z.array(objectId).min(1).max(PRESENCE_LIMITS.usersPerQuery),
});

/** Shows or hides the caller's presence to everyone (default: shown). */
export const presenceVisibilityFrame = z.object({
  type: z.literal('presence.setVisible'),
  id: requestId.optional(),
  visible: z.boolean(),
});

/** One user's presence as others see it. */
export interface Presence {
  userId: string;
  /** True while any device of the user is connected (and they show their presence). */
  online: boolean;
  /**
   * When the user was last online (ms since the epoch, server time); null while online, when
   * they hide their presence, or when it is not known (see docs/presence.md).
   */
  lastSeen: number | null;
}

/** Someone is typing (`start`) in a conversation, or stopped; `start` lapses after `ttlMs` unless repeated. */
export interface TypingPush {
  type: 'typing';
  conversationId: string;
  userId: string;
  state: 'start' | 'stop';
  /** How long a `start` holds without a repeat. */
  ttlMs: number;
}

/** A user sharing a direct conversation with you came online or went offline. */
export interface PresencePush {
  type: 'presence';
  presence: Presence;
}

export interface PresenceResultData {
  typing: { ttlMs: number };
  'presence.get': { users: Presence[] };
  'presence.setVisible': { visible: boolean };
}
