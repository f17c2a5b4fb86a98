/**
 * Message actions (docs/protocol.md "Message actions"): recall, edit, reactions, and delete for
 * me (`message.hide`, per user: no log entry, see message-action-apply.ts hiddenCopy). The others are each a
 * system entry in the conversation's log (`message.recalled`, `message.edited`,
 * `reaction.added`, `reaction.removed`), so every device converges by applying the entries it
 * receives live or through sync to the message it names. Merged into `clientFrameSchemas` in
 * frames.ts; their answers are in `MessageActionResultData`.
 */
import { z } from 'zod';
import type { Message } from './model.js';

export const MESSAGE_ACTION_LIMITS = {
  /** An emoji (or a short code such as `:+1:`): at most this many UTF-16 units. */
  emojiLength: 32,
  /** Distinct emoji on one message. */
  emojisPerMessage: 32,
  /** Edited text: the same bound as a sent text's. */
  textLength: 16_000,
} as const;

const id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'ids are letters, digits, _ and -');
const requestId = z.union([z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), z.string().min(1).max(64)]);
const base = { id: requestId.optional() };

/** One emoji or short code: no whitespace or control characters. */
export const emoji = z
  .string()
  .min(1)
  .max(MESSAGE_ACTION_LIMITS.emojiLength)
  .regex(/^[^\s\p{Cc}]+$/u, 'an emoji, without whitespace');

const target = { conversationId: id, messageId: id };

export const recallFrame = z.object({ type: z.literal('message.recall'), ...base, ...target });
export const editFrame = z.object({
  type: z.literal('message.edit'),
  ...base,
  ...target,
  text: z.string().min(1).max(MESSAGE_ACTION_LIMITS.textLength),
});
export const reactFrame = z.object({ type: z.literal('message.react'), ...base, ...target, emoji });
export const unreactFrame = z.object({ type: z.literal('message.unreact'), ...base, ...target, emoji });
/** Delete for me: the caller's own copies only; nothing goes into the conversation's log. */
export const hideFrame = z.object({ type: z.literal('message.hide'), ...base, ...target });
/** Undoes a delete for me: the caller's copies show the message again. */
export const unhideFrame = z.object({ type: z.literal('message.unhide'), ...base, ...target });

export const messageActionFrameSchemas = {
  'message.recall': recallFrame,
  'message.edit': editFrame,
  'message.react': reactFrame,
  'message.unreact': unreactFrame,
  'message.hide': hideFrame,
  'message.unhide': unhideFrame,
} as const;

export type MessageActionFrameType = keyof typeof messageActionFrameSchemas;
export type MessageActionFrame = { [K in MessageActionFrameType]: z.infer<(typeof messageActionFrameSchemas)[K]> }[MessageActionFrameType];

/**
 * The answer to every message action: the message as it now is (a no-op answers it as it was);
 * for `message.hide`, as the caller now sees it (a tombstone with `hiddenAt`).
 */
export interface MessageActionResult {
  message: Message;
}

export interface MessageActionResultData {
  'message.recall': MessageActionResult;
  'message.edit': MessageActionResult;
  'message.react': MessageActionResult;
  'message.unreact': MessageActionResult;
  'message.hide': MessageActionResult;
  'message.unhide': MessageActionResult;
}
