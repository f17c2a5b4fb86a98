/**
 * The SQLite store's message actions (recall, edit, reactions) as ../rules/message-actions.ts
 * decides them: the target row is rewritten in place (a recall overwrites its body) and the
 * action's system entry is appended, in one transaction.
 */
import type Database from 'better-sqlite3';
import { toActionTarget, toMemberRecord, toMessage } from '../rows.js';
import { decideMessageAction, type MessageAction } from '../rules/message-actions.js';
import type { MessageActionOutcome } from '../store.js';
import type { SqliteConversations } from './conversations.js';
import type { Statements } from './statements.js';

export class SqliteMessageActions {
  private readonly update: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly s: Statements,
    private readonly conversations: SqliteConversations,
  ) {
    this.update = db.prepare(
      `UPDATE messages SET body = coalesce(@body, body), mentions = CASE WHEN @clearMentions = 1 THEN NULL ELSE mentions END,
         recalled_at = coalesce(@recalledAt, recalled_at), edited_at = coalesce(@editedAt, edited_at),
         reactions = CASE WHEN @setReactions = 1 THEN @reactions ELSE reactions END
       WHERE id = @id`,
    );
  }

  async apply(conversationId: string, action: MessageAction, entryId: string, now: number): Promise<MessageActionOutcome> {
    return this.db
      .transaction((): MessageActionOutcome => {
        const row = this.s.messageById.get(action.messageId);
        const target = row?.conversation_id === conversationId ? row : undefined;
        const conv = target ? this.s.conversation.get(conversationId) : undefined;
        const member = conv ? this.s.member.get(conversationId, action.by) : undefined;
        const d = decideMessageAction(
          target ? toActionTarget(target) : null,
          member ? toMemberRecord(action.by, member) : null,
          conv?.kind ?? null,
          action,
          now,
        );
        if (d.kind === 'noop') return { kind: 'noop', message: toMessage(target!) };
        if (d.kind !== 'write') return d;
        this.update.run({
          id: action.messageId,
          body: d.body,
          clearMentions: d.clearMentions ? 1 : 0,
          recalledAt: d.recalledAt,
          editedAt: d.editedAt,
          setReactions: d.reactions === undefined ? 0 : 1,
          reactions: d.reactions ?? null,
        });
        const entry = this.conversations.appendSystem(conversationId, entryId, action.by, d.system, now);
        const message = toMessage(this.s.messageById.get(action.messageId)!);
        return { kind: 'ok', entry, message };
      })
      .immediate();
  }
}
