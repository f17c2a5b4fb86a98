/** The `messages.search` frame's schema (types and limits: search.ts; docs/search.md). */
import { z } from 'zod';
import { SEARCH_LIMITS } from './search.js';

const requestId = z.union([z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), z.string().min(1).max(64)]);
const ref = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'ids are letters, digits, _ and -');
const time = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const messageSearchFrame = z.object({
  type: z.literal('messages.search'),
  id: requestId.optional(),
  /** What to find: whitespace-separated terms, each must occur in the text (case-insensitively for ASCII). */
  query: z.string().min(1).max(SEARCH_LIMITS.queryMax),
  conversationId: ref.optional(),
  senderId: ref.optional(),
  /** Only messages created before this time (ms since the epoch, exclusive). */
  before: time.optional(),
  /** Only messages created after this time (exclusive). */
  after: time.optional(),
  limit: z.number().int().min(1).max(SEARCH_LIMITS.pageMax).optional(),
  cursor: z.string().min(1).max(SEARCH_LIMITS.cursorMax).optional(),
});

export const searchFrameSchemas = { 'messages.search': messageSearchFrame } as const;
