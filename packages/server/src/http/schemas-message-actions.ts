/** The zod schemas of the message-action routes (routes-message-actions.ts), described by openapi.ts as well. */
import { z } from 'zod';
import { emoji, MESSAGE_ACTION_LIMITS, objectId } from '@natter/protocol';

export const messageParams = z.object({ id: objectId, messageId: objectId });
export const reactionParams = z.object({ id: objectId, messageId: objectId, emoji });
export const editBody = z.object({ text: z.string().min(1).max(MESSAGE_ACTION_LIMITS.textLength) }).strict();
