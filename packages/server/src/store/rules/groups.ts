/**
 * Group management rules, written once for every Store (docs/groups.md has the permission
 * table): who may change a group's profile, hand over ownership, dissolve it, mute members or
 * everyone, manage invite codes and join with one, and what each change writes. Pure functions
 * over plain records: a store loads the rows, asks, and applies the write in its transaction.
 */
import { MENTION_ALL, type GroupInvite, type GroupProfile, type GroupProfilePatch, type MemberRole, type SystemBody } from '@natter/protocol';
import type { MemberRecord } from './membership.js';

/** A group change as the core asks for it; `by` is the authenticated user. */
export type GroupChange =
  | { kind: 'profile'; by: string; patch: GroupProfilePatch }
  | { kind: 'transfer'; by: string; userId: string }
  | { kind: 'dissolve'; by: string }
  /** `until`: milliseconds since the epoch; null lifts the mute. */
  | { kind: 'mute'; by: string; userId: string; until: number | null }
  | { kind: 'muteAll'; by: string; muted: boolean };

/** A member row with its mute (null: not muted). */
export interface GroupMemberRecord extends MemberRecord {
  mutedUntil: number | null;
}

/** What the rules read of the conversation. */
export interface GroupRecord {
  kind: 'direct' | 'group';
  title: string | null;
  profile: GroupProfile;
}

/** What an allowed change writes besides its system entry (authored by `author`). */
export interface GroupWrite {
  kind: 'write';
  author: string;
  body: SystemBody;
  /** The conversation's title and profile after the change. */
  title: string | null;
  profile: GroupProfile;
  /** Member rows whose role changes. */
  roles: { userId: string; role: MemberRole }[];
  /** A member row whose mute changes. */
  mute: { userId: string; until: number | null } | null;
  /** Users whose own view changed beyond the log (their views are returned). */
  affected: string[];
}

export type GroupDecision =
  | GroupWrite
  | { kind: 'not_found' }
  | { kind: 'forbidden' }
  | { kind: 'not_member' }
  | { kind: 'noop' }
  | { kind: 'dissolved' };

export const DEFAULT_GROUP_PROFILE: GroupProfile = { avatarUrl: null, description: null, announcement: null, mutedAll: false, dissolvedAt: null };

/** The profile stored as JSON text (null: the default), as a fresh object. */
export function parseGroupProfile(text: string | null | undefined): GroupProfile {
  if (!text) return { ...DEFAULT_GROUP_PROFILE };
  return { ...DEFAULT_GROUP_PROFILE, ...(JSON.parse(text) as Partial<GroupProfile>) };
}

export const serializeGroupProfile = (p: GroupProfile): string => JSON.stringify(p);

/**
 * What a member who left still sees of a group: its title and profile as they were when they
 * left, so that later changes (a new title, an announcement) never reach someone outside it.
 */
export interface LeftView {
  title: string | null;
  group?: GroupProfile;
}

/** The left view stored with a leave (JSON text). */
export const serializeLeftView = (title: string | null, group: GroupProfile | undefined): string => JSON.stringify(group ? { title, group } : { title });

export const parseLeftView = (text: string | null | undefined): LeftView | null => (text ? (JSON.parse(text) as LeftView) : null);

/** Which users a group change reads member rows of: the actor, then its target. */
export function groupInvolvedUsers(change: GroupChange): string[] {
  return change.kind === 'transfer' || change.kind === 'mute' ? [...new Set([change.by, change.userId])] : [change.by];
}

const manages = (role: MemberRole): boolean => role === 'owner' || role === 'admin';

/**
 * Decides a group change made at `now`. `conv`: null when there is no such conversation.
 * `members`: the rows of `groupInvolvedUsers(change)` that exist. A non-member (or former
 * member) always gets `not_found`, so whether a group exists is never told to someone outside it.
 */
