/**
 * The Store's conversation types: creating one, its state, membership changes, the outcomes of
 * membership and group changes, and group invite codes. store.ts re-exports them.
 */
import type { Conversation, ConversationKind, GroupProfile, MemberRole, Message } from '@natter/protocol';

export interface NewConversation {
  id: string;
  kind: ConversationKind;
  title: string | null;
  createdBy: string;
  /** Includes the creator. */
  members: { userId: string; role: MemberRole }[];
  /** The system entry at seq 1. */
  createdMessageId: string;
  createdAt: number;
}

export type MembershipChange =
  /** `maxMembers`: refused (`full`) when the group would have more active members than this. */
  | { kind: 'add'; userIds: string[]; by: string; maxMembers?: number }
  | { kind: 'remove'; userId: string; by: string }
  | { kind: 'leave'; userId: string }
  /** The owner makes a member an admin, or an admin a member again. */
  | { kind: 'role'; userId: string; role: 'admin' | 'member'; by: string };

/** One user's view of a conversation, as read in the transaction that changed it. */
export interface MemberView {
  userId: string;
  conversation: Conversation;
}

/** A conversation just created, with what its members' devices are told. */
export interface CreatedConversation {
  state: ConversationState;
  /** The `conversation.created` entry at seq 1. */
  entry: Message;
  /** Every member's view, in `state.members` order. */
  views: MemberView[];
}

export type MembershipOutcome =
  /**
   * `newOwner`: the member who became the group's owner because its owner left, if any.
   * `views`: the view of each user it changed besides the log (the affected users and the new
   * owner), each once, read in the same transaction, so callers never read them back.
   */
  | { kind: 'ok'; entry: Message; conversation: ConversationState; affected: string[]; newOwner: string | null; views: MemberView[] }
  | { kind: 'not_found' }
  | { kind: 'forbidden' }
  /** A role change for someone who is not an active member. */
  | { kind: 'not_member' }
  /** Nothing to do (adding members who are all already in, removing a non-member). */
  | { kind: 'noop'; conversation: ConversationState }
  /** Adding would pass the change's `maxMembers`. */
  | { kind: 'full' }
  /** The group was dissolved: only leaving is allowed. */
  | { kind: 'dissolved' };

/**
 * Outcome of a group change (changeGroup) or a join by invite code (joinByInvite). `views`: the
 * views of the users whose own view changed beyond the log, read in the same transaction.
 */
export type GroupOutcome =
  | { kind: 'ok'; entry: Message; conversation: ConversationState; affected: string[]; views: MemberView[] }
  /** No such group, or the actor is not an active member (for a join: no usable code). */
  | { kind: 'not_found' }
  | { kind: 'forbidden' }
  /** The target is not an active member. */
  | { kind: 'not_member' }
  /** Allowed but changes nothing (a patch repeating the profile; joining a group one is in). */
  | { kind: 'noop'; conversation: ConversationState }
  | { kind: 'full' }
  | { kind: 'dissolved' };

export interface NewGroupInvite {
  code: string;
  createdBy: string;
  createdAt: number;
  expiresAt: number | null;
  maxUses: number | null;
}

export type InviteOutcome<T> =
  | { kind: 'ok'; value: T }
  /** No such group, the actor is not an active member, or (revoke) no such code of this group. */
  | { kind: 'not_found' }
  | { kind: 'forbidden' }
  | { kind: 'dissolved' };

/** The conversation as the server sees it, without any one user's view. */
export interface ConversationState {
  id: string;
  kind: ConversationKind;
  title: string | null;
  lastSeq: number;
  createdAt: number;
  /** Active members with roles. */
  members: { userId: string; role: MemberRole }[];
  /** Groups: profile and state (rules/groups.ts); absent for direct conversations. */
  group?: GroupProfile;
}
