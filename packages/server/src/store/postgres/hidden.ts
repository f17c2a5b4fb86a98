/**
 * The PostgreSQL store's delete for me (rules/hidden.ts decides): one row per message a user hid,
 * stamped with the transaction's sync stamp, which the user's member row takes too, so the hide —
 * or its undoing, which keeps the row with `unhidden_at` set — reaches their other devices
 * through changesSince (db.ts tells how stamps and the watermark work).
 */
import type pg from 'pg';
import { hiddenCopy, type HiddenMessage, type UnhiddenMessage } from '@natter/protocol';
import { toMessage, type MessageRow } from '../rows.js';
import { mayHide } from '../rules/hidden.js';
import type { HideOutcome, UnhideOutcome } from '../store.js';
import { STAMP_BASE, type PgDb } from './db.js';

interface HiddenRow {
  conversation_id: string;
  message_id: string;
  seq: number;
  hidden_at: number;
  unhidden_at: number | null;
}

export class PgHidden {
  constructor(private readonly db: PgDb) {}

  /** The target when the user may hide (or unhide) it, else undefined. */
  private async target(c: pg.PoolClient, userId: string, conversationId: string, messageId: string): Promise<MessageRow | undefined> {
    const row = (await c.query<MessageRow>(`SELECT * FROM messages WHERE id = $1`, [messageId])).rows[0];
    if (!row) return undefined;
    // The member row first and locked (lock order, db.ts: one member row, then a new row, as
    // markRead): racing hides and unhides of the user in this conversation queue on it.
    const view = (
      await c.query<{ state: 'active' | 'left'; joined_seq: number; left_seq: number | null; last_seq: number }>(
        `SELECT m.state, m.joined_seq, m.left_seq, c.last_seq FROM members m JOIN conversations c ON c.id = m.conversation_id
         WHERE m.conversation_id = $1 AND m.user_id = $2 FOR NO KEY UPDATE OF m`,
        [conversationId, userId],
      )
    ).rows[0];
    const member = view && { state: view.state, joinedSeq: Number(view.joined_seq), leftSeq: view.left_seq === null ? null : Number(view.left_seq) };
    return mayHide({ conversationId: row.conversation_id, seq: Number(row.seq), type: row.type }, conversationId, member, Number(view?.last_seq ?? 0)) ? row : undefined;
  }

  private async prior(c: pg.PoolClient, userId: string, messageId: string) {
    return (await c.query<{ hidden_at: number; unhidden_at: number | null }>(`SELECT hidden_at, unhidden_at FROM hidden_messages WHERE user_id = $1 AND message_id = $2`, [userId, messageId]))
      .rows[0];
  }

  private async stampMember(c: pg.PoolClient, userId: string, conversationId: string): Promise<void> {
    await c.query(`UPDATE members SET version = ${STAMP_BASE} WHERE conversation_id = $1 AND user_id = $2`, [conversationId, userId]);
  }

  hide(userId: string, conversationId: string, messageId: string, now: number): Promise<HideOutcome> {
    return this.db.tx(async (c): Promise<HideOutcome> => {
      const row = await this.target(c, userId, conversationId, messageId);
      if (!row) return { kind: 'not_found' };
      const prior = await this.prior(c, userId, messageId);
      const changed = !prior || prior.unhidden_at !== null;
      const hiddenAt = changed ? now : Number(prior.hidden_at);
      if (changed) {
        await this.stampMember(c, userId, conversationId);
        await c.query(
          `INSERT INTO hidden_messages (user_id, message_id, conversation_id, seq, hidden_at, unhidden_at, version)
           VALUES ($1, $2, $3, $4, $5, NULL, ${STAMP_BASE})
           ON CONFLICT (user_id, message_id) DO UPDATE SET hidden_at = excluded.hidden_at, unhidden_at = NULL, version = excluded.version`,
          [userId, messageId, conversationId, row.seq, now],
        );
      }
      const hidden: HiddenMessage = { conversationId, messageId, seq: Number(row.seq), hiddenAt };
      return { kind: 'ok', hidden, message: hiddenCopy(toMessage(row), hiddenAt), changed };
    });
  }

  unhide(userId: string, conversationId: string, messageId: string, now: number): Promise<UnhideOutcome> {
    return this.db.tx(async (c): Promise<UnhideOutcome> => {
      const row = await this.target(c, userId, conversationId, messageId);
      if (!row) return { kind: 'not_found' };
      const prior = await this.prior(c, userId, messageId);
      const changed = prior !== undefined && prior.unhidden_at === null;
      if (changed) {
        await this.stampMember(c, userId, conversationId);
        await c.query(`UPDATE hidden_messages SET unhidden_at = $3, version = ${STAMP_BASE} WHERE user_id = $1 AND message_id = $2`, [userId, messageId, now]);
      }
      return { kind: 'ok', unhidden: { conversationId, messageId, seq: Number(row.seq) }, message: toMessage(row), changed };
    });
  }

  /** The user's hides and unhides stamped in [since, below), oldest first: final once below the watermark (db.ts). */
  async since(userId: string, since: number, below: number): Promise<{ hidden: HiddenMessage[]; unhidden: UnhiddenMessage[] }> {
    const hidden: HiddenMessage[] = [];
    const unhidden: UnhiddenMessage[] = [];
    if (below <= since) return { hidden, unhidden };
    const r = await this.db.query<HiddenRow>(
      `SELECT conversation_id, message_id, seq, hidden_at, unhidden_at FROM hidden_messages
       WHERE user_id = $1 AND version >= $2 AND version < $3 ORDER BY version`,
      [userId, since, below],
    );
    for (const x of r.rows) {
      const at = { conversationId: x.conversation_id, messageId: x.message_id, seq: Number(x.seq) };
      if (x.unhidden_at === null) hidden.push({ ...at, hiddenAt: Number(x.hidden_at) });
      else unhidden.push(at);
    }
    return { hidden, unhidden };
  }
}
