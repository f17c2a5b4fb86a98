/**
 * The SQLite store's message search (docs/search.md). The index is an FTS5 `trigram` table,
 * `search_fts`, in a database file of its own attached as `search` (search-indexer.ts), whose
 * rowid is the message row's rowid; it is filled after the send by the indexer thread, or by
 * this connection just before a search when there is no such thread (`inline`). Migration 14's
 * index inside the main database, kept by triggers in the send's transaction, is gone since
 * migration 16.
 *
 * Terms of 3+ characters are found through the index (MATCH of the AND of each term's trigrams);
 * shorter ones (two Chinese characters, say) are checked with LIKE on the text of the user's own
 * visible messages only — as are all terms when the user's history is small (SCAN_BELOW), which
 * is then cheaper than walking the index's matches. Every term is then checked with LIKE on the
 * message's own text (read from `messages`: the index keeps none), so the answer is exactly
 * rules/search.ts's (ASCII letters case-insensitively), whatever the index says.
 */
import type Database from 'better-sqlite3';
import type { Message } from '@natter/protocol';
import { toMessage, type MessageRow } from '../rows.js';
import { containsPattern, ftsQuery } from '../rules/search.js';
import type { MessageSearch } from '../search.js';
import { searchedText, type SearchIndexer } from './search-indexer.js';

/** Migration 14: the index, its triggers, and every message stored before (all dropped by migration 16, search-indexer.ts). */
export const SEARCH_MIGRATION_SQL = `
CREATE VIRTUAL TABLE messages_fts USING fts5(text, tokenize = 'trigram');
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts (rowid, text) SELECT new.rowid, t FROM (SELECT ${searchedText('new')} AS t) WHERE typeof(t) = 'text' AND t <> '';
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF type, body ON messages BEGIN
  DELETE FROM messages_fts WHERE rowid = old.rowid;
  INSERT INTO messages_fts (rowid, text) SELECT new.rowid, t FROM (SELECT ${searchedText('new')} AS t) WHERE typeof(t) = 'text' AND t <> '';
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
  DELETE FROM messages_fts WHERE rowid = old.rowid;
END;
INSERT INTO messages_fts (rowid, text)
  SELECT rowid, t FROM (SELECT m.rowid AS rowid, ${searchedText('m')} AS t FROM messages m) WHERE typeof(t) = 'text' AND t <> '';
`;

/** The last seq of the member row `mb` of conversation `c` may see (rules/visibility.ts visibleLast). */
const VISIBLE_LAST = `CASE WHEN mb.state = 'active' THEN c.last_seq ELSE coalesce(mb.left_seq, mb.joined_seq) END`;

type Params = Record<string, string | number>;

/**
 * Below this many visible entries (in the conversations searched) the user's own windows are
 * scanned even for indexable terms: a common term matches a large share of the whole table, and
 * walking those matches costs more than reading a small history (measured, 100,000 messages: a
 * term in most of them took 73 ms through the index, 10 ms by scanning a user's 1,500).
 */
export const SCAN_BELOW = 20_000;

export class SqliteSearch {
  /** Statements by query shape (which filters and how many LIKE terms): a handful at most. */
  private readonly cache = new Map<string, Database.Statement<Params, MessageRow>>();

  private readonly visible: Database.Statement<{ user: string; conv: string | null }, { n: number | null }>;
  private readonly applied: Database.Statement<[], { n: number }>;
  private readonly anyApplied: Database.Statement<[number], { x: number }>;
  private readonly prune: Database.Statement<[number]>;

  constructor(
    /** Where searches run: the main database with the search file attached as `search`. */
    private readonly db: Database.Database,
    /** The connection that writes the main database (the same one when inline), for pruning the queue. */
    writer: Database.Database,
    private readonly scanBelow = SCAN_BELOW,
    /** Indexes what is committed before each search, on this connection; null when the indexer thread does. */
    private readonly inline: SearchIndexer | null = null,
  ) {
    this.visible = db.prepare(
      `SELECT sum(${VISIBLE_LAST} - mb.joined_seq + 1) AS n FROM members mb JOIN conversations c ON c.id = mb.conversation_id
       WHERE mb.user_id = @user AND (@conv IS NULL OR mb.conversation_id = @conv)`,
    );
    this.applied = db.prepare(`SELECT applied_change AS n FROM search.search_state WHERE id = 1`);
    this.anyApplied = writer.prepare(`SELECT 1 AS x FROM search_changes WHERE id <= ? LIMIT 1`);
    this.prune = writer.prepare(`DELETE FROM search_changes WHERE id <= ?`);
  }

