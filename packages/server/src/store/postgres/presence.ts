/**
 * The PostgreSQL store's presence settings and the membership questions presence asks (see
 * sqlite/presence.ts): direct-conversation peers, and which users a viewer shares a conversation with.
 */
import type { PresenceAudience } from '../store.js';
import type { PgDb } from './db.js';

export class PgPresence {
  constructor(private readonly db: PgDb) {}

  async getPresenceVisible(userId: string): Promise<boolean> {
    const r = await this.db.query<{ visible: boolean }>(`SELECT visible FROM presence_settings WHERE user_id = $1`, [userId]);
    return r.rows[0]?.visible ?? true;
  }

  async setPresenceVisible(userId: string, visible: boolean): Promise<void> {
    await this.db.query(
      `INSERT INTO presence_settings (user_id, visible) VALUES ($1, $2) ON CONFLICT (user_id) DO UPDATE SET visible = EXCLUDED.visible`,
      [userId, visible],
    );
  }

  async presencePeers(userId: string): Promise<string[]> {
    const r = await this.db.query<{ user_id: string }>(
      `SELECT DISTINCT other.user_id FROM members me
         JOIN conversations c ON c.id = me.conversation_id AND c.kind = 'direct'
         JOIN members other ON other.conversation_id = me.conversation_id AND other.user_id <> me.user_id AND other.state = 'active'
       WHERE me.user_id = $1 AND me.state = 'active'`,
      [userId],
    );
    return r.rows.map((x) => x.user_id);
  }

  async presenceAudience(viewerId: string, userIds: string[]): Promise<PresenceAudience[]> {
    const ids = [...new Set(userIds)];
    if (ids.length === 0) return [];
    const r = await this.db.query<{ user_id: string; visible: boolean }>(
      `SELECT o.id AS user_id, COALESCE(p.visible, TRUE) AS visible
         FROM unnest($2::text[]) AS o(id)
         LEFT JOIN presence_settings p ON p.user_id = o.id
        WHERE EXISTS (SELECT 1 FROM members me JOIN members other ON other.conversation_id = me.conversation_id AND other.user_id = o.id AND other.state = 'active'
                      WHERE me.user_id = $1 AND me.state = 'active')`,
      [viewerId, ids],
    );
    const found = new Map(r.rows.map((x) => [x.user_id, x.visible]));
    return ids.filter((id) => found.has(id)).map((id) => ({ userId: id, visible: found.get(id)! }));
  }
}
