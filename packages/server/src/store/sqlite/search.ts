/**
 * The SQLite store's message search (docs/search.md). The searched text of every text and media
 * message is kept in `messages_fts`, an FTS5 table with the `trigram` tokenizer whose rowid is the
 * message row's rowid, by triggers on `messages` (migrations 14 and 16): an insert queues the row
 * in `search_pending`, a change of type or body (an edit, a recall) replaces or removes its text
 * at once, a delete removes it. Queued rows are indexed in batches (`indexPending`): every 100 ms,
 * and before every search, so a search always sees every message stored
 * before it. Indexing a message in the send's own transaction cost ~80 µs of the store thread's
 * CPU per message (trigrams, and a new FTS segment per commit); in batches it costs ~20. So the
 * write path knows nothing of search, and text edited or recalled away is not found.
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

/**
 * Migration 16: new messages are queued for the index instead of indexed by the send's
 * transaction. An edit or recall of a queued message indexes its new text at once and takes it
 * off the queue, so a batch never indexes a text twice.
 */
export const SEARCH_DEFERRED_MIGRATION_SQL = `
CREATE TABLE search_pending (message_rowid INTEGER PRIMARY KEY);
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_update;
DROP TRIGGER messages_fts_delete;
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
  INSERT INTO search_pending (message_rowid) SELECT new.rowid WHERE new.type IN ('text', 'image', 'file', 'voice', 'video');
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF type, body ON messages BEGIN
  DELETE FROM search_pending WHERE message_rowid = old.rowid;
  DELETE FROM messages_fts WHERE rowid = old.rowid;
  INSERT INTO messages_fts (rowid, text) SELECT new.rowid, t FROM (SELECT ${searchedText('new')} AS t) WHERE typeof(t) = 'text' AND t <> '';
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
  DELETE FROM search_pending WHERE message_rowid = old.rowid;
  DELETE FROM messages_fts WHERE rowid = old.rowid;
END;
`;

/**
 * The most queued messages one `indexPending` call indexes by default: at ~20 µs each, a pass
 * holds the store thread (and the sends behind it) for about 10 ms at most.
 */
export const INDEX_BATCH = 500;

/** A search indexes everything queued before it, in passes this large. */
const SEARCH_INDEX_BATCH = 5000;

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
  private readonly anyPending: Database.Statement<[], unknown>;
  private readonly pendingUpTo: Database.Statement<{ take: number }, { last: number | null }>;
  private readonly indexUpTo: Database.Statement<{ last: number }>;
  private readonly dequeueUpTo: Database.Statement<{ last: number }>;

  constructor(
    private readonly db: Database.Database,
    private readonly scanBelow = SCAN_BELOW,
  ) {
    this.visible = db.prepare(
      `SELECT sum(${VISIBLE_LAST} - mb.joined_seq + 1) AS n FROM members mb JOIN conversations c ON c.id = mb.conversation_id
       WHERE mb.user_id = @user AND (@conv IS NULL OR mb.conversation_id = @conv)`,
    );
    this.anyPending = db.prepare(`SELECT 1 FROM search_pending LIMIT 1`);
    this.pendingUpTo = db.prepare(`SELECT max(message_rowid) AS last FROM (SELECT message_rowid FROM search_pending ORDER BY message_rowid LIMIT @take)`);
    this.indexUpTo = db.prepare(
      `INSERT INTO messages_fts (rowid, text) SELECT rowid, t FROM (SELECT m.rowid AS rowid, ${searchedText('m')} AS t
         FROM search_pending p JOIN messages m ON m.rowid = p.message_rowid WHERE p.message_rowid <= @last) WHERE typeof(t) = 'text' AND t <> ''`,
    );
    this.dequeueUpTo = db.prepare(`DELETE FROM search_pending WHERE message_rowid <= @last`);
  }

  /**
   * Indexes up to `take` queued messages, oldest first, in one transaction; returns how many
   * were taken off the queue (0: nothing was waiting).
   */
  indexPending(take = INDEX_BATCH): number {
    if (this.anyPending.get() === undefined) return 0;
    return this.db.transaction(() => {
      const last = this.pendingUpTo.get({ take })?.last ?? null;
      if (last === null) return 0;
      this.indexUpTo.run({ last });
      return this.dequeueUpTo.run({ last }).changes;
    }).immediate();
  }

  async searchMessages(userId: string, q: MessageSearch): Promise<{ messages: Message[]; hasMore: boolean }> {
    // Everything stored before the search is found: what is still queued is indexed first.
    while (this.indexPending(SEARCH_INDEX_BATCH) === SEARCH_INDEX_BATCH);
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
