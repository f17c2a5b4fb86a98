/** The SQLite store's cursors (delivered per device, read per user) and sync (changesSince). */
import type Database from 'better-sqlite3';
import type { Conversation, ConversationFlags } from '@natter/protocol';
import { toViewedMember } from '../rows.js';
import { cursorRefusal, readRefusal } from '../rules/visibility.js';
import type { CursorOutcome, DeliveryCursor, SyncPage } from '../store.js';
import type { SqliteConversations } from './conversations.js';
import type { SqliteHidden } from './hidden.js';
import type { Statements } from './statements.js';

/** Cursors and changesSince. */
export class SqliteSync {
  constructor(
    private readonly db: Database.Database,
    private readonly s: Statements,
    private readonly conversations: SqliteConversations,
    private readonly hidden: SqliteHidden,
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
        const r = this.s.view.get(conversationId, userId);
        const refusal = readRefusal(r && toViewedMember(r), r?.last_seq ?? 0, seq);
        if (refusal || !r) return refusal ?? { kind: 'not_found' };
        if (seq <= r.read_seq) return { kind: 'ok', seq: r.read_seq };
        // The count of countable entries at the cursor: what unread is measured from (rules/unread.ts).
        const readIndex = this.s.msgIndexAt.get(conversationId, seq)?.msg_index ?? 0;
        this.s.setRead.run(seq, readIndex, this.s.nextVersion.get()!.value, conversationId, userId);
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
      const version = Math.max(hasMore ? page[page.length - 1]!.v : this.s.currentVersion.get()!.value, sinceVersion);
      const totalUnread = this.s.totalUnread.get(userId)!.total;
      // A hide stamps the member row with its own version: its conversation is in this page
      // exactly when the hide is in (sinceVersion, version].
      const { hidden, unhidden } = this.hidden.since(userId, sinceVersion, version);
      return { conversations: page.map((r) => this.conversations.view(r)), version, hasMore, totalUnread, hidden, unhidden };
    })();
  }

  // --- per-user flags -----------------------------------------------------------------------

  async setConversationFlags(userId: string, conversationId: string, flags: ConversationFlags): Promise<Conversation | null> {
    return this.db
      .transaction((): Conversation | null => {
        const bit = (b: boolean | undefined) => (b === undefined ? null : b ? 1 : 0);
        const version = this.s.nextVersion.get()!.value;
        const changed = this.s.setFlags.run({ conversationId, userId, version, pinned: bit(flags.pinned), muted: bit(flags.muted), archived: bit(flags.archived) });
        if (changed.changes === 0) return null;
        return this.conversations.view(this.s.view.get(conversationId, userId)!);
      })
      .immediate();
  }
}
