/**
 * Group management (docs/groups.md): the profile (title, avatar, description, announcement),
 * handing over ownership, dissolving, muting one member or everyone, and invite codes. Every
 * change is a system entry in the group's log, emitted as `membership.changed`, so every device
 * converges through live delivery and sync. Who may do what is decided by the store's shared
 * rules (store/rules/groups.ts) inside the change's transaction; this service maps outcomes to
 * protocol errors and limits how fast one user may try invite codes.
 */
import { membershipRefusal } from './membership-refusals.js';
import { randomBytes } from 'node:crypto';
import {
  NatterError,
  type Conversation,
  type GroupFrame,
  type GroupInvite,
  type GroupProfilePatch,
  type GroupResultData,
} from '@natter/protocol';
import type { Clock } from './clock.js';
import type { DomainEvents, MembershipChangeKind } from './events.js';
import { newMessageId } from './ids.js';
import type { UserBudget } from './rate-limit.js';
import type { GroupChange } from '../store/rules/groups.js';
import type { GroupOutcome, InviteOutcome, Store } from '../store/store.js';

export interface GroupLimits {
  /** Active members a group may have (GROUP_MAX_MEMBERS). */
  maxMembers: number;
}

/** The one answer for every code that does not work: unknown, expired, used up, revoked, another's. */
const badCode = () => new NatterError('not_found', 'no such invite code, or it has expired or been revoked');
const notFound = () => new NatterError('not_found', 'no such conversation');

/** 128 random bits, base64url: 22 characters nobody guesses. */
export const newInviteCode = (): string => randomBytes(16).toString('base64url');

const KIND_OF: Record<GroupChange['kind'], MembershipChangeKind> = {
  profile: 'profile',
  transfer: 'owner',
  dissolve: 'dissolved',
  mute: 'muted',
  muteAll: 'muted',
};

export class Groups {
  constructor(
    private readonly store: Store,
    private readonly events: DomainEvents,
    private readonly clock: Clock,
    private readonly limits: GroupLimits,
    /**
     * Join-by-code attempts per user (INVITE_JOIN_ATTEMPTS_PER_HOUR), counted before the code is
     * checked so that concurrent guesses cannot all slip past; a success gives its attempt back.
     */
    private readonly joinAttempts: UserBudget,
  ) {}

  /** Runs one group frame for the authenticated `userId` (session.ts). */
  dispatch(userId: string, f: GroupFrame): Promise<GroupResultData[GroupFrame['type']]> {
    switch (f.type) {
      case 'group.update':
        return this.update(userId, f.conversationId, f.patch);
      case 'group.transfer':
        return this.change(f.conversationId, { kind: 'transfer', by: userId, userId: f.userId });
      case 'group.dissolve':
        return this.change(f.conversationId, { kind: 'dissolve', by: userId });
      case 'group.mute':
        return this.mute(userId, f.conversationId, f.userId, f.seconds);
      case 'group.muteAll':
        return this.change(f.conversationId, { kind: 'muteAll', by: userId, muted: f.muted });
      case 'group.invite.create':
        return this.createInvite(userId, f.conversationId, { expiresInSeconds: f.expiresInSeconds, maxUses: f.maxUses });
      case 'group.invite.list':
        return this.listInvites(userId, f.conversationId).then((invites) => ({ invites }));
      case 'group.invite.revoke':
        return this.revokeInvite(userId, f.conversationId, f.code);
      case 'group.join':
        return this.join(userId, f.code);
    }
  }

  /** Changes the title, avatar, description or announcement (owner and admins). */
  update(userId: string, conversationId: string, patch: GroupProfilePatch): Promise<Conversation> {
    return this.change(conversationId, { kind: 'profile', by: userId, patch });
  }

  /** Mutes `target` for `seconds` (0 lifts the mute). */
  mute(userId: string, conversationId: string, target: string, seconds: number): Promise<Conversation> {
    const until = seconds === 0 ? null : this.clock.now() + seconds * 1000;
    return this.change(conversationId, { kind: 'mute', by: userId, userId: target, until });
  }

  async change(conversationId: string, change: GroupChange): Promise<Conversation> {
    const outcome = await this.store.changeGroup(conversationId, change, newMessageId(), this.clock.now());
    return this.settle(conversationId, change.by, outcome, KIND_OF[change.kind]);
  }

  async createInvite(userId: string, conversationId: string, o: { expiresInSeconds?: number | undefined; maxUses?: number | undefined }): Promise<GroupInvite> {
    const now = this.clock.now();
    const r = await this.store.createGroupInvite(conversationId, {
      code: newInviteCode(),
      createdBy: userId,
      createdAt: now,
      expiresAt: o.expiresInSeconds === undefined ? null : now + o.expiresInSeconds * 1000,
      maxUses: o.maxUses ?? null,
    });
    return valueOf(r, notFound);
  }

  async listInvites(userId: string, conversationId: string): Promise<GroupInvite[]> {
    return valueOf(await this.store.listGroupInvites(conversationId, userId), notFound);
  }

  async revokeInvite(userId: string, conversationId: string, code: string): Promise<GroupInvite> {
    // A member who may not manage codes and an outsider are told what they would be told anyway.
    return valueOf(await this.store.revokeGroupInvite(conversationId, userId, code, this.clock.now()), badCode);
  }

  /** Joins the group of an invite code; rate-limited per user. Already a member: their view. */
  async join(userId: string, code: string): Promise<Conversation> {
    await this.joinAttempts.consume(userId);
    const outcome = await this.store.joinByInvite(code, userId, newMessageId(), this.clock.now(), this.limits.maxMembers);
    if (outcome.kind === 'not_found') throw badCode();
    await this.joinAttempts.giveBack(userId);
    const id = outcome.kind === 'ok' || outcome.kind === 'noop' ? outcome.conversation.id : '';
    return this.settle(id, userId, outcome, 'joined');
  }

  private async settle(conversationId: string, actor: string, outcome: GroupOutcome, change: MembershipChangeKind): Promise<Conversation> {
    switch (outcome.kind) {
      case 'not_found':
      case 'forbidden':
      case 'not_member':
      case 'full':
      case 'dissolved':
        throw membershipRefusal(outcome.kind, this.limits.maxMembers, 'group');
      case 'noop':
        break;
      case 'ok': {
        const joined = change === 'joined' ? outcome.views : [];
        await this.events.emit({
          type: 'membership.changed',
          conversationId,
          change,
          entry: outcome.entry,
          joined,
          left: [],
          updated: change === 'joined' ? [] : outcome.views,
        });
        const mine = outcome.views.find((v) => v.userId === actor);
        if (mine) return mine.conversation;
        break;
      }
    }
    const view = await this.store.getConversationForUser(conversationId, actor);
    if (!view) throw notFound();
    return view;
  }
}

function valueOf<T>(r: InviteOutcome<T>, missing: () => NatterError): T {
  switch (r.kind) {
    case 'ok':
      return r.value;
    case 'not_found':
      throw missing();
    case 'forbidden':
      throw new NatterError('forbidden', 'only the owner and admins manage invite codes');
    case 'dissolved':
      throw new NatterError('group_dissolved', 'this group was dissolved');
  }
}
