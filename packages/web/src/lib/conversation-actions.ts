/**
 * What the user does to conversations and messages: start a chat or a group, join by invite,
 * change members, leave, set a flag, and recall, edit, react to or delete a message. Each answer
 * from the server is applied at once; the push that follows for every device changes nothing more.
 */
import type { Conversation, Message, NatterClient } from '@natter/client';
import type { ConversationList } from './conversation-list.js';
import type { MessageStore } from './message-store.js';

export type MessageAction = 'recall' | 'edit' | 'react' | 'unreact' | 'hide';

export class ConversationActions {
  constructor(
    private readonly client: NatterClient,
    private readonly list: ConversationList,
    private readonly store: MessageStore,
    private readonly changed: () => void,
  ) {}

  /** A conversation view an action answered with (the push may come later). */
  apply(conv: Conversation): void {
    this.list.put(conv);
    this.changed();
  }

  async setFlag(conversationId: string, flag: 'pinned' | 'muted' | 'archived', on: boolean): Promise<void> {
    this.apply(await this.client.setFlags(conversationId, { [flag]: on }));
  }

  async startDirect(userId: string): Promise<Conversation> {
    const conv = await this.client.openDirect(userId);
    this.apply(conv);
    return conv;
  }

  async createGroup(title: string, members: string[]): Promise<Conversation> {
    const conv = await this.client.createGroup({ ...(title && { title }), members });
    this.apply(conv);
    return conv;
  }

  async joinByInvite(code: string): Promise<Conversation> {
    const conv = await this.client.joinByInvite(code.trim());
    this.apply(conv);
    return conv;
  }

  async addMembers(conversationId: string, userIds: string[]): Promise<void> {
    this.apply(await this.client.addMembers(conversationId, userIds));
  }

  async removeMember(conversationId: string, userId: string): Promise<void> {
    this.apply(await this.client.removeMember(conversationId, userId));
  }

  async leave(conversationId: string): Promise<void> {
    await this.client.leave(conversationId);
    this.apply(await this.client.getConversation(conversationId));
  }

  /**
   * Recall, edit, reactions and delete for me (`hide`): the answer is applied at once; every
   * device gets the log entry (a hide: the user's own devices get a push).
   */
  async act(kind: MessageAction, m: Message, arg = ''): Promise<void> {
    const c = this.client;
    const updated =
      kind === 'hide'
        ? await c.hideMessage(m.conversationId, m.id)
        : kind === 'recall'
          ? await c.recall(m.conversationId, m.id)
          : kind === 'edit'
            ? await c.edit(m.conversationId, m.id, arg)
            : kind === 'react'
              ? await c.react(m.conversationId, m.id, arg)
              : await c.unreact(m.conversationId, m.id, arg);
    this.store.replace(updated);
    this.changed();
  }
}
