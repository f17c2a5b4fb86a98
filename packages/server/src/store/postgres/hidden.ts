/**
 * The PostgreSQL store's delete for me (rules/hidden.ts decides): one row per hidden message,
 * stamped with the transaction's sync stamp, which the user's member row takes too, so the hide
 * reaches their other devices through changesSince (db.ts tells how stamps and the watermark work).
 */
import { hiddenCopy, type HiddenMessage } from '@natter/protocol';
import { toMessage, type MessageRow } from '../rows.js';
import { mayHide } from '../rules/hidden.js';
import type { HideOutcome } from '../store.js';
import { STAMP_BASE, type PgDb } from './db.js';

interface HiddenRow {
  conversation_id: string;
  message_id: string;
  seq: number;
  hidden_at: number;
}

export class PgHidden {
  constructor(private readonly db: PgDb) {}

  hide(userId: string, conversationId: string, messageId: string, now: number): Promise<HideOutcome> {
    return this.db.tx(async (c): Promise<HideOutcome> => {
      const row = (await c.query<MessageRow>(`SELECT * FROM messages WHERE id = $1`, [messageId])).rows[0];
      const view = row
        ? (
            await c.query<{ state: 'active' | 'left'; joined_seq: number; left_seq: number | null; last_seq: number }>(
              `SELECT m.state, m.joined_seq, m.left_seq, c.last_seq FROM members m JOIN conversations c ON c.id = m.conversation_id
               WHERE m.conversation_id = $1 AND m.user_id = $2`,
              [conversationId, userId],
            )
          ).rows[0]
        : undefined;
      const target = row && { conversationId: row.conversation_id, seq: Number(row.seq), type: row.type };
      const member = view && { state: view.state, joinedSeq: Number(view.joined_seq), leftSeq: view.left_seq === null ? null : Number(view.left_seq) };
      if (!mayHide(target, conversationId, member, Number(view?.last_seq ?? 0))) return { kind: 'not_found' };
      const prior = async () =>
        (await c.query<{ hidden_at: number }>(`SELECT hidden_at FROM hidden_messages WHERE user_id = $1 AND message_id = $2`, [userId, messageId])).rows[0];
      let hiddenAt = (await prior())?.hidden_at;
      let changed = false;
      if (hiddenAt === undefined) {
        // The member row first (lock order, db.ts: one member row, then a new row, as markRead):
        // racing hides of one message queue on it, and the later one finds the row inserted.
        await c.query(`UPDATE members SET version = ${STAMP_BASE} WHERE conversation_id = $1 AND user_id = $2`, [conversationId, userId]);
        const inserted = await c.query(
          `INSERT INTO hidden_messages (user_id, message_id, conversation_id, seq, hidden_at, version)
           VALUES ($1, $2, $3, $4, $5, ${STAMP_BASE}) ON CONFLICT (user_id, message_id) DO NOTHING`,
          [userId, messageId, conversationId, row!.seq, now],
        );
        changed = inserted.rowCount === 1;
        hiddenAt = changed ? now : (await prior())!.hidden_at;
      }
      hiddenAt = Number(hiddenAt);
      const hidden: HiddenMessage = { conversationId, messageId, seq: Number(row!.seq), hiddenAt };
      return { kind: 'ok', hidden, message: hiddenCopy(toMessage(row!), hiddenAt), changed };
    });
  }

  /** The user's hides stamped in [since, below), oldest first: final once below the watermark (db.ts). */
  async since(userId: string, since: number, below: number): Promise<HiddenMessage[]> {
    if (below <= since) return [];
    const r = await this.db.query<HiddenRow>(
      `SELECT conversation_id, message_id, seq, hidden_at FROM hidden_messages WHERE user_id = $1 AND version >= $2 AND version < $3 ORDER BY version`,
      [userId, since, below],
    );
    return r.rows.map((x) => ({ conversationId: x.conversation_id, messageId: x.message_id, seq: Number(x.seq), hiddenAt: Number(x.hidden_at) }));
  }
}
