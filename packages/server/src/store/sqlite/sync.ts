/** The SQLite store's cursors (delivered per device, read per user) and sync (changesSince). */
import type Database from 'better-sqlite3';
import { toViewedMember } from '../rows.js';
import { cursorRefusal } from '../rules/visibility.js';
import type { CursorOutcome, DeliveryCursor, SyncPage } from '../store.js';
import type { SqliteConversations } from './conversations.js';
import type { Statements } from './statements.js';

/** Cursors and changesSince. */
export class SqliteSync {
  constructor(
    private readonly db: Database.Database,
    private readonly s: Statements,
    private readonly conversations: SqliteConversations,
  ) {}

  // --- cursors ------------------------------------------------------------------------------

  /** Why the user may not put a cursor at `seq` in the conversation, or null when they may. */
  private cursorRefusal(conversationId: string, userId: string, seq: number): Exclude<CursorOutcome, { kind: 'ok' }> | null {
    const r = this.s.view.get(conversationId, userId);
    return cursorRefusal(r && toViewedMember(r), r?.last_seq ?? 0, seq);
  }

  async ackDelivered(deviceId: string, userId: string, conversationId: string, seq: number): Promise<CursorOutcome> {
    return this.db
      .transaction((): CursorOutcome => {
        const refusal = this.cursorRefusal(conversationId, userId, seq);
        if (refusal) return refusal;
        this.s.upsertCursor.run(deviceId, conversationId, seq);
        return { kind: 'ok', seq: this.s.cursor.get(deviceId, conversationId)!.acked_seq };
      })
      .immediate();
  }

  async ackDeliveredMany(cursors: readonly DeliveryCursor[]): Promise<void> {
    this.db.transaction(() => {
      for (const c of cursors) this.s.upsertCursor.run(c.deviceId, c.conversationId, c.seq);
    })();
  }

  async markRead(userId: string, conversationId: string, seq: number): Promise<CursorOutcome> {
    return this.db
      .transaction((): CursorOutcome => {
        const refusal = this.cursorRefusal(conversationId, userId, seq);
        if (refusal) return refusal;
        const m = this.s.member.get(conversationId, userId)!;
        if (seq <= m.read_seq) return { kind: 'ok', seq: m.read_seq };
        this.s.setRead.run(seq, this.s.nextVersion.get()!.value, conversationId, userId);
        return { kind: 'ok', seq };
      })
      .immediate();
  }

  // --- sync ---------------------------------------------------------------------------------

  async changesSince(userId: string, sinceVersion: number, limit: number): Promise<SyncPage> {
    return this.db.transaction((): SyncPage => {
      const rows = this.s.changes.all(userId, sinceVersion, limit + 1);
      const hasMore = rows.length > limit;
      const page = rows.slice(0, limit);
      const version = hasMore ? page[page.length - 1]!.v : this.s.currentVersion.get()!.value;
      return { conversations: page.map((r) => this.conversations.view(r)), version: Math.max(version, sinceVersion), hasMore };
    })();
  }
}
