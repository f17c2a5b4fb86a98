/**
 * Finding people, contacts and blocks (docs/contacts.md): lookups by username, prefix search,
 * friend requests, the friend list and blocks. Nothing is cached here (`contact` events tell what
 * changed). NatterClient exposes each as a method, documented there.
 */
import type { BlockedUser, Contact, FriendRequestResult, FriendRequests, PublicUser } from '@natter/protocol/wire';
import type { Rpc } from './rpc.js';

export class ContactsApi {
  constructor(private readonly rpc: Rpc) {}

  lookupUser(username: string): Promise<PublicUser> {
    return this.rpc((c) => c.request({ type: 'users.lookup', username }));
  }

  async searchUsers(prefix: string, limit?: number): Promise<PublicUser[]> {
    const r = await this.rpc((c) => c.request({ type: 'users.search', prefix, ...(limit !== undefined && { limit }) }));
    return r.users;
  }

  sendFriendRequest(userId: string): Promise<FriendRequestResult> {
    return this.rpc((c) => c.request({ type: 'contacts.request', userId }));
  }

  acceptFriendRequest(userId: string): Promise<Contact> {
    return this.rpc((c) => c.request({ type: 'contacts.accept', userId }));
  }

  async declineFriendRequest(userId: string): Promise<void> {
    await this.rpc((c) => c.request({ type: 'contacts.decline', userId }));
  }

  async cancelFriendRequest(userId: string): Promise<void> {
    await this.rpc((c) => c.request({ type: 'contacts.cancel', userId }));
  }

  async removeFriend(userId: string): Promise<void> {
    await this.rpc((c) => c.request({ type: 'contacts.remove', userId }));
  }

  async contacts(): Promise<Contact[]> {
    return (await this.rpc((c) => c.request({ type: 'contacts.list' }))).contacts;
  }

  friendRequests(): Promise<FriendRequests> {
    return this.rpc((c) => c.request({ type: 'contacts.requests' }));
  }

  async block(userId: string): Promise<void> {
    await this.rpc((c) => c.request({ type: 'contacts.block', userId }));
  }

  async unblock(userId: string): Promise<void> {
    await this.rpc((c) => c.request({ type: 'contacts.unblock', userId }));
  }

  async blockedUsers(): Promise<BlockedUser[]> {
    return (await this.rpc((c) => c.request({ type: 'contacts.blocks' }))).blocked;
  }
}
