/**
 * The embedded Store: one SQLite file in WAL mode through better-sqlite3. better-sqlite3 is
 * synchronous, so each method runs its transaction to completion on the event loop; the async
 * signature is for parity with the PostgreSQL store. With DURABILITY=normal a committed
 * transaction is in the WAL (survives a killed process); with `full` it is fsynced (survives
 * power loss).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Conversation, MemberRole, Message, SystemBody } from '@natter/protocol';
import type {
  AppendOutcome,
  ConversationState,
  CreatedConversation,
  CursorOutcome,
  DeviceRecord,
  MembershipChange,
  MemberView,
  MembershipOutcome,
  NewConversation,
  NewDevice,
  NewMessage,
  NewUser,
  PageQuery,
  RotateOutcome,
  Store,
  SyncPage,
  UserRecord,
} from '../store.js';
import { migrations } from './migrations.js';
import {
  toDevice,
  toMemberRecord,
  toMessage,
  toRefreshRecord,
  toSendRecord,
  toUser,
  toView,
  toViewedMember,
  type DeviceRow,
  type MessageRow,
  type UserRow,
  type ViewRow,
} from '../rows.js';
import { createdBody, directKey } from '../rules/conversations.js';
import { affectedBy, decideMembership, heirOf, involvedUsers, viewedUsers, type MemberRecord } from '../rules/membership.js';
import { decideRotation } from '../rules/refresh.js';
import { replyAllowed, sameSend } from '../rules/sends.js';
import { buildView, cursorRefusal, pageOf, pageRange } from '../rules/visibility.js';

/** How long a statement waits for a lock another connection holds. */
const BUSY_TIMEOUT_MS = 5000;

export interface SqliteStoreOptions {
  /** File path, or ':memory:' (tests of pure logic only). */
  path: string;
  durability: 'normal' | 'full';
  /**
   * Another connection checkpoints the WAL (see checkpointer.ts): this one never does it
   * inside a commit. Default false: SQLite checkpoints automatically every 4,000 pages.
   */
  backgroundCheckpoints?: boolean;
}

interface SqliteDeviceRow extends DeviceRow {
  /** JSON array. */
  previous_refresh_hashes: string;
}


/** One conversation's state while a batch of sends is appended. */
interface BatchConversation {
  lastSeq: number;
  /** Senders looked up so far: their membership, or null when they never were members. */
  senders: Map<string, { state: string; joined_seq: number } | null>;
  changed: boolean;
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private closed = false;
  private readonly s;

