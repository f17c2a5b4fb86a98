/**
 * The zod schemas of the REST API's bodies, queries and path parameters: routes.ts validates
 * requests with them and openapi.ts describes the same schemas, so the document cannot drift
 * from what the server accepts.
 */
import { z } from 'zod';
import { LIMITS, objectId, userSettingsPatch } from '@natter/protocol';
import { displayNameProblem } from '../core/display-name.js';
import { normaliseUsername, usernameProblem } from '../store/rules/usernames.js';
import { isCommonPassword, PASSWORD_MAX, PASSWORD_MIN } from '../core/passwords.js';

/**
 * A new username: 3–32 characters after Unicode NFKC, letters of one script, digits 0-9, `_ . -`;
 * stored in NFKC form, unique case-insensitively (store/rules/usernames.ts, docs/contacts.md).
 */
export const username = z
  .string()
  .min(3)
  .max(32)
  .superRefine((name, ctx) => {
    const problem = usernameProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .transform(normaliseUsername);
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

/** `inviteCode`: needed when REGISTRATION=invite (codes from POST /v1/admin/invites or `natter invite create`). */
export const registerBody = z.object({ username, password, displayName: displayName.optional(), deviceName, inviteCode: z.string().min(1).max(128).optional() });
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
/** This user's flags of a conversation; those left out stay as they are (at least one). */
export const flagsBody = z
  .object({ pinned: z.boolean().optional(), muted: z.boolean().optional(), archived: z.boolean().optional() })
  .refine((b) => b.pinned !== undefined || b.muted !== undefined || b.archived !== undefined, 'give pinned, muted or archived');

export const presenceBody = z.object({ visible: z.boolean() });


// --- user administration (issue 20; routes-admin.ts) ---
/** A user by id or by username (the CLI takes either). */
export const userRefParam = z.object({ id: z.string().min(1).max(64) });
export const adminUsersQuery = z.object({ after: z.string().min(1).max(64).optional(), limit: z.coerce.number().int().min(1).max(500).optional() });
export const inviteBody = z.object({ expiresInHours: z.number().int().min(1).max(24 * 365).nullable().optional() });

/** PATCH /v1/me/settings: the settings to change (UserSettings fields, each optional; unknown fields refused). */
export const settingsBody = userSettingsPatch;
