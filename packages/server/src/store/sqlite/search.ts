/**
 * The SQLite store's message search (docs/search.md). The searched text of every text and media
 * message is kept in `messages_fts`, an FTS5 table with the `trigram` tokenizer whose rowid is the
 * message row's rowid, by triggers on `messages` (migration 14): an insert adds it, a change of
 * type or body (an edit, a recall) replaces or removes it, a delete removes it. So the write path
 * knows nothing of search, and text edited or recalled away is not found.
 *
 * Terms of 3+ characters are found through the index (MATCH, each term a phrase: a substring for
 * the trigram tokenizer); shorter ones (two Chinese characters, say) are checked with LIKE on the
 * indexed text of the user's own visible messages only — as are all terms when the user's
 * history is small (SCAN_BELOW), which is then cheaper than walking the index's matches. Every term is then checked with LIKE,
 * so the answer is exactly rules/search.ts's (ASCII letters case-insensitively).
 */
import type Database from 'better-sqlite3';
import type { Message } from '@natter/protocol';
import { toMessage, type MessageRow } from '../rows.js';
import { containsPattern, ftsQuery } from '../rules/search.js';
import type { MessageSearch } from '../search.js';

/** The searched text of a `messages` row `r` (rules/search.ts searchableText), in SQL. */
const searchedText = (r: string) =>
  `CASE ${r}.type WHEN 'text' THEN json_extract(${r}.body, '$.text') WHEN 'image' THEN json_extract(${r}.body, '$.caption') ` +
  `WHEN 'file' THEN json_extract(${r}.body, '$.caption') WHEN 'voice' THEN json_extract(${r}.body, '$.caption') ` +
  `WHEN 'video' THEN json_extract(${r}.body, '$.caption') END`;

/** Migration 14: the index, its triggers, and every message stored before. */
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

  constructor(
    private readonly db: Database.Database,
    private readonly scanBelow = SCAN_BELOW,
  ) {
    this.visible = db.prepare(
      `SELECT sum(${VISIBLE_LAST} - mb.joined_seq + 1) AS n FROM members mb JOIN conversations c ON c.id = mb.conversation_id
       WHERE mb.user_id = @user AND (@conv IS NULL OR mb.conversation_id = @conv)`,
    );
  }

  async searchMessages(userId: string, q: MessageSearch): Promise<{ messages: Message[]; hasMore: boolean }> {
    return this.db.transaction(() => this.search(userId, q))();
  }

  private search(userId: string, q: MessageSearch): { messages: Message[]; hasMore: boolean } {
    let fts = ftsQuery(q.terms);
    if (fts !== null && (this.visible.get({ user: userId, conv: q.conversationId ?? null })?.n ?? 0) < this.scanBelow) fts = null;
    const p: Params = { user: userId, take: q.limit + 1 };
    const where: string[] = [];
    q.terms.forEach((t, i) => {
      p[`t${i}`] = containsPattern(t);
      where.push(`f.text LIKE @t${i} ESCAPE '\\'`);
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
      sql = `SELECT m.* FROM messages_fts f
        JOIN messages m ON m.rowid = f.rowid
        JOIN members mb ON mb.conversation_id = m.conversation_id AND mb.user_id = @user
        JOIN conversations c ON c.id = m.conversation_id
        WHERE messages_fts MATCH @fts AND m.seq >= mb.joined_seq AND m.seq <= ${VISIBLE_LAST}`;
    } else {
      // Only short terms, or a small history: the user's own visible messages, their indexed text checked with LIKE.
      sql = `SELECT m.* FROM members mb
        JOIN conversations c ON c.id = mb.conversation_id
        JOIN messages m ON m.conversation_id = mb.conversation_id AND m.seq >= mb.joined_seq AND m.seq <= ${VISIBLE_LAST}
        JOIN messages_fts f ON f.rowid = m.rowid
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
