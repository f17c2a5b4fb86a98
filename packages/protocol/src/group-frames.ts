/**
 * Group management frames (docs/groups.md): the group's profile, ownership, dissolving, mutes
 * and invite codes. Merged into `clientFrameSchemas` in frames.ts; their answers are in
 * `GroupResultData`.
 */
import { z } from 'zod';
import type { Conversation, GroupInvite } from './model.js';

export const GROUP_LIMITS = {
  titleLength: 200,
  avatarUrlLength: 2048,
  descriptionLength: 1000,
  announcementLength: 4000,
  /** Invite codes are 22 characters of base64url; a little slack for other forms. */
  inviteCodeLength: 64,
  /** Longest mute: a year. */
  maxMuteSeconds: 366 * 24 * 3600,
  /** Longest invite lifetime: a year. */
  maxInviteSeconds: 366 * 24 * 3600,
  maxInviteUses: 100_000,
} as const;

const id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'ids are letters, digits, _ and -');
const requestId = z.union([z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), z.string().min(1).max(64)]);
const base = { id: requestId.optional() };

/** Text a member sees: no control characters besides newline and tab. */
const shownText = (max: number) =>
  z
    .string()
    .max(max)
    // eslint-disable-next-line no-control-regex
    .regex(/^[^\u0000-\u0008\u000b-\u001f\u007f]*$/, 'no control characters');

export const groupAvatarUrl = z
  .string()
  .max(GROUP_LIMITS.avatarUrlLength)
  .regex(/^https?:\/\/[^\s]+$/i, 'an http(s) URL');

/** A patch of the group's profile: a field left out stays, null clears it (the title cannot be empty). */
export const groupPatch = z
  .object({
    title: shownText(GROUP_LIMITS.titleLength).min(1).nullable().optional(),
    avatarUrl: groupAvatarUrl.nullable().optional(),
    description: shownText(GROUP_LIMITS.descriptionLength).nullable().optional(),
    announcement: shownText(GROUP_LIMITS.announcementLength).nullable().optional(),
  })
  .strict();

export const groupUpdateFrame = z.object({ type: z.literal('group.update'), ...base, conversationId: id, patch: groupPatch });
export const groupTransferFrame = z.object({ type: z.literal('group.transfer'), ...base, conversationId: id, userId: id });
export const groupDissolveFrame = z.object({ type: z.literal('group.dissolve'), ...base, conversationId: id });
/** `seconds`: how long the member stays muted; 0 lifts a mute. */
export const groupMuteFrame = z.object({
  type: z.literal('group.mute'),
  ...base,
  conversationId: id,
  userId: id,
  seconds: z.number().int().min(0).max(GROUP_LIMITS.maxMuteSeconds),
});
export const groupMuteAllFrame = z.object({ type: z.literal('group.muteAll'), ...base, conversationId: id, muted: z.boolean() });
export const inviteCreateFrame = z.object({
  type: z.literal('group.invite.create'),
  ...base,
  conversationId: id,
  /** Seconds until the code expires; absent: never. */
  expiresInSeconds: z.number().int().min(1).max(GROUP_LIMITS.maxInviteSeconds).optional(),
  /** Joins the code allows; absent: no limit. */
  maxUses: z.number().int().min(1).max(GROUP_LIMITS.maxInviteUses).optional(),
});
export const inviteListFrame = z.object({ type: z.literal('group.invite.list'), ...base, conversationId: id });
export const inviteCode = z.string().min(1).max(GROUP_LIMITS.inviteCodeLength).regex(/^[A-Za-z0-9_-]+$/, 'an invite code');
export const inviteRevokeFrame = z.object({ type: z.literal('group.invite.revoke'), ...base, conversationId: id, code: inviteCode });
export const groupJoinFrame = z.object({ type: z.literal('group.join'), ...base, code: inviteCode });

export const groupFrameSchemas = {
  'group.update': groupUpdateFrame,
  'group.transfer': groupTransferFrame,
  'group.dissolve': groupDissolveFrame,
  'group.mute': groupMuteFrame,
  'group.muteAll': groupMuteAllFrame,
  'group.invite.create': inviteCreateFrame,
  'group.invite.list': inviteListFrame,
  'group.invite.revoke': inviteRevokeFrame,
  'group.join': groupJoinFrame,
} as const;

export type GroupFrameType = keyof typeof groupFrameSchemas;
export type GroupFrame = { [K in GroupFrameType]: z.infer<(typeof groupFrameSchemas)[K]> }[GroupFrameType];

/** What each group request's `result.data` holds: the caller's view after the change, or invites. */
export interface GroupResultData {
  'group.update': Conversation;
  'group.transfer': Conversation;
  'group.dissolve': Conversation;
  'group.mute': Conversation;
  'group.muteAll': Conversation;
  'group.invite.create': GroupInvite;
  'group.invite.list': { invites: GroupInvite[] };
  'group.invite.revoke': GroupInvite;
  'group.join': Conversation;
}
