/**
 * The SQLite store's receipts state (Store.receiptCursors) and user settings. Its statements are
 * its own, prepared once per connection.
 */
import type Database from 'better-sqlite3';
import type { UserSettings } from '@natter/protocol';
import { patchedSettings, settingsFrom } from '../rules/settings.js';
import type { ReceiptCursors } from '../store.js';

interface EntryRow {
  id: string;
  seq: number;
  sender_id: string;
  conversation_id: string;
}

export class SqliteReceipts {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    this.s = {
      me: db.prepare<[string, string], { state: 'active' | 'left'; joined_seq: number; kind: 'direct' | 'group'; last_seq: number }>(
        `SELECT m.state, m.joined_seq, c.kind, c.last_seq FROM members m JOIN conversations c ON c.id = m.conversation_id
         WHERE m.conversation_id = ? AND m.user_id = ?`,
      ),
      members: db.prepare<[string], { user_id: string; joined_seq: number; read_seq: number; settings: string | null }>(
        `SELECT m.user_id, m.joined_seq, m.read_seq, s.settings FROM members m LEFT JOIN user_settings s ON s.user_id = m.user_id
         WHERE m.conversation_id = ? AND m.state = 'active' ORDER BY m.user_id`,
      ),
      delivered: db.prepare<[string, string], { seq: number | null }>(
        `SELECT MAX(dc.acked_seq) AS seq FROM devices d JOIN device_cursors dc ON dc.device_id = d.id AND dc.conversation_id = ?
         WHERE d.user_id = ?`,
      ),
      entryBySeq: db.prepare<[string, number], EntryRow>(`SELECT id, seq, sender_id, conversation_id FROM messages WHERE conversation_id = ? AND seq = ?`),
      entryById: db.prepare<[string], EntryRow>(`SELECT id, seq, sender_id, conversation_id FROM messages WHERE id = ?`),
      userExists: db.prepare<[string], { one: number }>(`SELECT 1 AS one FROM users WHERE id = ?`),
      settings: db.prepare<[string], { settings: string }>(`SELECT settings FROM user_settings WHERE user_id = ?`),
      putSettings: db.prepare<[string, string], unknown>(
        `INSERT INTO user_settings (user_id, settings) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET settings = excluded.settings`,
      ),
    };
  }

  async receiptCursors(conversationId: string, userId: string, query: { seqs?: readonly number[]; messageId?: string }): Promise<ReceiptCursors | null> {
    return this.db.transaction((): ReceiptCursors | null => {
      const me = this.s.me.get(conversationId, userId);
      if (!me || me.state !== 'active') return null;
      const members = this.s.members.all(conversationId).map((m) => ({
        userId: m.user_id,
        joinedSeq: m.joined_seq,
        readSeq: m.read_seq,
        deliveredSeq: me.kind === 'direct' ? (this.s.delivered.get(conversationId, m.user_id)?.seq ?? 0) : 0,
        readReceipts: settingsFrom(m.settings).readReceipts,
      }));
      const inWindow = (seq: number) => seq >= me.joined_seq && seq <= me.last_seq;
      const rows = new Map<number, EntryRow>();
      for (const seq of query.seqs ?? []) {
        if (!inWindow(seq) || rows.has(seq)) continue;
        const r = this.s.entryBySeq.get(conversationId, seq);
        if (r) rows.set(seq, r);
      }
      if (query.messageId !== undefined) {
        const r = this.s.entryById.get(query.messageId);
        if (r && r.conversation_id === conversationId && inWindow(r.seq)) rows.set(r.seq, r);
      }
      const entries = [...rows.values()].sort((a, b) => a.seq - b.seq).map((r) => ({ id: r.id, seq: r.seq, senderId: r.sender_id }));
      return { kind: me.kind, joinedSeq: me.joined_seq, lastSeq: me.last_seq, members, entries };
    })();
  }

  async getUserSettings(userId: string): Promise<UserSettings> {
    return settingsFrom(this.s.settings.get(userId)?.settings ?? null);
  }

  async updateUserSettings(userId: string, patch: Partial<UserSettings>): Promise<UserSettings | null> {
    return this.db
      .transaction((): UserSettings | null => {
        if (!this.s.userExists.get(userId)) return null;
        const next = patchedSettings(this.s.settings.get(userId)?.settings ?? null, patch);
        this.s.putSettings.run(userId, JSON.stringify(next));
        return next;
      })
      .immediate();
  }
}
