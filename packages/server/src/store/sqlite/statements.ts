/**
 * The SQLite store's prepared statements, prepared once per connection and shared by its
 * per-concern modules (accounts.ts, conversations.ts, messages.ts, sync.ts).
 */
import type Database from 'better-sqlite3';
import type { MemberRole } from '@natter/protocol';
import { PREVIEW_COLUMNS, previewHiddenAt, VIEW_BASE_COLUMNS, VIEW_PREVIEW_JOIN, VIEW_SELECT, VISIBLE_LAST_SQL, type DeviceRow, type MemberViewColumns, type MessageRow, type UserRow, type ViewRow } from '../rows.js';

export interface SqliteDeviceRow extends DeviceRow {
  /** JSON array. */
  previous_refresh_hashes: string;
}

/**
 * What the store uses of a prepared statement taking parameters `P` and giving rows `R`. Named
 * here so that declarations can spell the statements' type (better-sqlite3's own is not exported).
 */
export interface Stmt<P extends unknown[] = unknown[], R = unknown> {
  run(...params: P): Database.RunResult;
  get(...params: P): R | undefined;
  all(...params: P): R[];
  /** Rows one at a time: a history page stops reading once it is full (rules/visibility.ts pageOf). */
  iterate(...params: P): IterableIterator<R>;
}

