/**
 * The zod schemas of the REST API's bodies, queries and path parameters: routes.ts validates
 * requests with them and openapi.ts describes the same schemas, so the document cannot drift
 * from what the server accepts.
 */
import { z } from 'zod';
import { LIMITS, objectId } from '@natter/protocol';
import { displayNameProblem } from '../core/display-name.js';
import { isCommonPassword, PASSWORD_MAX, PASSWORD_MIN } from '../core/passwords.js';

export const username = z
  .string()
  .min(3)
  .max(32)
  .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . -');
/** A new password: long enough and not one of the most common ones (ASVS 5 V6.2.4). */
export const password = z
  .string()
  .min(PASSWORD_MIN)
  .max(PASSWORD_MAX)
  .refine((p) => !isCommonPassword(p), 'this password is too common; choose another');
export const displayName = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .superRefine((name, ctx) => {
    const problem = displayNameProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .nullable();
export const avatarUrl = z
  .string()
  .max(2048)
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'http(s) URL')
  .nullable();
export const deviceName = z.string().max(64).nullable().optional();

export const registerBody = z.object({ username, password, displayName: displayName.optional(), deviceName });
export const loginBody = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(PASSWORD_MAX), deviceName });
export const refreshBody = z.object({ refreshToken: z.string().min(1).max(512) });
export const profileBody = z.object({ displayName: displayName.optional(), avatarUrl: avatarUrl.optional() });
export const passwordBody = z.object({ currentPassword: z.string().min(1).max(PASSWORD_MAX), newPassword: password });
export const adminUserBody = z.object({ username, password: password.optional(), displayName: displayName.optional(), avatarUrl: avatarUrl.optional() });
export const mintBody = z.object({ deviceName });
export const idParam = z.object({ id: objectId });
export const memberParams = z.object({ id: objectId, userId: objectId });
export const groupBody = z.object({ title: z.string().min(1).max(LIMITS.titleLength).optional(), members: z.array(objectId).max(LIMITS.membersPerRequest) });
export const directBody = z.object({ userId: objectId });
export const membersBody = z.object({ userIds: z.array(objectId).min(1).max(LIMITS.membersPerRequest) });
export const roleBody = z.object({ role: z.enum(['admin', 'member']) });
export const seqNum = z.coerce.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
export const historyQuery = z.object({
  after: seqNum.optional(),
  before: seqNum.optional(),
  limit: z.coerce.number().int().min(1).max(LIMITS.pageSize).optional(),
});
export const syncQuery = z.object({ since: z.string().max(128).optional(), limit: z.coerce.number().int().min(1).max(LIMITS.pageSize).optional() });
export const seqBody = z.object({ seq: seqNum });
export const presenceBody = z.object({ visible: z.boolean() });

