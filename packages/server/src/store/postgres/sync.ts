/** The PostgreSQL store's cursors (delivered per device, read per user) and sync (changesSince). */
import { toViewedMember, type ViewRow } from '../rows.js';
import { cursorRefusal } from '../rules/visibility.js';
import type { CursorOutcome, DeliveryCursor, SyncPage } from '../store.js';
import { VIEW_COLUMNS, type PgConversations } from './conversations.js';
import type { PgDb } from './db.js';

/** Cursors and changesSince. */
export class PgSync {
  constructor(
    private readonly db: PgDb,
    private readonly conversations: PgConversations,
  ) {}

  // --- cursors ------------------------------------------------------------------------------

  /** Why the user of `r` may not put a cursor at `seq`, or null when they may. */
  private cursorRefusal(r: ViewRow | undefined, seq: number): Exclude<CursorOutcome, { kind: 'ok' }> | null {
    return cursorRefusal(r && toViewedMember(r), r?.last_seq ?? 0, seq);
  }

  async ackDelivered(deviceId: string, userId: string, conversationId: string, seq: number): Promise<CursorOutcome> {
    const refusal = this.cursorRefusal(await this.conversations.viewRow(this.db.pool, conversationId, userId), seq);
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
    return this.db.tx(async (c, t): Promise<CursorOutcome> => {
      const row = await this.conversations.viewRow(c, conversationId, userId);
      const refusal = this.cursorRefusal(row, seq);
      if (refusal || !row) return refusal ?? { kind: 'not_found' };
      const r = await c.query<{ read_seq: number }>(
        `UPDATE members SET read_seq = $3 WHERE conversation_id = $1 AND user_id = $2 AND read_seq < $3 RETURNING read_seq`,
        [conversationId, userId, seq],
      );
      if (r.rowCount === 0) return { kind: 'ok', seq: Math.max(row.read_seq, seq) > row.read_seq ? seq : row.read_seq };
      // Only this member's view changed: stamp the member row, not the conversation.
      t.members.set(conversationId, new Set([userId]));
      t.conversations.add(conversationId);
      return { kind: 'ok', seq };
    });
  }

  // --- sync ---------------------------------------------------------------------------------

  async changesSince(userId: string, sinceVersion: number, limit: number): Promise<SyncPage> {
    // One statement, one snapshot: the rows and the counter agree. The counter comes from the
    // outer row, so it is read in that snapshot even when no conversation changed (a second
    // statement could see a version committed after the rows were read, and skip it).
    const r = await this.db.query<(ViewRow & { current: number }) | { id: null; current: number }>(
      `SELECT x.*, cur.value AS current
       FROM (SELECT value FROM counters WHERE name = 'version') cur
       LEFT JOIN LATERAL (
         SELECT * FROM (
           SELECT ${VIEW_COLUMNS},
                  CASE WHEN m.state = 'active' THEN GREATEST(c.version, m.version) ELSE m.version END AS v
           FROM members m JOIN conversations c ON c.id = m.conversation_id WHERE m.user_id = $1) y
         WHERE v > $2 ORDER BY v LIMIT $3) x ON true
       ORDER BY x.v`,
      [userId, sinceVersion, limit + 1],
    );
    const rows = r.rows.filter((row): row is ViewRow & { current: number } => row.id !== null);
    const hasMore = rows.length > limit;
    const page = rows.slice(0, limit);
    const version = hasMore ? page[page.length - 1]!.v : r.rows[0]!.current;
    return { conversations: await this.conversations.views(this.db.pool, page), version: Math.max(version, sinceVersion), hasMore };
  }
}