  constructor(options: SqliteStoreOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.durability === 'full' ? 'FULL' : 'NORMAL'}`);
    this.db.pragma('foreign_keys = ON');
    this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // A larger page cache and fewer, larger checkpoints: pages written again and again between
    // checkpoints are copied into the database once (measured: ~30 KB written per message).
    this.db.pragma('cache_size = -65536');
    this.db.pragma(`wal_autocheckpoint = ${options.backgroundCheckpoints === true ? 0 : 4000}`);
    // After a checkpoint has caught up the WAL restarts from its beginning; keep the file itself
    // from staying at the size of the largest burst it ever held.
    this.db.pragma('journal_size_limit = 67108864');
    this.migrate();
    const db = this.db;
    this.s = {
      nextVersion: db.prepare<[], { value: number }>(`UPDATE counters SET value = value + 1 WHERE name = 'version' RETURNING value`),
      takeVersions: db.prepare<[number], { value: number }>(`UPDATE counters SET value = value + ? WHERE name = 'version' RETURNING value`),
      seqAndSender: db.prepare<[string, string], { last_seq: number; state: 'active' | 'left' | null; joined_seq: number | null }>(
        `SELECT c.last_seq, m.state, m.joined_seq FROM conversations c LEFT JOIN members m ON m.conversation_id = c.id AND m.user_id = ?
         WHERE c.id = ?`,
      ),
      senderMember: db.prepare<[string, string], { state: 'active' | 'left'; joined_seq: number }>(
        `SELECT state, joined_seq FROM members WHERE conversation_id = ? AND user_id = ?`,
      ),
      currentVersion: db.prepare<[], { value: number }>(`SELECT value FROM counters WHERE name = 'version'`),
      insertUser: db.prepare(
        `INSERT INTO users (id, username, username_key, password_hash, display_name, avatar_url, created_at)
         VALUES (@id, @username, @usernameKey, @passwordHash, @displayName, @avatarUrl, @createdAt) ON CONFLICT (username_key) DO NOTHING`,
      ),
      userById: db.prepare<[string], UserRow>(`SELECT * FROM users WHERE id = ?`),
      userByKey: db.prepare<[string], UserRow>(`SELECT * FROM users WHERE username_key = ?`),
      insertDevice: db.prepare(
        `INSERT INTO devices (id, user_id, name, refresh_hash, refresh_expires_at, created_at, last_seen_at)
         VALUES (@id, @userId, @name, @refreshHash, @refreshExpiresAt, @createdAt, @createdAt)`,
      ),
      deviceById: db.prepare<[string], SqliteDeviceRow>(`SELECT * FROM devices WHERE id = ?`),
      devicesOfUser: db.prepare<[string], SqliteDeviceRow>(
        `SELECT * FROM devices WHERE user_id = ? AND revoked_at IS NULL ORDER BY created_at DESC, id`,
      ),
      rotate: db.prepare(
        `UPDATE devices SET refresh_hash = ?, refresh_expires_at = ?, last_seen_at = ?, previous_refresh_hashes = ? WHERE id = ?`,
      ),
      revoke: db.prepare(`UPDATE devices SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL`),
      insertConversation: db.prepare(
        `INSERT INTO conversations (id, kind, title, direct_key, last_seq, version, created_by, created_at)
         VALUES (@id, @kind, @title, @directKey, 0, @version, @createdBy, @createdAt)`,
      ),
      conversation: db.prepare<[string], { id: string; kind: 'direct' | 'group'; title: string | null; last_seq: number; created_at: number }>(
        `SELECT id, kind, title, last_seq, created_at FROM conversations WHERE id = ?`,
      ),
      conversationByDirectKey: db.prepare<[string], { id: string }>(`SELECT id FROM conversations WHERE direct_key = ?`),
      activeMembers: db.prepare<[string], { user_id: string; role: MemberRole; joined_seq: number }>(
        `SELECT user_id, role, joined_seq FROM members WHERE conversation_id = ? AND state = 'active' ORDER BY joined_seq, user_id`,
      ),
      member: db.prepare<[string, string], { role: MemberRole; state: 'active' | 'left'; joined_seq: number; left_seq: number | null; read_seq: number }>(
        `SELECT role, state, joined_seq, left_seq, read_seq FROM members WHERE conversation_id = ? AND user_id = ?`,
      ),
      upsertMember: db.prepare(
        `INSERT INTO members (conversation_id, user_id, role, state, joined_seq, left_seq, read_seq, version)
         VALUES (@conversationId, @userId, @role, 'active', @seq, NULL, @seq, @version)
         ON CONFLICT (conversation_id, user_id) DO UPDATE SET role = excluded.role, state = 'active',
           joined_seq = excluded.joined_seq, left_seq = NULL, read_seq = excluded.read_seq, version = excluded.version`,
      ),
      memberLeft: db.prepare(
        `UPDATE members SET state = 'left', left_seq = @seq, version = @version WHERE conversation_id = @conversationId AND user_id = @userId`,
      ),
      setRole: db.prepare(`UPDATE members SET role = ?, version = ? WHERE conversation_id = ? AND user_id = ?`),
      bumpSeq: db.prepare<[number, string], { last_seq: number }>(
        `UPDATE conversations SET last_seq = last_seq + 1, version = ? WHERE id = ? RETURNING last_seq`,
      ),
      setSeq: db.prepare(`UPDATE conversations SET last_seq = ?, version = ? WHERE id = ?`),
      insertMessage: db.prepare(
        `INSERT INTO messages (conversation_id, seq, id, sender_id, type, body, client_msg_id, reply_to, created_at)
         VALUES (@conversationId, @seq, @id, @senderId, @type, @body, @clientMsgId, @replyTo, @createdAt)
         ON CONFLICT (sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL DO NOTHING`,
      ),
      messageByClientId: db.prepare<[string, string], MessageRow>(`SELECT * FROM messages WHERE sender_id = ? AND client_msg_id = ?`),
      messageById: db.prepare<[string], MessageRow>(`SELECT * FROM messages WHERE id = ?`),
      readAtLeast: db.prepare(`UPDATE members SET read_seq = max(read_seq, ?) WHERE conversation_id = ? AND user_id = ?`),
      messagesAfter: db.prepare<[string, number, number, number], MessageRow>(
        `SELECT * FROM messages WHERE conversation_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?`,
      ),
      messagesBefore: db.prepare<[string, number, number, number], MessageRow>(
        `SELECT * FROM messages WHERE conversation_id = ? AND seq < ? AND seq >= ? ORDER BY seq DESC LIMIT ?`,
      ),
      view: db.prepare<[string, string], ViewRow>(
        `SELECT c.id, c.kind, c.title, c.last_seq, c.created_at, m.role, m.state, m.joined_seq, m.left_seq, m.read_seq, m.version AS v
         FROM members m JOIN conversations c ON c.id = m.conversation_id WHERE m.conversation_id = ? AND m.user_id = ?`,
      ),
      activeConversationIds: db.prepare<[string], { conversation_id: string }>(
        `SELECT conversation_id FROM members WHERE user_id = ? AND state = 'active'`,
      ),
      changes: db.prepare<[string, number, number], ViewRow>(
        `SELECT * FROM (
           SELECT c.id, c.kind, c.title, c.last_seq, c.created_at, m.role, m.state, m.joined_seq, m.left_seq, m.read_seq,
                  CASE WHEN m.state = 'active' THEN max(c.version, m.version) ELSE m.version END AS v
           FROM members m JOIN conversations c ON c.id = m.conversation_id WHERE m.user_id = ?)
         WHERE v > ? ORDER BY v LIMIT ?`,
      ),
      cursor: db.prepare<[string, string], { acked_seq: number }>(
        `SELECT acked_seq FROM device_cursors WHERE device_id = ? AND conversation_id = ?`,
      ),
      upsertCursor: db.prepare(
        `INSERT INTO device_cursors (device_id, conversation_id, acked_seq) VALUES (?, ?, ?)
         ON CONFLICT (device_id, conversation_id) DO UPDATE SET acked_seq = max(acked_seq, excluded.acked_seq)`,
      ),
      setRead: db.prepare(`UPDATE members SET read_seq = ?, version = ? WHERE conversation_id = ? AND user_id = ?`),
    };
  }

  private migrate(): void {
    this.db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
    const applied = new Set(
      this.db.prepare<[], { version: number }>(`SELECT version FROM schema_migrations`).all().map((r) => r.version),
    );
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      this.db.transaction(() => {
        this.db.exec(m.sql);
        this.db.prepare(`INSERT INTO schema_migrations VALUES (?, ?, ?)`).run(m.version, m.name, Date.now());
      }).immediate();
    }
  }

  /** The database's page size in bytes (a WAL frame holds one page). */
  pageSize(): number {
    return this.db.pragma('page_size', { simple: true }) as number;
  }

  /**
   * Copies what is left of the WAL into the database and makes the next commit write from the
   * WAL's beginning (a RESTART checkpoint). Called between transactions by the thread that
   * writes, when the checkpointer has copied nearly all of the WAL (see checkpointer.ts). It
   * never waits: with a checkpoint pass or a reader in the way it does nothing (SQLite reports
   * busy) and is asked again at the checkpointer's next tick, rather than hold up every send.
   */
  restartWal(): void {
    this.db.pragma('busy_timeout = 0');
    try {
      this.db.pragma('wal_checkpoint(RESTART)');
    } finally {
      this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  // --- accounts -----------------------------------------------------------------------------

  async createUser(user: NewUser): Promise<UserRecord | null> {
    const r = this.s.insertUser.run({ ...user, usernameKey: user.username.toLowerCase() });
    if (r.changes === 0) return null;
    return toUser(this.s.userById.get(user.id)!);
  }

  async getUser(id: string): Promise<UserRecord | null> {
    const r = this.s.userById.get(id);
    return r ? toUser(r) : null;
  }

  async getUserByUsername(username: string): Promise<UserRecord | null> {
    const r = this.s.userByKey.get(username.toLowerCase());
    return r ? toUser(r) : null;
  }

  async existingUserIds(ids: string[]): Promise<string[]> {
    return ids.filter((id) => this.s.userById.get(id) !== undefined);
  }

  async updateProfile(id: string, patch: { displayName?: string | null; avatarUrl?: string | null }): Promise<UserRecord | null> {
    this.db
      .prepare(
        `UPDATE users SET display_name = CASE WHEN @setName THEN @displayName ELSE display_name END,
                          avatar_url = CASE WHEN @setAvatar THEN @avatarUrl ELSE avatar_url END
         WHERE id = @id`,
      )
      .run({
        id,
        setName: patch.displayName !== undefined ? 1 : 0,
        displayName: patch.displayName ?? null,
        setAvatar: patch.avatarUrl !== undefined ? 1 : 0,
        avatarUrl: patch.avatarUrl ?? null,
      });
    return this.getUser(id);
  }

  async setPasswordHash(id: string, hash: string): Promise<void> {
    this.db.prepare(`UPDATE users SET password_hash = ? WHERE id = ?`).run(hash, id);
  }

  // --- devices ------------------------------------------------------------------------------

  async createDevice(device: NewDevice): Promise<DeviceRecord> {
    this.s.insertDevice.run(device);
    return toDevice(this.s.deviceById.get(device.id)!);
  }

  async getDevice(id: string): Promise<DeviceRecord | null> {
    const r = this.s.deviceById.get(id);
    return r ? toDevice(r) : null;
  }

  async listDevices(userId: string): Promise<DeviceRecord[]> {
    return this.s.devicesOfUser.all(userId).map(toDevice);
  }

  async rotateRefresh(
    deviceId: string,
    presentedHash: string,
    next: { hash: string; expiresAt: number },
    now: number,
  ): Promise<RotateOutcome> {
    return this.db
      .transaction((): RotateOutcome => {
        const row = this.s.deviceById.get(deviceId);
        const d = decideRotation(row && toRefreshRecord(row, JSON.parse(row.previous_refresh_hashes) as string[]), presentedHash, now);
        // Reuse and rotation are only decided for a device that exists.
        switch (d.kind) {
          case 'reused':
            this.s.revoke.run(now, deviceId, row!.user_id);
            return { kind: 'reused', device: toDevice({ ...row!, revoked_at: now }) };
          case 'rotate':
            this.s.rotate.run(next.hash, next.expiresAt, now, JSON.stringify(d.remembered), deviceId);
            return { kind: 'rotated', device: toDevice(this.s.deviceById.get(deviceId)!) };
          case 'expired':
          case 'revoked':
          case 'unknown':
            return d;
        }
      })
      .immediate();
  }

  async revokeDevice(userId: string, deviceId: string, now: number): Promise<boolean> {
    return this.s.revoke.run(now, deviceId, userId).changes > 0;
  }

  async revokeOtherDevices(userId: string, keep: string | null, now: number): Promise<string[]> {
    return this.db
      .transaction(() => {
        const ids = this.s.devicesOfUser.all(userId).map((d) => d.id).filter((id) => id !== keep);
        for (const id of ids) this.s.revoke.run(now, id, userId);
        return ids;
      })
      .immediate();
  }

  // --- conversations ------------------------------------------------------------------------

  private appendSystem(conversationId: string, entryId: string, by: string, body: SystemBody, now: number): Message {
    const version = this.s.nextVersion.get()!.value;
    const seq = this.s.bumpSeq.get(version, conversationId)!.last_seq;
    const text = JSON.stringify(body);
    this.s.insertMessage.run({
      conversationId,
      seq,
      id: entryId,
      senderId: by,
      type: 'system',
      body: text,
      clientMsgId: null,
      replyTo: null,
      createdAt: now,
    });
    return { id: entryId, conversationId, seq, senderId: by, type: 'system', body, clientMsgId: null, replyTo: null, createdAt: now };
  }

  /** Inserts the conversation, its first entry and its members; returns that entry. */
  private insertConversation(conv: NewConversation, key: string | null): Message {
    const version = this.s.nextVersion.get()!.value;
    this.s.insertConversation.run({
      id: conv.id,
      kind: conv.kind,
      title: conv.title,
      directKey: key,
      version,
      createdBy: conv.createdBy,
      createdAt: conv.createdAt,
    });
    const entry = this.appendSystem(conv.id, conv.createdMessageId, conv.createdBy, createdBody(conv), conv.createdAt);
    for (const m of conv.members) {
      this.s.upsertMember.run({ conversationId: conv.id, userId: m.userId, role: m.role, seq: entry.seq, version });
    }
    return entry;
  }

  async createConversation(conv: NewConversation): Promise<CreatedConversation> {
    return this.db.transaction(() => this.created(conv.id, this.insertConversation(conv, null))).immediate();
  }

  async openDirect(a: string, b: string, make: () => NewConversation): Promise<{ state: ConversationState; created: CreatedConversation | null }> {
    const key = directKey(a, b);
    return this.db
      .transaction(() => {
        const existing = this.s.conversationByDirectKey.get(key);
        if (existing) return { state: this.state(existing.id)!, created: null };
        const conv = make();
        const created = this.created(conv.id, this.insertConversation(conv, key));
        return { state: created.state, created };
      })
      .immediate();
  }

  /** What a creation returns, read in its transaction: the state, and every member's view. */
  private created(id: string, entry: Message): CreatedConversation {
    const state = this.state(id)!;
    return { state, entry, views: this.memberViews(state, state.members.map((m) => m.userId)) };
  }

  /** The views of `userIds` (members or former members) of the conversation in `state`. */
  private memberViews(state: ConversationState, userIds: string[]): MemberView[] {
    const active = state.members.map((m) => m.userId);
    return userIds.map((userId) => ({ userId, conversation: buildView(state, toViewedMember(this.s.member.get(state.id, userId)!), active) }));
  }

  private state(id: string): ConversationState | null {
    const c = this.s.conversation.get(id);
    if (!c) return null;
    return {
      id: c.id,
      kind: c.kind,
      title: c.title,
      lastSeq: c.last_seq,
      createdAt: c.created_at,
      members: this.s.activeMembers.all(id).map((m) => ({ userId: m.user_id, role: m.role })),
    };
  }

  async getConversationState(id: string): Promise<ConversationState | null> {
    return this.state(id);
  }

  private view(r: ViewRow): Conversation {
    return toView(r, r.state === 'active' ? this.s.activeMembers.all(r.id).map((m) => m.user_id) : []);
  }

  async getConversationForUser(id: string, userId: string): Promise<Conversation | null> {
    const r = this.s.view.get(id, userId);
    return r ? this.view(r) : null;
  }

  async activeConversationIds(userId: string): Promise<string[]> {
    return this.s.activeConversationIds.all(userId).map((r) => r.conversation_id);
  }

  async changeMembership(conversationId: string, change: MembershipChange, entryId: string, now: number): Promise<MembershipOutcome> {
    return this.db
      .transaction((): MembershipOutcome => {
        const conv = this.s.conversation.get(conversationId);
        const members = new Map<string, MemberRecord>();
        for (const userId of conv ? involvedUsers(change) : []) {
          const row = this.s.member.get(conversationId, userId);
          if (row) members.set(userId, toMemberRecord(userId, row));
        }
        const d = decideMembership(conv?.kind ?? null, change, members);
        if (d.kind === 'not_found' || d.kind === 'forbidden' || d.kind === 'not_member') return d;
        if (d.kind === 'noop') return { kind: 'noop', conversation: this.state(conversationId)! };
        const entry = this.appendSystem(conversationId, entryId, d.author, d.body, now);
        const version = this.s.nextVersion.get()!.value;
        let newOwner: string | null = null;
        switch (d.kind) {
          case 'join':
            for (const userId of d.userIds) this.s.upsertMember.run({ conversationId, userId, role: 'member', seq: entry.seq, version });
            break;
          case 'role':
            this.s.setRole.run(d.role, version, conversationId, d.userId);
            break;
          case 'leave':
            this.s.memberLeft.run({ conversationId, userId: d.userId, seq: entry.seq, version });
            if (d.passOwnership) {
              const rest = this.s.activeMembers.all(conversationId).map((m) => toMemberRecord(m.user_id, { ...m, state: 'active', left_seq: null }));
              newOwner = heirOf(rest, d.userId);
              if (newOwner !== null) this.s.setRole.run('owner', version, conversationId, newOwner);
            }
            break;
        }
        const state = this.state(conversationId)!;
        const affected = affectedBy(d);
        return { kind: 'ok', entry, conversation: state, affected, newOwner, views: this.memberViews(state, viewedUsers(affected, newOwner)) };
      })
      .immediate();
  }

  // --- messages -----------------------------------------------------------------------------

  async appendMessages(batch: NewMessage[]): Promise<AppendOutcome[]> {
    return this.db
      .transaction(() => {
        // Work is done once per conversation and per sender in a batch, not per message: one
        // point query loads a conversation's seq with its first sender's membership (a group's
        // other members are never read: a send needs only its sender's), the seq, version and
        // the sender's read cursor are written at the end. Per message there is one insert; the
        // idempotency lookup only runs when the insert hits the (sender, clientMsgId) index or
        // the send is refused anyway (a retried send is answered with its original even after
        // leaving).
        const convs = new Map<string, BatchConversation | null>();
        const readBy = new Map<string, { conversationId: string; senderId: string; seq: number }>();
        const priorOr = (m: NewMessage, refusal: AppendOutcome): AppendOutcome => {
          const prior = this.s.messageByClientId.get(m.senderId, m.clientMsgId);
          if (!prior) return refusal;
          return sameSend(toSendRecord(prior), m) ? { kind: 'duplicate', message: toMessage(prior) } : { kind: 'conflict' };
        };
        const outcomes = batch.map((m): AppendOutcome => {
          let conv = convs.get(m.conversationId);
          if (conv === undefined) {
            conv = this.batchConversation(m.conversationId, m.senderId);
            convs.set(m.conversationId, conv);
          }
          const member = conv && this.batchSender(conv, m.conversationId, m.senderId);
          if (!conv || !member || member.state !== 'active') return priorOr(m, { kind: 'not_found' });
          if (m.replyTo !== null) {
            const target = this.s.messageById.get(m.replyTo);
            if (!replyAllowed(target && { conversationId: target.conversation_id, seq: target.seq }, m.conversationId, member.joined_seq)) {
              return priorOr(m, { kind: 'bad_reply' });
            }
          }
          const seq = conv.lastSeq + 1;
          if (this.s.insertMessage.run({ ...m, seq }).changes === 0) return priorOr(m, { kind: 'conflict' });
          conv.lastSeq = seq;
          conv.changed = true;
          readBy.set(`${m.conversationId}\u0000${m.senderId}`, { conversationId: m.conversationId, senderId: m.senderId, seq });
          return { kind: 'stored', seq };
        });
        const changed = [...convs].filter((e): e is [string, BatchConversation] => e[1]?.changed === true);
        if (changed.length > 0) {
          // One version per changed conversation, taken from the counter in one step.
          let version = this.s.takeVersions.get(changed.length)!.value - changed.length;
          for (const [id, conv] of changed) this.s.setSeq.run(conv.lastSeq, ++version, id);
        }
        // Sending implies having read up to one's own message.
        for (const r of readBy.values()) this.s.readAtLeast.run(r.seq, r.conversationId, r.senderId);
        return outcomes;
      })
      .immediate();
  }

  /** A conversation's seq and its first sender's membership in one query, for one batch of sends. */
  private batchConversation(id: string, senderId: string): BatchConversation | null {
    const row = this.s.seqAndSender.get(senderId, id);
    if (!row) return null;
    const sender = row.state === null ? null : { state: row.state, joined_seq: row.joined_seq! };
    return { lastSeq: row.last_seq, senders: new Map([[senderId, sender]]), changed: false };
  }

  private batchSender(conv: BatchConversation, conversationId: string, senderId: string): { state: string; joined_seq: number } | null {
    let sender = conv.senders.get(senderId);
    if (sender === undefined) {
      sender = this.s.senderMember.get(conversationId, senderId) ?? null;
      conv.senders.set(senderId, sender);
    }
    return sender;
  }

  async getMessages(conversationId: string, userId: string, q: PageQuery): Promise<{ messages: Message[]; hasMore: boolean } | null> {
    return this.db.transaction(() => {
      const r = this.s.view.get(conversationId, userId);
      if (!r) return null;
      const range = pageRange(toViewedMember(r), r.last_seq, q);
      const rows =
        range.kind === 'before'
          ? this.s.messagesBefore.all(conversationId, range.below, range.from, range.take)
          : this.s.messagesAfter.all(conversationId, range.above, range.through, range.take);
      const page = pageOf(rows, range);
      return { messages: page.messages.map(toMessage), hasMore: page.hasMore };
    })();
  }

  // --- cursors ------------------------------------------------------------------------------

  /** Why the user may not put a cursor at `seq` in the conversation, or null when they may. */
  private cursorRefusal(conversationId: string, userId: string, seq: number): Exclude<CursorOutcome, { kind: 'ok' }> | null {
    const r = this.s.view.get(conversationId, userId);
    return cursorRefusal(r && toViewedMember(r), r?.last_seq ?? 0, seq);
  }

  async ackDelivered(deviceId: string, userId: string, conversationId: string, seq: number): Promise<CursorOutcome> {
    return this.db
      .transaction((): CursorOutcome => {
        const refusal = this.cursorRefusal(conversationId, userId, seq);
        if (refusal) return refusal;
        this.s.upsertCursor.run(deviceId, conversationId, seq);
        return { kind: 'ok', seq: this.s.cursor.get(deviceId, conversationId)!.acked_seq };
      })
      .immediate();
  }

  async markRead(userId: string, conversationId: string, seq: number): Promise<CursorOutcome> {
    return this.db
      .transaction((): CursorOutcome => {
        const refusal = this.cursorRefusal(conversationId, userId, seq);
        if (refusal) return refusal;
        const m = this.s.member.get(conversationId, userId)!;
        if (seq <= m.read_seq) return { kind: 'ok', seq: m.read_seq };
        this.s.setRead.run(seq, this.s.nextVersion.get()!.value, conversationId, userId);
        return { kind: 'ok', seq };
      })
      .immediate();
  }

  // --- sync ---------------------------------------------------------------------------------

  async changesSince(userId: string, sinceVersion: number, limit: number): Promise<SyncPage> {
    return this.db.transaction((): SyncPage => {
      const rows = this.s.changes.all(userId, sinceVersion, limit + 1);
      const hasMore = rows.length > limit;
      const page = rows.slice(0, limit);
      const version = hasMore ? page[page.length - 1]!.v : this.s.currentVersion.get()!.value;
      return { conversations: page.map((r) => this.view(r)), version: Math.max(version, sinceVersion), hasMore };
    })();
  }
}
