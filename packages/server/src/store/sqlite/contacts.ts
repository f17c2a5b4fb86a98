/**
 * The SQLite store's contacts: prefix search, friend requests, friendships and blocks (see
 * ../contacts.ts for the rules). Each write is one IMMEDIATE transaction.
 */
import type Database from 'better-sqlite3';
import type { BlockOutcome, FriendRequestOutcome, Relation, RelatedUser, UserSearch } from '../contacts.js';
import { directKey } from '../rules/conversations.js';
import { toUser, type UserRow } from '../rows.js';
import type { UserRecord } from '../store.js';

/** Above every character a key can hold: `prefix + TOP` bounds a prefix's range in the index (binary order). */
const TOP = '\u{10FFFF}';

type RelatedRow = UserRow & { at: number };
const toRelated = (r: RelatedRow): RelatedUser => ({ user: toUser(r), at: r.at });

function statements(db: Database.Database) {
  return {
    search: db.prepare<{ lo: string; hi: string; viewer: string; friendsOnly: number; limit: number }, UserRow>(
      `SELECT * FROM users u WHERE u.id IN (
         SELECT id FROM users WHERE username_key >= @lo AND username_key < @hi
         UNION SELECT id FROM users WHERE display_key >= @lo AND display_key < @hi)
       AND u.id <> @viewer
       AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.blocker_id = @viewer AND b.blocked_id = u.id) OR (b.blocker_id = u.id AND b.blocked_id = @viewer))
       AND (@friendsOnly = 0 OR EXISTS (SELECT 1 FROM friends f WHERE f.user_id = @viewer AND f.friend_id = u.id))
       ORDER BY u.username_key LIMIT @limit`,
    ),
    userExists: db.prepare<[string], { id: string }>(`SELECT id FROM users WHERE id = ?`),
    blocked: db.prepare<[string, string, string, string], { n: number }>(
      `SELECT count(*) AS n FROM blocks WHERE (blocker_id = ? AND blocked_id = ?) OR (blocker_id = ? AND blocked_id = ?)`,
    ),
    isFriend: db.prepare<[string, string], { since: number }>(`SELECT since FROM friends WHERE user_id = ? AND friend_id = ?`),
    request: db.prepare<[string, string], { created_at: number }>(`SELECT created_at FROM friend_requests WHERE from_id = ? AND to_id = ?`),
    insertRequest: db.prepare(`INSERT INTO friend_requests (from_id, to_id, created_at) VALUES (?, ?, ?)`),
    deleteRequest: db.prepare(`DELETE FROM friend_requests WHERE from_id = ? AND to_id = ?`),
    insertFriend: db.prepare(`INSERT OR IGNORE INTO friends (user_id, friend_id, since) VALUES (?, ?, ?)`),
    deleteFriend: db.prepare(`DELETE FROM friends WHERE user_id = ? AND friend_id = ?`),
    insertBlock: db.prepare(`INSERT OR IGNORE INTO blocks (blocker_id, blocked_id, created_at) VALUES (?, ?, ?)`),
    deleteBlock: db.prepare(`DELETE FROM blocks WHERE blocker_id = ? AND blocked_id = ?`),
    setClosed: db.prepare(`UPDATE conversations SET closed = ? WHERE direct_key = ?`),
    friends: db.prepare<[string, number], RelatedRow>(
      `SELECT u.*, f.since AS at FROM friends f JOIN users u ON u.id = f.friend_id WHERE f.user_id = ? ORDER BY f.since, u.id LIMIT ?`,
    ),
    incoming: db.prepare<[string, number], RelatedRow>(
      `SELECT u.*, r.created_at AS at FROM friend_requests r JOIN users u ON u.id = r.from_id WHERE r.to_id = ? ORDER BY r.created_at, u.id LIMIT ?`,
    ),
    outgoing: db.prepare<[string, number], RelatedRow>(
      `SELECT u.*, r.created_at AS at FROM friend_requests r JOIN users u ON u.id = r.to_id WHERE r.from_id = ? ORDER BY r.created_at, u.id LIMIT ?`,
    ),
    blocks: db.prepare<[string, number], RelatedRow>(
      `SELECT u.*, b.created_at AS at FROM blocks b JOIN users u ON u.id = b.blocked_id WHERE b.blocker_id = ? ORDER BY b.created_at, u.id LIMIT ?`,
    ),
    relation: db.prepare<{ me: string; other: string }, { friends: number; blocking: number; blocked_by: number }>(
      `SELECT EXISTS (SELECT 1 FROM friends WHERE user_id = @me AND friend_id = @other) AS friends,
              EXISTS (SELECT 1 FROM blocks WHERE blocker_id = @me AND blocked_id = @other) AS blocking,
              EXISTS (SELECT 1 FROM blocks WHERE blocker_id = @other AND blocked_id = @me) AS blocked_by`,
    ),
  };
}

