/**
 * The PostgreSQL store's message search (docs/search.md). The searched text of a message is an
 * expression, `natter_search_text(type, body)` (migration 15): the text of a text message or the
 * caption of a media message, ASCII letters lowered. With the `pg_trgm` extension (created by the
 * migration when the database allows it) a GIN trigram index on that expression serves LIKE
 * '%term%' for terms of 3+ characters, in any script: Chinese text needs no word segmenter.
 * Without the extension the same queries run unindexed over the user's visible messages.
 *
 * An index on an expression is kept by PostgreSQL itself: an edit or recall that changes a body
 * changes what is found, and the write path knows nothing of search.
 */
import type { Message } from '@natter/protocol';
import { toMessage, type MessageRow } from '../rows.js';
import { containsPattern } from '../rules/search.js';
import type { MessageSearch } from '../search.js';
import type { PgDb } from './db.js';

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const asciiLower = (s: string): string => s.replace(/[A-Z]+/g, (c) => c.toLowerCase());

/** Migration 15: the expression, and its trigram index if pg_trgm can be had. */
export const PG_SEARCH_MIGRATION_SQL = `
CREATE OR REPLACE FUNCTION natter_search_text(type TEXT, body TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT translate(CASE type WHEN 'text' THEN body::jsonb ->> 'text'
    WHEN 'image' THEN body::jsonb ->> 'caption' WHEN 'file' THEN body::jsonb ->> 'caption'
    WHEN 'voice' THEN body::jsonb ->> 'caption' WHEN 'video' THEN body::jsonb ->> 'caption' END,
    '${UPPER}', '${UPPER.toLowerCase()}')
$fn$;
DO $do$
DECLARE ext_schema TEXT;
BEGIN
  BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
  EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm is not available (%): message search runs without an index', SQLERRM;
  END;
  SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
  IF ext_schema IS NOT NULL THEN
    EXECUTE format('CREATE INDEX IF NOT EXISTS messages_search_trgm ON messages USING gin (natter_search_text(type, body) %I.gin_trgm_ops)', ext_schema);
  END IF;
END
$do$;
`;

export class PgSearch {
  constructor(private readonly db: PgDb) {}

  async searchMessages(userId: string, q: MessageSearch): Promise<{ messages: Message[]; hasMore: boolean }> {
    const values: unknown[] = [userId];
    const at = (v: unknown) => `$${values.push(v)}`;
    const where: string[] = q.terms.map((t) => `natter_search_text(m.type, m.body) LIKE ${at(containsPattern(asciiLower(t)))} ESCAPE '\\'`);
    if (q.conversationId !== undefined) where.push(`mb.conversation_id = ${at(q.conversationId)}`);
    if (q.senderId !== undefined) where.push(`m.sender_id = ${at(q.senderId)}`);
    if (q.before !== undefined) where.push(`m.created_at < ${at(q.before)}`);
    if (q.after !== undefined) where.push(`m.created_at > ${at(q.after)}`);
    if (q.cursor) {
      const cAt = at(q.cursor.createdAt);
      where.push(`(m.created_at < ${cAt} OR (m.created_at = ${cAt} AND m.id COLLATE "C" < ${at(q.cursor.id)}))`);
    }
    // Nothing the user deleted for themselves (delete for me) is findable by them.
    where.push('NOT EXISTS (SELECT 1 FROM hidden_messages h WHERE h.user_id = $1 AND h.message_id = m.id AND h.unhidden_at IS NULL)');
    const r = await this.db.query<MessageRow>(
      `SELECT m.* FROM members mb
       JOIN conversations c ON c.id = mb.conversation_id
       JOIN messages m ON m.conversation_id = mb.conversation_id AND m.seq >= mb.joined_seq
         AND m.seq <= CASE WHEN mb.state = 'active' THEN c.last_seq ELSE coalesce(mb.left_seq, mb.joined_seq) END
       WHERE mb.user_id = $1 AND m.type IN ('text', 'image', 'file', 'voice', 'video') ${where.map((w) => `AND ${w}`).join(' ')}
       ORDER BY m.created_at DESC, m.id COLLATE "C" DESC LIMIT ${at(q.limit + 1)}`,
      values,
    );
    const hasMore = r.rows.length > q.limit;
    const messages = r.rows.slice(0, q.limit).map((row) => {
      const m = toMessage(row);
      return row.sender_id === userId ? m : { ...m, clientMsgId: null };
    });
    return { messages, hasMore };
  }
}
