/** The PostgreSQL store's receipts state (Store.receiptCursors) and user settings. */
import type { UserSettings } from '@natter/protocol';
import { DEFAULT_USER_SETTINGS, settingsFrom } from '../rules/settings.js';
import type { ReceiptCursors } from '../store.js';
import type { PgDb } from './db.js';

interface Row {
  my_state: 'active' | 'left';
  my_joined: number;
  kind: 'direct' | 'group';
  last_seq: number;
  user_id: string | null;
  joined_seq: number;
  read_seq: number;
  settings: unknown;
  delivered: number | null;
}

export class PgReceipts {
  constructor(private readonly db: PgDb) {}

  async receiptCursors(conversationId: string, userId: string, query: { seqs?: readonly number[]; messageId?: string }): Promise<ReceiptCursors | null> {
    // One statement, one snapshot: the caller's standing and every member's cursors agree.
    // (User ids are ASCII: "C" order is the order JavaScript compares them in.)
    const r = await this.db.query<Row>(
      `WITH me AS (
         SELECT m.state, m.joined_seq, c.kind, c.last_seq FROM members m JOIN conversations c ON c.id = m.conversation_id
         WHERE m.conversation_id = $1 AND m.user_id = $2)
       SELECT me.state AS my_state, me.joined_seq AS my_joined, me.kind, me.last_seq,
              m.user_id, m.joined_seq, m.read_seq, s.settings,
              CASE WHEN me.kind = 'direct' THEN (
                SELECT MAX(dc.acked_seq) FROM devices d JOIN device_cursors dc ON dc.device_id = d.id AND dc.conversation_id = $1
                WHERE d.user_id = m.user_id) ELSE 0 END AS delivered
       FROM me LEFT JOIN members m ON me.state = 'active' AND m.conversation_id = $1 AND m.state = 'active'
       LEFT JOIN user_settings s ON s.user_id = m.user_id
       ORDER BY m.user_id COLLATE "C"`,
      [conversationId, userId],
    );
    const first = r.rows[0];
    if (!first || first.my_state !== 'active') return null;
    const members = r.rows
      .filter((x): x is Row & { user_id: string } => x.user_id !== null)
      .map((x) => ({
        userId: x.user_id,
        joinedSeq: x.joined_seq,
        readSeq: x.read_seq,
        deliveredSeq: x.delivered ?? 0,
        readReceipts: settingsFrom(x.settings).readReceipts,
      }));
    const inWindow = (seq: number) => seq >= first.my_joined && seq <= first.last_seq;
    const seqs = (query.seqs ?? []).filter(inWindow);
    let entries: ReceiptCursors['entries'] = [];
    if (seqs.length > 0 || query.messageId !== undefined) {
      // Log entries never move: read after the cursors, they are the same.
      const e = await this.db.query<{ id: string; seq: number; sender_id: string; conversation_id: string }>(
        `SELECT id, seq, sender_id, conversation_id FROM messages
         WHERE (conversation_id = $1 AND seq = ANY($2::bigint[])) OR id = $3 ORDER BY seq`,
        [conversationId, seqs, query.messageId ?? null],
      );
      entries = e.rows
        .filter((x) => x.conversation_id === conversationId && inWindow(x.seq))
        .map((x) => ({ id: x.id, seq: x.seq, senderId: x.sender_id }));
    }
    return { kind: first.kind, joinedSeq: first.my_joined, lastSeq: first.last_seq, members, entries };
  }

  async getUserSettings(userId: string): Promise<UserSettings> {
    const r = await this.db.query<{ settings: unknown }>(`SELECT settings FROM user_settings WHERE user_id = $1`, [userId]);
    return settingsFrom(r.rows[0]?.settings ?? null);
  }

  async updateUserSettings(userId: string, patch: Partial<UserSettings>): Promise<UserSettings | null> {
    // Only known settings of the right type are stored; the merge is one statement (atomic).
    const known: Record<string, unknown> = {};
    for (const key of Object.keys(DEFAULT_USER_SETTINGS) as (keyof UserSettings)[]) {
      if (patch[key] !== undefined && typeof patch[key] === typeof DEFAULT_USER_SETTINGS[key]) known[key] = patch[key];
    }
    try {
      const r = await this.db.query<{ settings: unknown }>(
        `INSERT INTO user_settings (user_id, settings) VALUES ($1, $2::jsonb)
         ON CONFLICT (user_id) DO UPDATE SET settings = user_settings.settings || excluded.settings RETURNING settings`,
        [userId, JSON.stringify(known)],
      );
      return settingsFrom(r.rows[0]!.settings);
    } catch (err) {
      // No such user (the foreign key).
      if ((err as { code?: string }).code === '23503') return null;
      throw err;
    }
  }
}
