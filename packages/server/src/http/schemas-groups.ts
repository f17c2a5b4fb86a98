/**
 * The zod schemas of the group management routes (routes-groups.ts), described by openapi.ts
 * as schemas.ts's are. The profile patch is the protocol's own (`groupPatch`), shared with the frame.
 */
import { z } from 'zod';
import { GROUP_LIMITS, inviteCode, objectId } from '@natter/protocol';

export { groupPatch } from '@natter/protocol';
export const idParam = z.object({ id: objectId });
export const memberParams = z.object({ id: objectId, userId: objectId });
export const inviteParams = z.object({ id: objectId, code: inviteCode });
export const transferBody = z.object({ userId: objectId });
export const muteBody = z.object({ seconds: z.number().int().min(0).max(GROUP_LIMITS.maxMuteSeconds) });
export const muteAllBody = z.object({ muted: z.boolean() });
export const inviteBody = z.object({
  expiresInSeconds: z.number().int().min(1).max(GROUP_LIMITS.maxInviteSeconds).optional(),
  maxUses: z.number().int().min(1).max(GROUP_LIMITS.maxInviteUses).optional(),
});
export const joinBody = z.object({ code: inviteCode });