export function decideGroupChange(
  conv: GroupRecord | null,
  change: GroupChange,
  members: ReadonlyMap<string, GroupMemberRecord>,
  now: number,
): GroupDecision {
  const actor = members.get(change.by);
  if (!conv || actor?.state !== 'active') return { kind: 'not_found' };
  if (conv.kind !== 'group') return { kind: 'forbidden' };
  const profile = conv.profile;
  if (profile.dissolvedAt !== null) return change.kind === 'dissolve' ? { kind: 'noop' } : { kind: 'dissolved' };
  const write = (body: SystemBody, extra: Partial<GroupWrite> = {}): GroupWrite => ({
    kind: 'write',
    author: change.by,
    body,
    title: conv.title,
    profile: { ...profile },
    roles: [],
    mute: null,
    affected: [],
    ...extra,
  });

  switch (change.kind) {
    case 'profile': {
      if (!manages(actor.role)) return { kind: 'forbidden' };
      const changes: GroupProfilePatch = {};
      const next = { ...profile };
      let title = conv.title;
      const p = change.patch;
      if (p.title !== undefined && p.title !== conv.title) title = changes.title = p.title;
      if (p.avatarUrl !== undefined && p.avatarUrl !== profile.avatarUrl) next.avatarUrl = changes.avatarUrl = p.avatarUrl;
      if (p.description !== undefined && p.description !== profile.description) next.description = changes.description = p.description;
      if (p.announcement !== undefined && p.announcement !== profile.announcement) next.announcement = changes.announcement = p.announcement;
      if (Object.keys(changes).length === 0) return { kind: 'noop' };
      return write({ event: 'group.updated', by: change.by, changes }, { title, profile: next });
    }
    case 'transfer': {
      if (actor.role !== 'owner') return { kind: 'forbidden' };
      const target = members.get(change.userId);
      if (target?.state !== 'active') return { kind: 'not_member' };
      if (change.userId === change.by) return { kind: 'noop' };
      // The old owner stays on as an admin; the new one's mute, if any, ends with the promotion.
      return write(
        { event: 'group.ownerTransferred', by: change.by, userId: change.userId },
        {
          roles: [
            { userId: change.userId, role: 'owner' },
            { userId: change.by, role: 'admin' },
          ],
          mute: target.mutedUntil !== null ? { userId: change.userId, until: null } : null,
          affected: [change.by, change.userId],
        },
      );
    }
    case 'dissolve': {
      if (actor.role !== 'owner') return { kind: 'forbidden' };
      return write({ event: 'group.dissolved', by: change.by }, { profile: { ...profile, dissolvedAt: now } });
    }
    case 'mute': {
      if (!manages(actor.role)) return { kind: 'forbidden' };
      const target = members.get(change.userId);
      if (target?.state !== 'active') return { kind: 'not_member' };
      // Nobody mutes themselves or the owner; only the owner mutes an admin.
      if (change.userId === change.by || target.role === 'owner' || (target.role === 'admin' && actor.role !== 'owner')) return { kind: 'forbidden' };
      if (target.mutedUntil === change.until) return { kind: 'noop' };
      return write(
        { event: 'member.muted', by: change.by, userId: change.userId, until: change.until },
        { mute: { userId: change.userId, until: change.until }, affected: [change.userId] },
      );
    }
    case 'muteAll': {
      if (!manages(actor.role)) return { kind: 'forbidden' };
      if (profile.mutedAll === change.muted) return { kind: 'noop' };
      return write({ event: 'group.mutedAll', by: change.by, muted: change.muted }, { profile: { ...profile, mutedAll: change.muted } });
    }
  }
}

/**
 * Why a member may not send into the conversation now, or null when they may. Direct
 * conversations have no mutes. The owner and admins speak while everyone is muted; a mute by
 * name holds whatever the role, until it ends.
 */
export function sendRefusal(
  conv: { kind: 'direct' | 'group'; profile: GroupProfile | null },
  sender: { role: MemberRole; mutedUntil: number | null },
  now: number,
): 'muted' | 'dissolved' | null {
  if (conv.kind !== 'group' || !conv.profile) return null;
  if (conv.profile.dissolvedAt !== null) return 'dissolved';
  if (sender.mutedUntil !== null && sender.mutedUntil > now) return 'muted';
  if (conv.profile.mutedAll && !manages(sender.role)) return 'muted';
  return null;
}

/**
 * Whether the sender may mention everyone (`"all"`): in a group only its owner and admins may;
 * in a direct conversation anyone may (it reaches the one other member, as a mention by id would).
 */
export function mayMentionAll(mentions: readonly string[] | null | undefined, convKind: 'direct' | 'group', senderRole: MemberRole): boolean {
  if (convKind !== 'group' || !mentions?.includes(MENTION_ALL)) return true;
  return manages(senderRole);
}

/**
 * Whether `by` may create, list or revoke the group's invite codes: its owner and admins, while
 * it is not dissolved. `member`: the actor's row, undefined when they never were a member.
 */
export function decideInviteManagement(
  conv: GroupRecord | null,
  member: Pick<MemberRecord, 'role' | 'state'> | undefined,
): 'ok' | 'not_found' | 'forbidden' | 'dissolved' {
  if (!conv || member?.state !== 'active') return 'not_found';
  if (conv.kind !== 'group' || !manages(member.role)) return 'forbidden';
  if (conv.profile.dissolvedAt !== null) return 'dissolved';
  return 'ok';
}

/** Whether a code may still be joined with: not revoked, not expired, not used up. */
export const inviteUsable = (i: Pick<GroupInvite, 'expiresAt' | 'maxUses' | 'uses' | 'revokedAt'>, now: number): boolean =>
  i.revokedAt === null && (i.expiresAt === null || i.expiresAt > now) && (i.maxUses === null || i.uses < i.maxUses);

/**
 * Decides a join by invite code. `invite`: the code's row, undefined when unknown. `conv`: its
 * group. `member`: the joiner's row in it. `activeCount`: its active members. Every reason a
 * code does not work is one `not_found`, so guessing tells nothing about which codes exist.
 */
export function decideJoin(
  invite: GroupInvite | undefined,
  conv: GroupRecord | null,
  member: Pick<MemberRecord, 'state'> | undefined,
  activeCount: number,
  maxMembers: number,
  now: number,
): 'join' | 'noop' | 'not_found' | 'full' {
  if (!invite || !conv || conv.kind !== 'group' || conv.profile.dissolvedAt !== null || !inviteUsable(invite, now)) return 'not_found';
  if (member?.state === 'active') return 'noop';
  if (activeCount + 1 > maxMembers) return 'full';
  return 'join';
}

/** The system entry of a join by invite code. */
export const joinedByInviteBody = (userId: string, invite: GroupInvite): SystemBody => ({ event: 'member.joinedByInvite', userId, invitedBy: invite.createdBy });