  /**
   * Drops the queued edits, recalls and deletes the index has applied (its watermark in the
   * search file). On the connection that writes the messages, so the indexer never takes their
   * lock; a write only when there is something to drop.
   */
  pruneChanges(): void {
    const mark = this.applied.get()?.n ?? 0;
    if (this.anyApplied.get(mark) !== undefined) this.prune.run(mark);
  }

  async searchMessages(userId: string, q: MessageSearch): Promise<{ messages: Message[]; hasMore: boolean }> {
    if (this.inline) {
      this.inline.catchUp();
      this.pruneChanges();
    }
    return this.db.transaction(() => this.search(userId, q))();
  }

  private search(userId: string, q: MessageSearch): { messages: Message[]; hasMore: boolean } {
    let fts = ftsQuery(q.terms);
    if (fts !== null && (this.visible.get({ user: userId, conv: q.conversationId ?? null })?.n ?? 0) < this.scanBelow) fts = null;
    const p: Params = { user: userId, take: q.limit + 1 };
    const where: string[] = [];
    q.terms.forEach((t, i) => {
      p[`t${i}`] = containsPattern(t);
      where.push(`${searchedText('m')} LIKE @t${i} ESCAPE '\\'`);
    });
    if (q.conversationId !== undefined) {
      p.conv = q.conversationId;
      where.push('m.conversation_id = @conv');
    }
    if (q.senderId !== undefined) {
      p.sender = q.senderId;
      where.push('m.sender_id = @sender');
    }
    if (q.before !== undefined) {
      p.before = q.before;
      where.push('m.created_at < @before');
    }
    if (q.after !== undefined) {
      p.after = q.after;
      where.push('m.created_at > @after');
    }
    if (q.cursor) {
      p.cAt = q.cursor.createdAt;
      p.cId = q.cursor.id;
      where.push('(m.created_at < @cAt OR (m.created_at = @cAt AND m.id < @cId))');
    }
    let sql: string;
    if (fts !== null) {
      p.fts = fts;
      // Driven by the index: the matches, kept when within the user's window.
      sql = `SELECT m.* FROM search.search_fts(@fts) f
        JOIN messages m ON m.rowid = f.rowid
        JOIN members mb ON mb.conversation_id = m.conversation_id AND mb.user_id = @user
        JOIN conversations c ON c.id = m.conversation_id
        WHERE m.seq >= mb.joined_seq AND m.seq <= ${VISIBLE_LAST}`;
    } else {
      // Only short terms, or a small history: the user's own visible messages, their text checked with LIKE.
      sql = `SELECT m.* FROM members mb
        JOIN conversations c ON c.id = mb.conversation_id
        JOIN messages m ON m.conversation_id = mb.conversation_id AND m.seq >= mb.joined_seq AND m.seq <= ${VISIBLE_LAST}
        WHERE mb.user_id = @user`;
    }
    // Nothing the user deleted for themselves (delete for me) is findable by them.
    where.push('NOT EXISTS (SELECT 1 FROM hidden_messages h WHERE h.user_id = @user AND h.message_id = m.id AND h.unhidden_at IS NULL)');
    sql += where.map((w) => ` AND ${w}`).join('') + ' ORDER BY m.created_at DESC, m.id DESC LIMIT @take';
    let stmt = this.cache.get(sql);
    if (!stmt) this.cache.set(sql, (stmt = this.db.prepare<Params, MessageRow>(sql)));
    const rows = stmt.all(p);
    const hasMore = rows.length > q.limit;
    const messages = rows.slice(0, q.limit).map((r) => {
      const m = toMessage(r);
      return r.sender_id === userId ? m : { ...m, clientMsgId: null };
    });
    return { messages, hasMore };
  }
}
