/**
 * Message actions (docs/protocol.md "Message actions"): recall, edit, reactions, and delete for
 * me with its undo, which this device applies to its cache at once rather than waiting for the
 * push. NatterClient exposes each as a method, documented there.
 */
import type { Message } from '@natter/protocol/wire';
import type { Rpc } from './rpc.js';
import type { SyncEngine } from './sync.js';

export class MessageActionsApi {
  constructor(
    private readonly rpc: Rpc,
    private readonly sync: SyncEngine,
  ) {}

  async recall(conversationId: string, messageId: string): Promise<Message> {
    return (await this.rpc((c) => c.request({ type: 'message.recall', conversationId, messageId }))).message;
  }

  async edit(conversationId: string, messageId: string, text: string): Promise<Message> {
    return (await this.rpc((c) => c.request({ type: 'message.edit', conversationId, messageId, text }))).message;
  }

  async react(conversationId: string, messageId: string, emoji: string): Promise<Message> {
    return (await this.rpc((c) => c.request({ type: 'message.react', conversationId, messageId, emoji }))).message;
  }

  async unreact(conversationId: string, messageId: string, emoji: string): Promise<Message> {
    return (await this.rpc((c) => c.request({ type: 'message.unreact', conversationId, messageId, emoji }))).message;
  }

  async hideMessage(conversationId: string, messageId: string): Promise<Message> {
    const { message } = await this.rpc((c) => c.request({ type: 'message.hide', conversationId, messageId }));
    // This device need not wait for the push (which then changes nothing).
    await this.sync.onHidden({ conversationId, messageId, seq: message.seq, hiddenAt: message.hiddenAt ?? Date.now() });
    return message;
  }

  async unhideMessage(conversationId: string, messageId: string): Promise<Message> {
    const { message } = await this.rpc((c) => c.request({ type: 'message.unhide', conversationId, messageId }));
    await this.sync.onUnhidden({ conversationId, messageId, seq: message.seq }, message);
    return message;
  }
}
