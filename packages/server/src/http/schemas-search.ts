/** The zod schema of GET /v1/search (routes-search.ts), described by openapi.ts as well. */
import { z } from 'zod';
import { objectId, SEARCH_LIMITS } from '@natter/protocol';

const time = z.coerce.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const searchQuery = z.object({
  q: z.string().min(1).max(SEARCH_LIMITS.queryMax),
  conversationId: objectId.optional(),
  senderId: objectId.optional(),
  before: time.optional(),
  after: time.optional(),
  limit: z.coerce.number().int().min(1).max(SEARCH_LIMITS.pageMax).optional(),
  cursor: z.string().min(1).max(SEARCH_LIMITS.cursorMax).optional(),
});