export class SqliteContacts {
  private readonly q: ReturnType<typeof statements>;

  constructor(private readonly db: Database.Database) {
    this.q = statements(db);
  }


  async searchUsers(q: UserSearch): Promise<UserRecord[]> {
    const rows = this.q.search.all({ lo: q.prefix, hi: q.prefix + TOP, viewer: q.viewer, friendsOnly: q.friendsOnly ? 1 : 0, limit: q.limit });
    return rows.map(toUser);
  }

  async sendFriendRequest(from: string, to: string, now: number): Promise<FriendRequestOutcome> {
    return this.db
      .transaction((): FriendRequestOutcome => {
        if (from === to || !this.q.userExists.get(to) || this.q.blocked.get(from, to, to, from)!.n > 0) return { kind: 'refused' };
        if (this.q.isFriend.get(from, to)) return { kind: 'already_friends' };
        if (this.q.request.get(from, to)) return { kind: 'already_requested' };
        if (this.q.request.get(to, from)) {
          this.q.deleteRequest.run(to, from);
          this.befriend(from, to, now);
          return { kind: 'accepted', since: now };
        }
        this.q.insertRequest.run(from, to, now);
        return { kind: 'requested', createdAt: now };
      })
      .immediate();
  }

  private befriend(a: string, b: string, now: number): void {
    this.q.insertFriend.run(a, b, now);
    this.q.insertFriend.run(b, a, now);
  }

  async acceptFriendRequest(userId: string, from: string, now: number): Promise<number | null> {
    return this.db
      .transaction(() => {
        if (this.q.deleteRequest.run(from, userId).changes === 0) return null;
        this.befriend(from, userId, now);
        return now;
      })
      .immediate();
  }

  async deleteFriendRequest(from: string, to: string): Promise<boolean> {
    return this.q.deleteRequest.run(from, to).changes > 0;
  }

  async removeFriend(a: string, b: string): Promise<boolean> {
    return this.db.transaction(() => this.unfriend(a, b)).immediate();
  }

  private unfriend(a: string, b: string): boolean {
    const had = this.q.deleteFriend.run(a, b).changes > 0;
    this.q.deleteFriend.run(b, a);
    return had;
  }

  async listFriends(userId: string, limit: number): Promise<RelatedUser[]> {
    return this.q.friends.all(userId, limit).map(toRelated);
  }

  async listFriendRequests(userId: string, limit: number): Promise<{ incoming: RelatedUser[]; outgoing: RelatedUser[] }> {
    return this.db.transaction(() => ({
      incoming: this.q.incoming.all(userId, limit).map(toRelated),
      outgoing: this.q.outgoing.all(userId, limit).map(toRelated),
    }))();
  }

  async blockUser(blocker: string, blocked: string, now: number): Promise<BlockOutcome | null> {
    return this.db
      .transaction((): BlockOutcome | null => {
        if (blocker === blocked || !this.q.userExists.get(blocked)) return null;
        const created = this.q.insertBlock.run(blocker, blocked, now).changes > 0;
        const endedFriendship = this.unfriend(blocker, blocked);
        const endedIncoming = this.q.deleteRequest.run(blocked, blocker).changes > 0;
        const endedOutgoing = this.q.deleteRequest.run(blocker, blocked).changes > 0;
        this.q.setClosed.run(1, directKey(blocker, blocked));
        return { created, endedFriendship, endedIncoming, endedOutgoing };
      })
      .immediate();
  }

  async unblockUser(blocker: string, blocked: string): Promise<boolean> {
    return this.db
      .transaction(() => {
        if (this.q.deleteBlock.run(blocker, blocked).changes === 0) return false;
        if (this.q.blocked.get(blocker, blocked, blocked, blocker)!.n === 0) this.q.setClosed.run(0, directKey(blocker, blocked));
        return true;
      })
      .immediate();
  }

  async listBlocks(userId: string, limit: number): Promise<RelatedUser[]> {
    return this.q.blocks.all(userId, limit).map(toRelated);
  }

  async relations(userId: string, others: string[]): Promise<Relation[]> {
    return this.db.transaction(() =>
      others.map((other) => {
        const r = this.q.relation.get({ me: userId, other })!;
        return { userId: other, friends: r.friends === 1, blocking: r.blocking === 1, blockedBy: r.blocked_by === 1 };
      }),
    )();
  }
}
