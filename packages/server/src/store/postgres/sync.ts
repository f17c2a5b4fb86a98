/** The PostgreSQL store's cursors (delivered per device, read per user) and sync (changesSince). */
import type { Conversation, ConversationFlags } from '@natter/protocol';
import { toViewedMember, type BaseViewRow as ViewRow } from '../rows.js';
import { cursorRefusal, readRefusal } from '../rules/visibility.js';
import type { CursorOutcome, DeliveryCursor, SyncPage } from '../store.js';
import { VIEW_COLUMNS, type PgConversations } from './conversations.js';
import { STAMP_BASE, WATERMARK, type PgDb } from './db.js';
import type { PgHidden } from './hidden.js';

/** Cursors and changesSince. */
export class PgSync {
  constructor(
    private readonly db: PgDb,
    private readonly conversations: PgConversations,
    private readonly hidden: PgHidden,
  ) {}

  // --- cursors ------------------------------------------------------------------------------

  /** Why the user of `r` may not put a cursor at `seq`, or null when they may. */
  private cursorRefusal(r: ViewRow | undefined, seq: number): Exclude<CursorOutcome, { kind: 'ok' }> | null {
    return cursorRefusal(r && toViewedMember(r), r?.last_seq ?? 0, seq);
  }

  async ackDelivered(deviceId: string, userId: string, conversationId: string, seq: number): Promise<CursorOutcome> {
    const refusal = this.cursorRefusal(await this.conversations.viewRow(this.db, conversationId, userId), seq);
    if (refusal) return refusal;
    const r = await this.db.query<{ acked_seq: number }>(
      `INSERT INTO device_cursors (device_id, conversation_id, acked_seq) VALUES ($1, $2, $3)
       ON CONFLICT (device_id, conversation_id) DO UPDATE SET acked_seq = GREATEST(device_cursors.acked_seq, excluded.acked_seq)
       RETURNING acked_seq`,
      [deviceId, conversationId, seq],
    );
    return { kind: 'ok', seq: r.rows[0]!.acked_seq };
  }

