/** The zod schemas of the contacts routes (routes-contacts.ts), described by openapi.ts as well. */
import { z } from 'zod';
import { CONTACT_LIMITS, objectId } from '@natter/protocol';

export const lookupQuery = z.object({ username: z.string().min(1).max(CONTACT_LIMITS.usernameInput) });
export const searchQuery = z.object({
  prefix: z.string().min(1).max(CONTACT_LIMITS.searchPrefixMax),
  limit: z.coerce.number().int().min(1).max(CONTACT_LIMITS.searchPageMax).optional(),
});
export const userIdParam = z.object({ userId: objectId });
export const friendRequestBody = z.object({ userId: objectId });
