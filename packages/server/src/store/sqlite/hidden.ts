/**
 * The SQLite store's delete for me (rules/hidden.ts decides): one row per hidden message, stamped
 * with a new sync version that the user's member row takes too, in one transaction, so the hide
 * reaches their other devices through changesSince.
 */
import type Database from 'better-sqlite3';
import { hiddenCopy, type HiddenMessage } from '@natter/protocol';
import { toMessage, toViewedMember } from '../rows.js';
import { mayHide } from '../rules/hidden.js';
import type { HideOutcome } from '../store.js';
import type { Statements, Stmt } from './statements.js';

interface HiddenRow {
  conversation_id: string;
  message_id: string;
  seq: number;
  hidden_at: number;
}

export class SqliteHidden {
  private readonly get: Stmt<[string, string], { hidden_at: number }>;
  private readonly insert: Stmt;
  private readonly stampMember: Stmt;
  private readonly inRange: Stmt<[string, number, number], HiddenRow>;

  constructor(
    private readonly db: Database.Database,
    private readonly s: Statements,
  ) {
    this.get = db.prepare(`SELECT hidden_at FROM hidden_messages WHERE user_id = ? AND message_id = ?`);
    this.insert = db.prepare(
      `INSERT INTO hidden_messages (user_id, message_id, conversation_id, seq, hidden_at, version) VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.stampMember = db.prepare(`UPDATE members SET version = ? WHERE conversation_id = ? AND user_id = ?`);
    this.inRange = db.prepare(
      `SELECT conversation_id, message_id, seq, hidden_at FROM hidden_messages WHERE user_id = ? AND version > ? AND version <= ? ORDER BY version`,
    );
  }

  async hide(userId: string, conversationId: string, messageId: string, now: number): Promise<HideOutcome> {
    return this.db
      .transaction((): HideOutcome => {
        const row = this.s.messageById.get(messageId);
        const view = row ? this.s.view.get(conversationId, userId) : undefined;
        const target = row && { conversationId: row.conversation_id, seq: row.seq, type: row.type };
        if (!mayHide(target, conversationId, view && toViewedMember(view), view?.last_seq ?? 0)) return { kind: 'not_found' };
        const prior = this.get.get(userId, messageId);
        const hiddenAt = prior?.hidden_at ?? now;
        if (!prior) {
          const version = this.s.nextVersion.get()!.value;
          this.stampMember.run(version, conversationId, userId);
          this.insert.run(userId, messageId, conversationId, row!.seq, now, version);
        }
        const hidden: HiddenMessage = { conversationId, messageId, seq: row!.seq, hiddenAt };
        return { kind: 'ok', hidden, message: hiddenCopy(toMessage(row!), hiddenAt), changed: !prior };
      })
      .immediate();
  }

  /** The user's hides stamped in (since, through], oldest first (read in changesSince's transaction). */
  since(userId: string, since: number, through: number): HiddenMessage[] {
    return this.inRange
      .all(userId, since, through)
      .map((r) => ({ conversationId: r.conversation_id, messageId: r.message_id, seq: r.seq, hiddenAt: r.hidden_at }));
  }
}