  async ackDeliveredMany(cursors: readonly DeliveryCursor[]): Promise<void> {
    if (cursors.length === 0) return;
    // One statement: rows in key order, so two processes flushing overlapping batches take the
    // rows' locks in the same order. A key given twice keeps its highest seq (ON CONFLICT may
    // not touch a row twice in one statement).
    const latest = new Map<string, DeliveryCursor>();
    for (const c of cursors) {
      const key = `${c.deviceId}\0${c.conversationId}`;
      if ((latest.get(key)?.seq ?? -1) < c.seq) latest.set(key, c);
    }
    const rows = [...latest.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, c]) => c);
    await this.db.query(
      `INSERT INTO device_cursors (device_id, conversation_id, acked_seq)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
       ON CONFLICT (device_id, conversation_id) DO UPDATE SET acked_seq = GREATEST(device_cursors.acked_seq, excluded.acked_seq)`,
      [rows.map((c) => c.deviceId), rows.map((c) => c.conversationId), rows.map((c) => c.seq)],
    );
  }

  async markRead(userId: string, conversationId: string, seq: number): Promise<CursorOutcome> {
    return this.db.tx(async (c): Promise<CursorOutcome> => {
      const row = await this.conversations.viewRow(c, conversationId, userId);
      const refusal = readRefusal(row && toViewedMember(row), row?.last_seq ?? 0, seq);
      if (refusal || !row) return refusal ?? { kind: 'not_found' };
      // One write of the member row, stamped in the same statement: a second write would re-run
      // the foreign-key checks (see the lock order in db.ts). The read index is the count of
      // countable entries at the cursor (rules/unread.ts), read in the same statement.
      const r = await c.query<{ read_seq: number }>(
        `UPDATE members SET read_seq = $3, version = ${STAMP_BASE},
           read_index = COALESCE((SELECT msg_index FROM messages WHERE conversation_id = $1 AND seq = $3), 0)
         WHERE conversation_id = $1 AND user_id = $2 AND read_seq < $3 RETURNING read_seq`,
        [conversationId, userId, seq],
      );
      if (r.rowCount === 0) return { kind: 'ok', seq: Math.max(row.read_seq, seq) > row.read_seq ? seq : row.read_seq };
      // Only this member's view changed, and its row carries the stamp already.
      return { kind: 'ok', seq };
    });
  }

  // --- sync ---------------------------------------------------------------------------------

  /**
   * Views whose stamp is in [sinceVersion, watermark) (db.ts tells why that skips nothing), oldest
   * first. The version handed back is the next lower bound: the watermark, or just above the
   * page's last stamp when there is more.
   */
  async changesSince(userId: string, sinceVersion: number, limit: number): Promise<SyncPage> {
    // One statement, one snapshot: the rows and the watermark agree.
    const r = await this.db.query<(ViewRow & { mark: number; total: number }) | { id: null; mark: number; total: number }>(
      `SELECT x.*, w.mark, w.total
       FROM (SELECT ${WATERMARK} AS mark,
               (SELECT COALESCE(sum(GREATEST(c.msg_count - m.read_index, 0)), 0)::bigint FROM members m JOIN conversations c ON c.id = m.conversation_id
                WHERE m.user_id = $1 AND m.state = 'active' AND NOT m.muted) AS total) w
       LEFT JOIN LATERAL (
         SELECT * FROM (
           SELECT ${VIEW_COLUMNS},
                  CASE WHEN m.state = 'active' THEN GREATEST(c.version, m.version) ELSE m.version END AS v
           FROM members m JOIN conversations c ON c.id = m.conversation_id WHERE m.user_id = $1) y
         WHERE v >= $2 AND v < w.mark ORDER BY v LIMIT $3) x ON true
       ORDER BY x.v`,
      [userId, sinceVersion, limit + 1],
    );
    const rows = r.rows.filter((row): row is ViewRow & { mark: number; total: number } => row.id !== null);
    const totalUnread = Number(r.rows[0]!.total);
    if (rows.length <= limit) {
      const version = Math.max(r.rows[0]!.mark, sinceVersion);
      return { conversations: await this.conversations.views(this.db, rows), version, hasMore: false, totalUnread, ...(await this.hidden.since(userId, sinceVersion, version)) };
    }
    // The next page starts above the last stamp of this one, so a stamp must not straddle
    // pages: leave its rows to the next page, or, if they fill this one, take all of them.
    let page: ViewRow[] = rows.slice(0, limit);
    const last = page[limit - 1]!.v;
    if (rows[limit]!.v === last) {
      page = page.filter((row) => row.v !== last);
      if (page.length === 0) page = await this.withStamp(userId, last);
    }
    const version = (page.at(-1)?.v ?? last) + 1;
    return { conversations: await this.conversations.views(this.db, page), version, hasMore: true, totalUnread, ...(await this.hidden.since(userId, sinceVersion, version)) };
  }

  // --- per-user flags -----------------------------------------------------------------------

  async setConversationFlags(userId: string, conversationId: string, flags: ConversationFlags): Promise<Conversation | null> {
    return this.db.tx(async (c): Promise<Conversation | null> => {
      // One write of the member row, stamped in the same statement (as markRead).
      const r = await c.query(
        `UPDATE members SET pinned = COALESCE($3, pinned), muted = COALESCE($4, muted), archived = COALESCE($5, archived), version = ${STAMP_BASE}
         WHERE conversation_id = $1 AND user_id = $2`,
        [conversationId, userId, flags.pinned ?? null, flags.muted ?? null, flags.archived ?? null],
      );
      if (r.rowCount === 0) return null;
      const row = (await this.conversations.viewRow(c, conversationId, userId))!;
      return (await this.conversations.views(c, [row]))[0]!;
    });
  }

  /**
   * Every view of the user with this exact stamp: only a transaction touching more than 1023 of
   * the user's conversations shares one, so this is the rare path. Rows re-stamped since have
   * moved above it and come later.
   */
  private async withStamp(userId: string, stamp: number): Promise<ViewRow[]> {
    const r = await this.db.query<ViewRow>(
      `SELECT * FROM (
         SELECT ${VIEW_COLUMNS}, CASE WHEN m.state = 'active' THEN GREATEST(c.version, m.version) ELSE m.version END AS v
         FROM members m JOIN conversations c ON c.id = m.conversation_id WHERE m.user_id = $1) y
       WHERE v = $2 ORDER BY id`,
      [userId, stamp],
    );
    return r.rows;
  }
}
