/**
 * Conversations as NatterClient serves them: opening and creating them, membership, the user's
 * read cursor and flags, the live conversation list, and history from the cache (loading older
 * pages from the server). NatterClient exposes each as a method, documented there.
 */
import type { Conversation, ConversationFlags, Message } from '@natter/protocol/wire';
import type { ClientCache } from './cache.js';
import { ConversationList, type ConversationListSource } from './conversation-list.js';
import type { Rpc } from './rpc.js';

export class ConversationsApi {
  constructor(
    private readonly rpc: Rpc,
    private readonly cache: ClientCache,
    /** Read when the list asks, not when this is made: the user is known once online. */
    private readonly userId: () => string | null,
    private readonly on: ConversationListSource['on'],
  ) {}

  openDirect(userId: string): Promise<Conversation> {
    return this.rpc((c) => c.request({ type: 'conversation.direct', userId }));
  }

  createGroup(input: { title?: string; members: string[] }): Promise<Conversation> {
    return this.rpc((c) => c.request({ type: 'conversation.create', ...input }));
  }

  getConversation(conversationId: string): Promise<Conversation> {
    return this.rpc((c) => c.request({ type: 'conversation.get', conversationId }));
  }

  addMembers(conversationId: string, userIds: string[]): Promise<Conversation> {
    return this.rpc((c) => c.request({ type: 'conversation.addMembers', conversationId, userIds }));
  }

  removeMember(conversationId: string, userId: string): Promise<Conversation> {
    return this.rpc((c) => c.request({ type: 'conversation.removeMember', conversationId, userId }));
  }

  setRole(conversationId: string, userId: string, role: 'admin' | 'member'): Promise<Conversation> {
    return this.rpc((c) => c.request({ type: 'conversation.setRole', conversationId, userId, role }));
  }

  leave(conversationId: string): Promise<{ conversationId: string; seq: number }> {
    return this.rpc((c) => c.request({ type: 'conversation.leave', conversationId }));
  }

  markRead(conversationId: string, seq: number): Promise<{ seq: number }> {
    return this.rpc((c) => c.request({ type: 'read', conversationId, seq }));
  }

  setFlags(conversationId: string, flags: ConversationFlags): Promise<Conversation> {
    return this.rpc((c) => c.request({ type: 'conversation.setFlags', conversationId, ...flags }));
  }

  conversationList(): ConversationList {
    const userId = this.userId;
    const source: ConversationListSource = {
      get userId() {
        return userId();
      },
      on: this.on,
      getConversation: (id) => this.getConversation(id),
      conversations: () => this.conversations(),
      lastAppliedSeq: (id) => this.cache.getLastSeq(id),
    };
    return new ConversationList(source);
  }

  async loadOlder(conversationId: string, limit: number): Promise<Message[]> {
    const have = await this.cache.getMessages(conversationId);
    const before = have[0]?.seq ?? (await this.cache.getLastSeq(conversationId)) + 1;
    const page = await this.rpc((c) => c.request({ type: 'messages', conversationId, before, limit }));
    await this.cache.prependMessages(conversationId, page.messages);
    return page.messages;
  }

  /** Leaves out the tombstones of messages hidden for this user (the cache keeps them so its log has no gap). */
  async messages(conversationId: string): Promise<Message[]> {
    return (await this.cache.getMessages(conversationId)).filter((m) => m.hiddenAt === undefined);
  }

  conversations(): Promise<Conversation[]> {
    return this.cache.listConversations();
  }
}
