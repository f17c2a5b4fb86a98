/**
 * The SQLite store's delete for me (rules/hidden.ts decides): one row per message a user hid,
 * stamped with a new sync version that the user's member row takes too, in one transaction, so
 * the hide — or its undoing, which keeps the row with `unhidden_at` set — reaches their other
 * devices through changesSince.
 */
import type Database from 'better-sqlite3';
import { hiddenCopy, type HiddenMessage, type UnhiddenMessage } from '@natter/protocol';
import { toMessage, toViewedMember, type MessageRow } from '../rows.js';
import { mayHide } from '../rules/hidden.js';
import type { HideOutcome, UnhideOutcome } from '../store.js';
import type { Statements, Stmt } from './statements.js';

interface HiddenRow {
  conversation_id: string;
  message_id: string;
  seq: number;
  hidden_at: number;
  unhidden_at: number | null;
}

export class SqliteHidden {
  private readonly get: Stmt<[string, string], { hidden_at: number; unhidden_at: number | null }>;
  private readonly upsert: Stmt;
  private readonly undo: Stmt;
  private readonly stampMember: Stmt;
  private readonly inRange: Stmt<[string, number, number], HiddenRow>;

  constructor(
    private readonly db: Database.Database,
    private readonly s: Statements,
  ) {
    this.get = db.prepare(`SELECT hidden_at, unhidden_at FROM hidden_messages WHERE user_id = ? AND message_id = ?`);
    this.upsert = db.prepare(
      `INSERT INTO hidden_messages (user_id, message_id, conversation_id, seq, hidden_at, unhidden_at, version) VALUES (?, ?, ?, ?, ?, NULL, ?)
       ON CONFLICT (user_id, message_id) DO UPDATE SET hidden_at = excluded.hidden_at, unhidden_at = NULL, version = excluded.version`,
    );
    this.undo = db.prepare(`UPDATE hidden_messages SET unhidden_at = ?, version = ? WHERE user_id = ? AND message_id = ?`);
    this.stampMember = db.prepare(`UPDATE members SET version = ? WHERE conversation_id = ? AND user_id = ?`);
    this.inRange = db.prepare(
      `SELECT conversation_id, message_id, seq, hidden_at, unhidden_at FROM hidden_messages
       WHERE user_id = ? AND version > ? AND version <= ? ORDER BY version`,
    );
  }

  /** The target when the user may hide (or unhide) it, else undefined. */
  private target(userId: string, conversationId: string, messageId: string): MessageRow | undefined {
    const row = this.s.messageById.get(messageId);
    const view = row ? this.s.view.get(conversationId, userId) : undefined;
    const target = row && { conversationId: row.conversation_id, seq: row.seq, type: row.type };
    return mayHide(target, conversationId, view && toViewedMember(view), view?.last_seq ?? 0) ? row : undefined;
  }

  /** A new version, taken by the user's member row too (so the conversation comes with it in sync). */
  private stamp(userId: string, conversationId: string): number {
    const version = this.s.nextVersion.get()!.value;
    this.stampMember.run(version, conversationId, userId);
    return version;
  }

  async hide(userId: string, conversationId: string, messageId: string, now: number): Promise<HideOutcome> {
    return this.db
      .transaction((): HideOutcome => {
        const row = this.target(userId, conversationId, messageId);
        if (!row) return { kind: 'not_found' };
        const prior = this.get.get(userId, messageId);
        const changed = !prior || prior.unhidden_at !== null;
        const hiddenAt = changed ? now : prior.hidden_at;
        if (changed) this.upsert.run(userId, messageId, conversationId, row.seq, now, this.stamp(userId, conversationId));
        const hidden: HiddenMessage = { conversationId, messageId, seq: row.seq, hiddenAt };
        return { kind: 'ok', hidden, message: hiddenCopy(toMessage(row), hiddenAt), changed };
      })
      .immediate();
  }

  async unhide(userId: string, conversationId: string, messageId: string, now: number): Promise<UnhideOutcome> {
    return this.db
      .transaction((): UnhideOutcome => {
        const row = this.target(userId, conversationId, messageId);
        if (!row) return { kind: 'not_found' };
        const prior = this.get.get(userId, messageId);
        const changed = prior !== undefined && prior.unhidden_at === null;
        if (changed) this.undo.run(now, this.stamp(userId, conversationId), userId, messageId);
        return { kind: 'ok', unhidden: { conversationId, messageId, seq: row.seq }, message: toMessage(row), changed };
      })
      .immediate();
  }

  /** The user's hides and unhides stamped in (since, through], oldest first (read in changesSince's transaction). */
  since(userId: string, since: number, through: number): { hidden: HiddenMessage[]; unhidden: UnhiddenMessage[] } {
    const hidden: HiddenMessage[] = [];
    const unhidden: UnhiddenMessage[] = [];
    for (const r of this.inRange.all(userId, since, through)) {
      const at = { conversationId: r.conversation_id, messageId: r.message_id, seq: r.seq };
      if (r.unhidden_at === null) hidden.push({ ...at, hiddenAt: r.hidden_at });
      else unhidden.push(at);
    }
    return { hidden, unhidden };
  }
}
