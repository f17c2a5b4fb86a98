/**
 * Message actions (docs/protocol.md "Message actions"): recall, edit, reactions, and delete for me
 * (`message.hide`: one user's record, not a log entry; see hide()). The store's
 * shared rules (store/rules/message-actions.ts) decide who may do what inside the action's
 * transaction; every action that changes something is a system entry in the conversation's log
 * (`message.recalled`, `message.edited`, `reaction.added`, `reaction.removed`), emitted as
 * `message.acted`, so every device converges through live delivery and sync. A recalled media
 * message's blob stops being served (the media hook).
 */
import { NatterError, type MessageActionFrame, type MessageActionResult } from '@natter/protocol';
import type { Clock } from './clock.js';
import type { DomainEvents } from './events.js';
import { newMessageId } from './ids.js';
import type { MessageAction } from '../store/rules/message-actions.js';
import type { Store } from '../store/store.js';
import type { UserBudget } from './rate-limit.js';

export interface MessageActionLimits {
  /** How long after sending a sender may recall a message (RECALL_WINDOW_SECONDS). */
  recallWindowMs: number;
  /** An edited text's longest length, as a sent one's (MAX_TEXT_LENGTH). */
  maxTextLength: number;
}

/** What a recall needs from the media service (media/media-service.ts). */
export interface RecallHook {
  onMessageRecalled(conversationId: string, messageId: string): Promise<void>;
}

/**
 * Per-user budgets (REACTIONS_PER_MINUTE each): reactions added or removed, and messages hidden or
 * shown again, counted apart.
 */
export interface MessageActionBudgets {
  reactions: Pick<UserBudget, 'consume'>;
  hides: Pick<UserBudget, 'consume'>;
}

/** The one answer for a message that does not exist, is not visible, or is not the caller's to change. */
const notFound = () => new NatterError('not_found', 'no such message');

export class MessageActions {
  /** Set once the media service is open (server.ts). */
  media: RecallHook | null = null;

  constructor(
    private readonly store: Store,
    private readonly events: DomainEvents,
    private readonly clock: Clock,
    private readonly limits: MessageActionLimits,
    private readonly budgets: MessageActionBudgets,
  ) {}

  async dispatch(userId: string, f: MessageActionFrame): Promise<MessageActionResult> {
    const target = { by: userId, messageId: f.messageId };
    switch (f.type) {
      case 'message.recall':
        return this.apply(f.conversationId, { kind: 'recall', ...target, windowMs: this.limits.recallWindowMs });
      case 'message.edit':
        if (f.text.trim().length === 0) throw new NatterError('invalid_request', 'text: a non-empty string');
        if (f.text.length > this.limits.maxTextLength) throw new NatterError('too_large', `text is longer than ${this.limits.maxTextLength} characters`);
        return this.apply(f.conversationId, { kind: 'edit', ...target, text: f.text });
      case 'message.react':
        await this.budgets.reactions.consume(userId);
        return this.apply(f.conversationId, { kind: 'react', ...target, emoji: f.emoji });
      case 'message.unreact':
        await this.budgets.reactions.consume(userId);
        return this.apply(f.conversationId, { kind: 'unreact', ...target, emoji: f.emoji });
      case 'message.hide':
        await this.budgets.hides.consume(userId);
        return this.hide(userId, f.conversationId, f.messageId);
      case 'message.unhide':
        await this.budgets.hides.consume(userId);
        return this.unhide(userId, f.conversationId, f.messageId);
    }
  }

  /**
   * Delete for me: stored (durably) before the answer, then told to the user's own devices only
   * (`message.hidden`). Nothing enters the conversation's log and no other user learns of it.
   * A repeat answers the same tombstone and tells nobody again.
   */
  async hide(userId: string, conversationId: string, messageId: string): Promise<MessageActionResult> {
    const outcome = await this.store.hideMessage(userId, conversationId, messageId, this.clock.now());
    if (outcome.kind === 'not_found') throw notFound();
    // As in history: a clientMsgId only in the sender's own copies.
    const message = outcome.message.senderId === userId ? outcome.message : { ...outcome.message, clientMsgId: null };
    if (outcome.changed) await this.events.emit({ type: 'message.hidden', userId, hidden: outcome.hidden });
    return { message };
  }

  async apply(conversationId: string, action: MessageAction): Promise<MessageActionResult> {
    const now = this.clock.now();
    const outcome = await this.store.applyMessageAction(conversationId, action, newMessageId(), now);
    switch (outcome.kind) {
      case 'not_found':
        throw notFound();
      case 'window_passed':
        throw new NatterError('recall_window_passed', `a message can be recalled within ${Math.round(this.limits.recallWindowMs / 1000)} seconds of sending it`, {
          windowSeconds: Math.round(this.limits.recallWindowMs / 1000),
        });
      case 'invalid':
        throw new NatterError('invalid_request', outcome.reason);
      case 'noop':
        return { message: outcome.message };
      case 'ok':
        break;
    }
    if (action.kind === 'recall' && this.media) await this.media.onMessageRecalled(conversationId, action.messageId);
    await this.events.emit({ type: 'message.acted', conversationId, entry: outcome.entry, message: outcome.message });
    return { message: outcome.message };
  }

  /** Undoes a delete for me (`message.unhide`): the user's devices show the message again. */
  async unhide(userId: string, conversationId: string, messageId: string): Promise<MessageActionResult> {
    const outcome = await this.store.unhideMessage(userId, conversationId, messageId, this.clock.now());
    if (outcome.kind === 'not_found') throw notFound();
    const message = outcome.message.senderId === userId ? outcome.message : { ...outcome.message, clientMsgId: null };
    if (outcome.changed) await this.events.emit({ type: 'message.unhidden', userId, unhidden: outcome.unhidden });
    return { message };
  }
}
