/**
 * The SQLite store's presence settings and the membership questions presence asks: who shares a
 * direct conversation with a user (they get that user's presence pushed), and which users a viewer
 * shares any conversation with (the only ones whose presence the viewer may ask).
 */
import type Database from 'better-sqlite3';
import type { PresenceAudience } from '../store.js';

export class SqlitePresence {
  private readonly visibleOf: Database.Statement<[string], { visible: number }>;
  private readonly upsert: Database.Statement<[string, number]>;
  private readonly peers: Database.Statement<[string], { user_id: string }>;
  private readonly shares: Database.Statement<[{ viewer: string; other: string }], { visible: number }>;

  constructor(db: Database.Database) {
    this.visibleOf = db.prepare(`SELECT visible FROM presence_settings WHERE user_id = ?`);
    this.upsert = db.prepare(`INSERT INTO presence_settings (user_id, visible) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET visible = excluded.visible`);
    this.peers = db.prepare(
      `SELECT DISTINCT other.user_id FROM members me
         JOIN conversations c ON c.id = me.conversation_id AND c.kind = 'direct'
         JOIN members other ON other.conversation_id = me.conversation_id AND other.user_id <> me.user_id AND other.state = 'active'
       WHERE me.user_id = ? AND me.state = 'active'`,
    );
    // Driven by the viewer's active memberships (members_user index), each checked against the
    // other user by primary key: a candidate costs at most one lookup per viewer conversation.
    this.shares = db.prepare(
      `SELECT COALESCE((SELECT visible FROM presence_settings WHERE user_id = @other), 1) AS visible
       WHERE EXISTS (SELECT 1 FROM members me JOIN members other ON other.conversation_id = me.conversation_id AND other.user_id = @other AND other.state = 'active'
                     WHERE me.user_id = @viewer AND me.state = 'active')`,
    );
  }

  async getPresenceVisible(userId: string): Promise<boolean> {
    return (this.visibleOf.get(userId)?.visible ?? 1) === 1;
  }

  async setPresenceVisible(userId: string, visible: boolean): Promise<void> {
    this.upsert.run(userId, visible ? 1 : 0);
  }

  async presencePeers(userId: string): Promise<string[]> {
    return this.peers.all(userId).map((r) => r.user_id);
  }

  async presenceAudience(viewerId: string, userIds: string[]): Promise<PresenceAudience[]> {
    const out: PresenceAudience[] = [];
    for (const userId of new Set(userIds)) {
      const r = this.shares.get({ viewer: viewerId, other: userId });
      if (r) out.push({ userId, visible: r.visible === 1 });
    }
    return out;
  }
}