/** Prepares every statement the store runs, on `db` (migrated already). */
export function prepareStatements(db: Database.Database) {
  const prepare = <P extends unknown[] = unknown[], R = unknown>(sql: string): Stmt<P, R> => db.prepare<P, R>(sql);
  return {
    nextVersion: prepare<[], { value: number }>(`UPDATE counters SET value = value + 1 WHERE name = 'version' RETURNING value`),
    takeVersions: prepare<[number], { value: number }>(`UPDATE counters SET value = value + ? WHERE name = 'version' RETURNING value`),
    seqAndSender: prepare<
      [string, string],
      {
        last_seq: number;
        msg_count: number;
        closed: number;
        kind: 'direct' | 'group';
        group_profile: string | null;
        state: 'active' | 'left' | null;
        joined_seq: number | null;
        role: MemberRole | null;
        muted_until: number | null;
      }
    >(
      `SELECT c.last_seq, c.msg_count, c.closed, c.kind, c.group_profile, m.state, m.joined_seq, m.role, m.muted_until
       FROM conversations c LEFT JOIN members m ON m.conversation_id = c.id AND m.user_id = ?
       WHERE c.id = ?`,
    ),
    senderMember: prepare<[string, string], { state: 'active' | 'left'; joined_seq: number; role: MemberRole; muted_until: number | null }>(
      `SELECT state, joined_seq, role, muted_until FROM members WHERE conversation_id = ? AND user_id = ?`,
    ),
    currentVersion: prepare<[], { value: number }>(`SELECT value FROM counters WHERE name = 'version'`),
    insertUser: prepare(
      `INSERT INTO users (id, username, username_key, password_hash, display_name, display_key, avatar_url, created_at)
       VALUES (@id, @username, @usernameKey, @passwordHash, @displayName, @displayKey, @avatarUrl, @createdAt) ON CONFLICT (username_key) DO NOTHING`,
    ),
    userById: prepare<[string], UserRow>(`SELECT * FROM users WHERE id = ?`),
    userByKey: prepare<[string], UserRow>(`SELECT * FROM users WHERE username_key = ?`),
    insertDevice: prepare(
      `INSERT INTO devices (id, user_id, name, refresh_hash, refresh_expires_at, created_at, last_seen_at)
       VALUES (@id, @userId, @name, @refreshHash, @refreshExpiresAt, @createdAt, @createdAt)`,
    ),
    deviceById: prepare<[string], SqliteDeviceRow>(`SELECT * FROM devices WHERE id = ?`),
    devicesOfUser: prepare<[string], SqliteDeviceRow>(
      `SELECT * FROM devices WHERE user_id = ? AND revoked_at IS NULL ORDER BY created_at DESC, id`,
    ),
    rotate: prepare(
      `UPDATE devices SET refresh_hash = ?, refresh_expires_at = ?, last_seen_at = ?, previous_refresh_hashes = ? WHERE id = ?`,
    ),
    revoke: prepare(`UPDATE devices SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL`),
    insertConversation: prepare(
      `INSERT INTO conversations (id, kind, title, direct_key, last_seq, version, created_by, created_at)
       VALUES (@id, @kind, @title, @directKey, 0, @version, @createdBy, @createdAt)`,
    ),
    conversation: prepare<
      [string],
      { id: string; kind: 'direct' | 'group'; title: string | null; last_seq: number; created_at: number; group_profile: string | null }
    >(
      `SELECT id, kind, title, last_seq, created_at, group_profile FROM conversations WHERE id = ?`,
    ),
    conversationByDirectKey: prepare<[string], { id: string }>(`SELECT id FROM conversations WHERE direct_key = ?`),
    activeMembers: prepare<[string], { user_id: string; role: MemberRole; joined_seq: number }>(
      `SELECT user_id, role, joined_seq FROM members WHERE conversation_id = ? AND state = 'active' ORDER BY joined_seq, user_id`,
    ),
    member: prepare<[string, string], { role: MemberRole; state: 'active' | 'left'; joined_seq: number; left_seq: number | null } & MemberViewColumns>(
      `SELECT role, state, joined_seq, left_seq, read_seq, read_index, mention_seq, pinned, muted, archived, muted_until, left_view
       FROM members WHERE conversation_id = ? AND user_id = ?`,
    ),
    counts: prepare<[string], { msg_count: number; all_mention_seq: number }>(`SELECT msg_count, all_mention_seq FROM conversations WHERE id = ?`),
    upsertMember: prepare(
      // A member who joins has read everything before: the read index is the count at the join.
      `INSERT INTO members (conversation_id, user_id, role, state, joined_seq, left_seq, read_seq, read_index, version)
       VALUES (@conversationId, @userId, @role, 'active', @seq, NULL, @seq, (SELECT msg_count FROM conversations WHERE id = @conversationId), @version)
       ON CONFLICT (conversation_id, user_id) DO UPDATE SET role = excluded.role, state = 'active',
         joined_seq = excluded.joined_seq, left_seq = NULL, read_seq = excluded.read_seq, read_index = excluded.read_index, version = excluded.version,
         muted_until = NULL, left_view = NULL`,
    ),
    memberLeft: prepare(
      `UPDATE members SET state = 'left', left_seq = @seq, version = @version, left_view = @leftView
       WHERE conversation_id = @conversationId AND user_id = @userId`,
    ),
    setRole: prepare(`UPDATE members SET role = ?, version = ? WHERE conversation_id = ? AND user_id = ?`),
    bumpSeq: prepare<[number, string], { last_seq: number; msg_count: number }>(
      `UPDATE conversations SET last_seq = last_seq + 1, version = ? WHERE id = ? RETURNING last_seq, msg_count`,
    ),
    setSeq: prepare(`UPDATE conversations SET last_seq = ?, msg_count = ?, version = ? WHERE id = ?`),
    insertMessage: prepare(
      `INSERT INTO messages (conversation_id, seq, id, sender_id, type, body, client_msg_id, reply_to, created_at, msg_index, mentions)
       VALUES (@conversationId, @seq, @id, @senderId, @type, @body, @clientMsgId, @replyTo, @createdAt, @msgIndex, @mentions)
       ON CONFLICT (sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL DO NOTHING`,
    ),
    messageByClientId: prepare<[string, string], MessageRow>(`SELECT * FROM messages WHERE sender_id = ? AND client_msg_id = ?`),
    messageById: prepare<[string], MessageRow>(`SELECT * FROM messages WHERE id = ?`),
    /** The sender's read cursor to their message (SET expressions see the row as it was). */
    readAtLeast: prepare(
      `UPDATE members SET read_index = CASE WHEN @seq > read_seq THEN @msgIndex ELSE read_index END, read_seq = max(read_seq, @seq)
       WHERE conversation_id = @conversationId AND user_id = @userId`,
    ),
    mentionMember: prepare(`UPDATE members SET mention_seq = max(mention_seq, ?) WHERE conversation_id = ? AND user_id = ?`),
    mentionAll: prepare(`UPDATE conversations SET all_mention_seq = max(all_mention_seq, ?) WHERE id = ?`),
    msgIndexAt: prepare<[string, number], { msg_index: number }>(`SELECT msg_index FROM messages WHERE conversation_id = ? AND seq = ?`),
    totalUnread: prepare<[string], { total: number }>(
      `SELECT coalesce(sum(max(c.msg_count - m.read_index, 0)), 0) AS total FROM members m JOIN conversations c ON c.id = m.conversation_id
       WHERE m.user_id = ? AND m.state = 'active' AND m.muted = 0`,
    ),
    setFlags: prepare(
      `UPDATE members SET pinned = coalesce(@pinned, pinned), muted = coalesce(@muted, muted), archived = coalesce(@archived, archived),
         version = @version WHERE conversation_id = @conversationId AND user_id = @userId`,
    ),
    messagesAfter: prepare<[string, number, number, number], MessageRow>(
      `SELECT * FROM messages WHERE conversation_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?`,
    ),
    messagesBefore: prepare<[string, number, number, number], MessageRow>(
      `SELECT * FROM messages WHERE conversation_id = ? AND seq < ? AND seq >= ? ORDER BY seq DESC LIMIT ?`,
    ),
    view: prepare<[string, string], ViewRow>(
      `SELECT ${VIEW_SELECT}, ${previewHiddenAt('m.user_id')}, m.version AS v
       FROM members m JOIN conversations c ON c.id = m.conversation_id ${VIEW_PREVIEW_JOIN} WHERE m.conversation_id = ? AND m.user_id = ?`,
    ),
    activeConversationIds: prepare<[string], { conversation_id: string }>(
      `SELECT conversation_id FROM members WHERE user_id = ? AND state = 'active'`,
    ),
    // The page's rows are chosen first, then only they are joined with their previews.
    changes: prepare<[string, number, number], ViewRow>(
      `SELECT x.*, ${PREVIEW_COLUMNS}, ${previewHiddenAt('x.viewer_id')} FROM (
         SELECT * FROM (
           SELECT ${VIEW_BASE_COLUMNS}, m.user_id AS viewer_id, ${VISIBLE_LAST_SQL} AS visible_last,
                  CASE WHEN m.state = 'active' THEN max(c.version, m.version) ELSE m.version END AS v
           FROM members m JOIN conversations c ON c.id = m.conversation_id WHERE m.user_id = ?)
         WHERE v > ? ORDER BY v LIMIT ?) x
       LEFT JOIN messages p ON p.conversation_id = x.id AND p.seq = x.visible_last
       ORDER BY x.v`,
    ),
    cursor: prepare<[string, string], { acked_seq: number }>(
      `SELECT acked_seq FROM device_cursors WHERE device_id = ? AND conversation_id = ?`,
    ),
    upsertCursor: prepare(
      `INSERT INTO device_cursors (device_id, conversation_id, acked_seq) VALUES (?, ?, ?)
       ON CONFLICT (device_id, conversation_id) DO UPDATE SET acked_seq = max(acked_seq, excluded.acked_seq)`,
    ),
    /** The user's hides among some message ids (a JSON array): rules/hidden.ts hideLookupIds. */
    hiddenAmong: prepare<[string, string], { message_id: string; hidden_at: number }>(
      `SELECT message_id, hidden_at FROM hidden_messages WHERE user_id = ? AND message_id IN (SELECT value FROM json_each(?)) AND unhidden_at IS NULL`,
    ),
    setRead: prepare(`UPDATE members SET read_seq = ?, read_index = ?, version = ? WHERE conversation_id = ? AND user_id = ?`),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
