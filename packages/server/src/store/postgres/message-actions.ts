/**
 * The PostgreSQL store's message actions (recall, edit, reactions) as ../rules/message-actions.ts
 * decides them: with the conversation's row and the target message locked, the target row is
 * rewritten in place (a recall overwrites its body) and the action's system entry is appended.
 */
import { toActionTarget, toMemberRecord, toMessage, type MemberRow, type MessageRow } from '../rows.js';
import { decideMessageAction, type MessageAction } from '../rules/message-actions.js';
import type { MessageActionOutcome } from '../store.js';
import type { PgConversations } from './conversations.js';
import type { PgDb } from './db.js';

export class PgMessageActions {
  constructor(
    private readonly db: PgDb,
    private readonly conversations: PgConversations,
  ) {}

  apply(conversationId: string, action: MessageAction, entryId: string, now: number): Promise<MessageActionOutcome> {
    return this.db.tx(async (c, t): Promise<MessageActionOutcome> => {
      const conv = (await c.query<{ kind: 'direct' | 'group' }>(`SELECT kind FROM conversations WHERE id = $1 FOR NO KEY UPDATE`, [conversationId])).rows[0];
      const row = conv
        ? (await c.query<MessageRow>(`SELECT * FROM messages WHERE id = $1 AND conversation_id = $2 FOR UPDATE`, [action.messageId, conversationId])).rows[0]
        : undefined;
      const member = row
        ? (
            await c.query<MemberRow>(`SELECT role, state, joined_seq, left_seq FROM members WHERE conversation_id = $1 AND user_id = $2`, [
              conversationId,
              action.by,
            ])
          ).rows[0]
        : undefined;
      const d = decideMessageAction(row ? toActionTarget(row) : null, member ? toMemberRecord(action.by, member) : null, conv?.kind ?? null, action, now);
      if (d.kind === 'noop') return { kind: 'noop', message: toMessage(row!) };
      if (d.kind !== 'write') return d;
      const updated = (
        await c.query<MessageRow>(
          `UPDATE messages SET body = coalesce($3, body), mentions = CASE WHEN $4 THEN NULL ELSE mentions END,
             recalled_at = coalesce($5, recalled_at), edited_at = coalesce($6, edited_at),
             reactions = CASE WHEN $7 THEN $8 ELSE reactions END
           WHERE conversation_id = $1 AND seq = $2 RETURNING *`,
          [conversationId, row!.seq, d.body, d.clearMentions, d.recalledAt, d.editedAt, d.reactions !== undefined, d.reactions ?? null],
        )
      ).rows[0]!;
      const entry = await this.conversations.appendSystem(c, t, conversationId, entryId, action.by, d.system, now);
      return { kind: 'ok', entry, message: toMessage(updated) };
    });
  }
}
