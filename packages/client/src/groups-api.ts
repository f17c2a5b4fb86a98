/**
 * Group management requests (docs/groups.md): profile, ownership, dissolving, mutes and invite
 * codes. NatterClient exposes each as a method, documented there.
 */
import type { Conversation, GroupInvite, GroupProfilePatch } from '@natter/protocol/wire';
import type { Rpc } from './rpc.js';

export class GroupsApi {
  constructor(private readonly rpc: Rpc) {}

  updateGroup(conversationId: string, patch: GroupProfilePatch): Promise<Conversation> {
    return this.rpc((c) => c.request({ type: 'group.update', conversationId, patch }));
  }

  transferOwnership(conversationId: string, userId: string): Promise<Conversation> {
    return this.rpc((c) => c.request({ type: 'group.transfer', conversationId, userId }));
  }

  dissolveGroup(conversationId: string): Promise<Conversation> {
    return this.rpc((c) => c.request({ type: 'group.dissolve', conversationId }));
  }

  muteMember(conversationId: string, userId: string, seconds: number): Promise<Conversation> {
    return this.rpc((c) => c.request({ type: 'group.mute', conversationId, userId, seconds }));
  }

  muteAll(conversationId: string, muted: boolean): Promise<Conversation> {
    return this.rpc((c) => c.request({ type: 'group.muteAll', conversationId, muted }));
  }

  createInvite(conversationId: string, options: { expiresInSeconds?: number; maxUses?: number }): Promise<GroupInvite> {
    return this.rpc((c) => c.request({ type: 'group.invite.create', conversationId, ...options }));
  }

  async listInvites(conversationId: string): Promise<GroupInvite[]> {
    return (await this.rpc((c) => c.request({ type: 'group.invite.list', conversationId }))).invites;
  }

  revokeInvite(conversationId: string, code: string): Promise<GroupInvite> {
    return this.rpc((c) => c.request({ type: 'group.invite.revoke', conversationId, code }));
  }

  joinByInvite(code: string): Promise<Conversation> {
    // Not retried on rate_limited: the limit on code attempts is per hour, so the caller is told at once.
    return this.rpc((c) => c.request({ type: 'group.join', code }, { retryRateLimited: false }));
  }
}
