/**
 * The cluster Store on PostgreSQL. Same contract as the SQLite store; what differs is how it
 * stays correct with several Natter processes writing at once:
 * - Seqs: `UPDATE conversations SET last_seq = last_seq + 1` under the row lock, inside the
 *   transaction that inserts the entry, so seqs are gap-free (a rollback undoes the bump).
 * - Lock order: a transaction locks its conversations in id order first and takes the version
 *   counter last, so concurrent batches never deadlock.
 * - Sync versions: allocated from one counter row at the end of each writing transaction and
 *   held to commit, so they increase in commit order and a reader's snapshot never sees a
 *   version without everything below it.
 * - Migrations: under an advisory lock, so processes starting together apply each once.
 */
import pg from 'pg';
import { NatterError } from '@natter/protocol';
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
  storedMessage,
  toDevice,
  toMemberRecord,
  toMessage,
  toRefreshRecord,
  toSendRecord,
  toUser,
  toView,
  toViewedMember,
  type DeviceRow,
  type MemberRow,
  type MessageRow,
  type UserRow,
  type ViewRow,
} from '../rows.js';
import { createdBody, directKey } from '../rules/conversations.js';
import { affectedBy, decideMembership, heirOf, involvedUsers, viewedUsers } from '../rules/membership.js';
import { decideRotation } from '../rules/refresh.js';
import { replyAllowed, sameSend } from '../rules/sends.js';
import { buildView, cursorRefusal, pageOf, pageRange } from '../rules/visibility.js';

export interface PostgresStoreOptions {
  connectionString: string;
  /** Connections per process. */
  poolMax?: number;
  /** Schema to use (tests give each run its own). Created if missing. */
  schema?: string;
  /**
   * `full` (what the server uses): synchronous_commit=on, an acknowledged commit survives a
   * database crash. `normal`: synchronous_commit=off, faster, but the last few hundred
   * milliseconds of commits can be lost if PostgreSQL itself crashes.
   */
  durability?: 'normal' | 'full';
}

type Q = pg.PoolClient | pg.Pool;

const int8 = (oid: number, format?: string) =>
  oid === 20 ? (v: string) => Number(v) : (pg.types.getTypeParser as (o: number, f?: string) => unknown)(oid, format);

interface PgDeviceRow extends DeviceRow {
  previous_refresh_hashes: string[];
}

/** PostgreSQL unreachable or shutting down: clients should retry, and the outbox does. */
const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);
function unavailable(err: unknown): unknown {
  const code = (err as { code?: string } | null)?.code;
  const message = (err as Error | null)?.message ?? '';
  if ((code && CONNECTION_ERRORS.has(code)) || /Connection terminated|connection timeout|timeout exceeded when trying to connect|not queryable/i.test(message)) {
    return new NatterError('unavailable', 'the database is unavailable; retry shortly', undefined, { cause: err });
  }
  return err;
}

const VIEW_COLUMNS = `c.id, c.kind, c.title, c.last_seq, c.created_at, m.role, m.state, m.joined_seq, m.left_seq, m.read_seq`;

/** Thrown inside the set-based append to roll back and take the one-by-one path. */
class RetryOneByOne extends Error {}

/** Conversations touched by a transaction; each gets one fresh version at commit. */
class Touched {
  readonly conversations = new Set<string>();
  /** Conversations whose own row changed (a new entry): every member's view of them changed. */
  readonly logs = new Set<string>();
  /** conversation → user ids whose member row changed. */
  readonly members = new Map<string, Set<string>>();
  /** New `last_seq` values written with the version stamp (one statement instead of two). */
  readonly lastSeq = new Map<string, number>();
  conversation(id: string, lastSeq?: number): void {
    this.conversations.add(id);
    this.logs.add(id);
    if (lastSeq !== undefined) this.lastSeq.set(id, lastSeq);
  }
  member(conversationId: string, userId: string): void {
    this.conversations.add(conversationId);
    let s = this.members.get(conversationId);
    if (!s) this.members.set(conversationId, (s = new Set()));
    s.add(userId);
  }
}

export class PostgresStore implements Store {
  /** The connection pool, shared with cluster-wide helpers such as the login rate limiter. */
  readonly pool: pg.Pool;
  private closed = false;

  private constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  static async open(o: PostgresStoreOptions): Promise<PostgresStore> {
    const schema = o.schema;
    if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error('schema: lower-case letters, digits and _');
    if (schema) {
      const admin = new pg.Client({ connectionString: o.connectionString });
      await admin.connect();
      try {
        await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      } catch (err) {
        // Two processes creating it at once: the loser sees a unique violation. It exists now.
        if ((err as { code?: string }).code !== '23505') throw err;
      } finally {
        await admin.end();
      }
    }
    const pool = new pg.Pool({
      connectionString: o.connectionString,
      max: o.poolMax ?? 10,
      // Fail fast while the database is down instead of queueing requests forever.
      connectionTimeoutMillis: 3000,
      types: { getTypeParser: int8 } as unknown as pg.CustomTypesConfig,
      ...(schema && { options: `-c search_path=${schema}` }),
    });
    pool.on('error', () => {
      // Idle client errors (server restart) surface on the next query; do not crash.
    });
    if (o.durability === 'normal') {
      pool.on('connect', (c) => void c.query('SET synchronous_commit = off').catch(() => {}));
    }
    const store = new PostgresStore(pool);
    await store.migrate();
    return store;
  }

  private async migrate(): Promise<void> {
    const c = await this.connect();
    try {
      await c.query(`SELECT pg_advisory_lock(hashtext(current_schema() || '.natter_migrations'))`);
      await c.query(`CREATE TABLE IF NOT EXISTS schema_migrations (version INT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
      const applied = new Set((await c.query<{ version: number }>(`SELECT version FROM schema_migrations`)).rows.map((r) => r.version));
      for (const m of migrations) {
        if (applied.has(m.version)) continue;
        await c.query('BEGIN');
        try {
          await c.query(m.sql);
          await c.query(`INSERT INTO schema_migrations VALUES ($1, $2, $3)`, [m.version, m.name, Date.now()]);
          await c.query('COMMIT');
        } catch (err) {
          await c.query('ROLLBACK');
          throw err;
        }
      }
    } finally {
      await c.query(`SELECT pg_advisory_unlock(hashtext(current_schema() || '.natter_migrations'))`).catch(() => {});
      c.release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private readonly guarded = new WeakSet<pg.PoolClient>();

  /**
   * A checked-out client emits 'error' when its connection breaks (database restart); without
   * a listener that would crash the process. The query in flight fails anyway, so ignore it.
   */
  private async connect(): Promise<pg.PoolClient> {
    const c = await this.pool.connect();
    if (!this.guarded.has(c)) {
      this.guarded.add(c);
      c.on('error', () => {});
    }
    return c;
  }

  private async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(text, values);
    } catch (err) {
      throw unavailable(err);
    }
  }

  /** Runs fn in a transaction; retries on deadlock or serialization failure. */
  private async tx<T>(fn: (c: pg.PoolClient, touched: Touched) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      let c: pg.PoolClient;
      let released = false;
      try {
        c = await this.connect();
      } catch (err) {
        throw unavailable(err);
      }
      const touched = new Touched();
      try {
        await c.query('BEGIN');
        const result = await fn(c, touched);
        await this.stampVersions(c, touched);
        await c.query('COMMIT');
        return result;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => {});
        const code = (err as { code?: string }).code;
        const mapped = unavailable(err);
        // A client whose connection broke must not go back to the pool.
        c.release(mapped instanceof NatterError ? (err as Error) : undefined);
        released = true;
        if ((code === '40P01' || code === '40001') && attempt < 5) continue;
        throw mapped;
      } finally {
        if (!released) c.release();
      }
    }
  }

  /** Takes the version counter last and stamps every touched conversation and member row. */
  private async stampVersions(c: pg.PoolClient, t: Touched): Promise<void> {
    if (t.conversations.size === 0) return;
    const ids = [...t.conversations].sort();
    const top = (await c.query<{ value: number }>(`UPDATE counters SET value = value + $1 WHERE name = 'version' RETURNING value`, [ids.length]))
      .rows[0]!.value;
    const versions = ids.map((_, i) => top - ids.length + 1 + i);
    // Only conversations with a new entry: a member-only change (a read cursor) is a change of
    // that member's view, not of everyone's.
    const logIds = ids.filter((id) => t.logs.has(id));
    if (logIds.length > 0) {
      await c.query(
        `UPDATE conversations SET version = v.version, last_seq = COALESCE(v.s, conversations.last_seq)
         FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS v(id, version, s) WHERE conversations.id = v.id`,
        [logIds, versions.filter((_, i) => t.logs.has(ids[i]!)), logIds.map((id) => t.lastSeq.get(id) ?? null)],
      );
    }
    const convs: string[] = [];
    const users: string[] = [];
    const vs: number[] = [];
    ids.forEach((id, i) => {
      for (const u of t.members.get(id) ?? []) {
        convs.push(id);
        users.push(u);
        vs.push(versions[i]!);
      }
    });
    if (convs.length > 0) {
      await c.query(
        `UPDATE members SET version = v.version FROM unnest($1::text[], $2::text[], $3::bigint[]) AS v(cid, uid, version)
         WHERE members.conversation_id = v.cid AND members.user_id = v.uid`,
        [convs, users, vs],
      );
    }
  }

  private async lockConversations(c: pg.PoolClient, ids: string[]): Promise<void> {
    await c.query(`SELECT id FROM conversations WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`, [[...new Set(ids)]]);
  }

  // --- accounts -----------------------------------------------------------------------------

  async createUser(u: NewUser): Promise<UserRecord | null> {
    const r = await this.query<UserRow>(
      `INSERT INTO users (id, username, username_key, password_hash, display_name, avatar_url, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (username_key) DO NOTHING RETURNING *`,
      [u.id, u.username, u.username.toLowerCase(), u.passwordHash, u.displayName, u.avatarUrl, u.createdAt],
    );
    return r.rows[0] ? toUser(r.rows[0]) : null;
  }

  async getUser(id: string): Promise<UserRecord | null> {
    const r = await this.query<UserRow>(`SELECT * FROM users WHERE id = $1`, [id]);
    return r.rows[0] ? toUser(r.rows[0]) : null;
  }

  async getUserByUsername(username: string): Promise<UserRecord | null> {
    const r = await this.query<UserRow>(`SELECT * FROM users WHERE username_key = $1`, [username.toLowerCase()]);
    return r.rows[0] ? toUser(r.rows[0]) : null;
  }

  async existingUserIds(ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const r = await this.query<{ id: string }>(`SELECT id FROM users WHERE id = ANY($1::text[])`, [ids]);
    const found = new Set(r.rows.map((x) => x.id));
    return ids.filter((id) => found.has(id));
  }

  async updateProfile(id: string, patch: { displayName?: string | null; avatarUrl?: string | null }): Promise<UserRecord | null> {
    const r = await this.query<UserRow>(
      `UPDATE users SET display_name = CASE WHEN $2 THEN $3 ELSE display_name END,
                        avatar_url = CASE WHEN $4 THEN $5 ELSE avatar_url END
       WHERE id = $1 RETURNING *`,
      [id, patch.displayName !== undefined, patch.displayName ?? null, patch.avatarUrl !== undefined, patch.avatarUrl ?? null],
    );
    return r.rows[0] ? toUser(r.rows[0]) : null;
  }

  async setPasswordHash(id: string, hash: string): Promise<void> {
    await this.query(`UPDATE users SET password_hash = $2 WHERE id = $1`, [id, hash]);
  }

  // --- devices ------------------------------------------------------------------------------

  async createDevice(d: NewDevice): Promise<DeviceRecord> {
    const r = await this.query<PgDeviceRow>(
      `INSERT INTO devices (id, user_id, name, refresh_hash, refresh_expires_at, created_at, last_seen_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING *`,
      [d.id, d.userId, d.name, d.refreshHash, d.refreshExpiresAt, d.createdAt],
    );
    return toDevice(r.rows[0]!);
  }

  async getDevice(id: string): Promise<DeviceRecord | null> {
    const r = await this.query<PgDeviceRow>(`SELECT * FROM devices WHERE id = $1`, [id]);
    return r.rows[0] ? toDevice(r.rows[0]) : null;
  }

  async listDevices(userId: string): Promise<DeviceRecord[]> {
    const r = await this.query<PgDeviceRow>(`SELECT * FROM devices WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC, id`, [userId]);
    return r.rows.map(toDevice);
  }

  async rotateRefresh(deviceId: string, presentedHash: string, next: { hash: string; expiresAt: number }, now: number): Promise<RotateOutcome> {
    return this.tx(async (c): Promise<RotateOutcome> => {
      const row = (await c.query<PgDeviceRow>(`SELECT * FROM devices WHERE id = $1 FOR UPDATE`, [deviceId])).rows[0];
      const d = decideRotation(row && toRefreshRecord(row, row.previous_refresh_hashes), presentedHash, now);
      // Reuse and rotation are only decided for a device that exists.
      switch (d.kind) {
        case 'reused':
          await c.query(`UPDATE devices SET revoked_at = $2 WHERE id = $1`, [deviceId, now]);
          return { kind: 'reused', device: toDevice({ ...row!, revoked_at: now }) };
        case 'rotate': {
          const r = await c.query<PgDeviceRow>(
            `UPDATE devices SET refresh_hash = $2, refresh_expires_at = $3, last_seen_at = $4, previous_refresh_hashes = $5 WHERE id = $1 RETURNING *`,
            [deviceId, next.hash, next.expiresAt, now, d.remembered],
          );
          return { kind: 'rotated', device: toDevice(r.rows[0]!) };
        }
        case 'expired':
        case 'revoked':
        case 'unknown':
          return d;
      }
    });
  }

  async revokeDevice(userId: string, deviceId: string, now: number): Promise<boolean> {
    const r = await this.query(`UPDATE devices SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL`, [deviceId, userId, now]);
    return (r.rowCount ?? 0) > 0;
  }

  async revokeOtherDevices(userId: string, keep: string | null, now: number): Promise<string[]> {
    const r = await this.query<{ id: string }>(
      `UPDATE devices SET revoked_at = $3 WHERE user_id = $1 AND revoked_at IS NULL AND ($2::text IS NULL OR id <> $2) RETURNING id`,
      [userId, keep, now],
    );
    return r.rows.map((x) => x.id);
  }

  // --- conversations ------------------------------------------------------------------------

  private async appendSystem(c: pg.PoolClient, t: Touched, conversationId: string, entryId: string, by: string, body: SystemBody, now: number): Promise<Message> {
    const seq = (await c.query<{ last_seq: number }>(`UPDATE conversations SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq`, [conversationId]))
      .rows[0]!.last_seq;
    await c.query(
      `INSERT INTO messages (conversation_id, seq, id, sender_id, type, body, client_msg_id, reply_to, created_at)
       VALUES ($1, $2, $3, $4, 'system', $5, NULL, NULL, $6)`,
      [conversationId, seq, entryId, by, JSON.stringify(body), now],
    );
    t.conversation(conversationId);
    return { id: entryId, conversationId, seq, senderId: by, type: 'system', body, clientMsgId: null, replyTo: null, createdAt: now };
  }

  /** Inserts the conversation, its first entry and its members; null when the pair's direct one exists. */
  private async insertConversation(c: pg.PoolClient, t: Touched, conv: NewConversation, key: string | null): Promise<CreatedConversation | null> {
    const r = await c.query(
      `INSERT INTO conversations (id, kind, title, direct_key, last_seq, version, created_by, created_at)
       VALUES ($1, $2, $3, $4, 0, 0, $5, $6) ON CONFLICT (direct_key) DO NOTHING`,
      [conv.id, conv.kind, conv.title, key, conv.createdBy, conv.createdAt],
    );
    if (r.rowCount === 0) return null;
    const entry = await this.appendSystem(c, t, conv.id, conv.createdMessageId, conv.createdBy, createdBody(conv), conv.createdAt);
    await c.query(
      `INSERT INTO members (conversation_id, user_id, role, state, joined_seq, left_seq, read_seq, version)
       SELECT $1, u, r, 'active', $2, NULL, $2, 0 FROM unnest($3::text[], $4::text[]) AS x(u, r)`,
      [conv.id, entry.seq, conv.members.map((m) => m.userId), conv.members.map((m) => m.role)],
    );
    for (const m of conv.members) t.member(conv.id, m.userId);
    const state = (await this.state(c, conv.id))!;
    return { state, entry, views: await this.memberViews(c, state, state.members.map((m) => m.userId)) };
  }

  async createConversation(conv: NewConversation): Promise<CreatedConversation> {
    return (await this.tx((c, t) => this.insertConversation(c, t, conv, null)))!;
  }

  async openDirect(a: string, b: string, make: () => NewConversation): Promise<{ state: ConversationState; created: CreatedConversation | null }> {
    const key = directKey(a, b);
    const existing = await this.query<{ id: string }>(`SELECT id FROM conversations WHERE direct_key = $1`, [key]);
    if (existing.rows[0]) return { state: (await this.state(this.pool, existing.rows[0].id))!, created: null };
    const conv = make();
    const created = await this.tx((c, t) => this.insertConversation(c, t, conv, key));
    if (created) return { state: created.state, created };
    // Lost the race to another caller: theirs is the one.
    const theirs = await this.query<{ id: string }>(`SELECT id FROM conversations WHERE direct_key = $1`, [key]);
    return { state: (await this.state(this.pool, theirs.rows[0]!.id))!, created: null };
  }

  /** The views of `userIds` (members or former members) of the conversation in `state`, read with `q`. */
  private async memberViews(q: Q, state: ConversationState, userIds: string[]): Promise<MemberView[]> {
    const r = await q.query<MemberRow & { user_id: string; read_seq: number }>(
      `SELECT user_id, role, state, joined_seq, left_seq, read_seq FROM members WHERE conversation_id = $1 AND user_id = ANY($2::text[])`,
      [state.id, userIds],
    );
    const rows = new Map(r.rows.map((m) => [m.user_id, m]));
    const active = state.members.map((m) => m.userId);
    return userIds.map((userId) => ({ userId, conversation: buildView(state, toViewedMember(rows.get(userId)!), active) }));
  }

  private async state(q: Q, id: string): Promise<ConversationState | null> {
    const conv = (await q.query<{ id: string; kind: 'direct' | 'group'; title: string | null; last_seq: number; created_at: number }>(
      `SELECT id, kind, title, last_seq, created_at FROM conversations WHERE id = $1`,
      [id],
    )).rows[0];
    if (!conv) return null;
    const members = await q.query<{ user_id: string; role: MemberRole }>(
      `SELECT user_id, role FROM members WHERE conversation_id = $1 AND state = 'active' ORDER BY joined_seq, user_id`,
      [id],
    );
    return {
      id: conv.id,
      kind: conv.kind,
      title: conv.title,
      lastSeq: conv.last_seq,
      createdAt: conv.created_at,
      members: members.rows.map((m) => ({ userId: m.user_id, role: m.role })),
    };
  }

  async getConversationState(id: string): Promise<ConversationState | null> {
    return this.state(this.pool, id);
  }

  private async views(q: Q, rows: ViewRow[]): Promise<Conversation[]> {
    const activeIds = rows.filter((r) => r.state === 'active').map((r) => r.id);
    const members = new Map<string, string[]>();
    if (activeIds.length > 0) {
      const r = await q.query<{ conversation_id: string; user_id: string }>(
        `SELECT conversation_id, user_id FROM members WHERE conversation_id = ANY($1::text[]) AND state = 'active' ORDER BY joined_seq, user_id`,
        [activeIds],
      );
      for (const m of r.rows) {
        let l = members.get(m.conversation_id);
        if (!l) members.set(m.conversation_id, (l = []));
        l.push(m.user_id);
      }
    }
    return rows.map((r) => toView(r, members.get(r.id) ?? []));
  }

  private async viewRow(q: Q, conversationId: string, userId: string): Promise<ViewRow | undefined> {
    return (
      await q.query<ViewRow>(
        `SELECT ${VIEW_COLUMNS}, m.version AS v FROM members m JOIN conversations c ON c.id = m.conversation_id
         WHERE m.conversation_id = $1 AND m.user_id = $2`,
        [conversationId, userId],
      )
    ).rows[0];
  }

  async getConversationForUser(id: string, userId: string): Promise<Conversation | null> {
    const r = await this.viewRow(this.pool, id, userId);
    return r ? (await this.views(this.pool, [r]))[0]! : null;
  }

  async activeConversationIds(userId: string): Promise<string[]> {
    const r = await this.query<{ conversation_id: string }>(`SELECT conversation_id FROM members WHERE user_id = $1 AND state = 'active'`, [userId]);
    return r.rows.map((x) => x.conversation_id);
  }

  async changeMembership(conversationId: string, change: MembershipChange, entryId: string, now: number): Promise<MembershipOutcome> {
    return this.tx(async (c, t): Promise<MembershipOutcome> => {
      await this.lockConversations(c, [conversationId]);
      const conv = (await c.query<{ kind: 'direct' | 'group' }>(`SELECT kind FROM conversations WHERE id = $1`, [conversationId])).rows[0];
      const rows = conv
        ? (
            await c.query<MemberRow & { user_id: string }>(
              `SELECT user_id, role, state, joined_seq, left_seq FROM members WHERE conversation_id = $1 AND user_id = ANY($2::text[])`,
              [conversationId, involvedUsers(change)],
            )
          ).rows
        : [];
      const d = decideMembership(conv?.kind ?? null, change, new Map(rows.map((r) => [r.user_id, toMemberRecord(r.user_id, r)])));
      if (d.kind === 'not_found' || d.kind === 'forbidden' || d.kind === 'not_member') return d;
      if (d.kind === 'noop') return { kind: 'noop', conversation: (await this.state(c, conversationId))! };
      const entry = await this.appendSystem(c, t, conversationId, entryId, d.author, d.body, now);
      let newOwner: string | null = null;
      switch (d.kind) {
        case 'join':
          await c.query(
            `INSERT INTO members (conversation_id, user_id, role, state, joined_seq, left_seq, read_seq, version)
             SELECT $1, u, 'member', 'active', $2, NULL, $2, 0 FROM unnest($3::text[]) AS u
             ON CONFLICT (conversation_id, user_id) DO UPDATE SET role = 'member', state = 'active', joined_seq = excluded.joined_seq,
               left_seq = NULL, read_seq = excluded.read_seq`,
            [conversationId, entry.seq, d.userIds],
          );
          for (const u of d.userIds) t.member(conversationId, u);
          break;
        case 'role':
          await c.query(`UPDATE members SET role = $3 WHERE conversation_id = $1 AND user_id = $2`, [conversationId, d.userId, d.role]);
          t.member(conversationId, d.userId);
          break;
        case 'leave':
          await c.query(`UPDATE members SET state = 'left', left_seq = $3 WHERE conversation_id = $1 AND user_id = $2`, [conversationId, d.userId, entry.seq]);
          t.member(conversationId, d.userId);
          if (d.passOwnership) {
            const rest = await c.query<MemberRow & { user_id: string }>(
              `SELECT user_id, role, state, joined_seq, left_seq FROM members WHERE conversation_id = $1 AND state = 'active'`,
              [conversationId],
            );
            newOwner = heirOf(rest.rows.map((r) => toMemberRecord(r.user_id, r)), d.userId);
            if (newOwner !== null) {
              await c.query(`UPDATE members SET role = 'owner' WHERE conversation_id = $1 AND user_id = $2`, [conversationId, newOwner]);
              t.member(conversationId, newOwner);
            }
          }
          break;
      }
      const state = (await this.state(c, conversationId))!;
      const affected = affectedBy(d);
      return { kind: 'ok', entry, conversation: state, affected, newOwner, views: await this.memberViews(c, state, viewedUsers(affected, newOwner)) };
    });
  }

  // --- messages -----------------------------------------------------------------------------

  async appendMessages(batch: NewMessage[]): Promise<AppendOutcome[]> {
    if (batch.length === 0) return [];
    // Set-based: a handful of round trips per batch whatever its size. If another process
    // stored one of these clientMsgIds at the same moment, fall back to the careful path.
    try {
      return await this.tx((c, t) => this.appendSetBased(c, t, batch));
    } catch (err) {
      if (!(err instanceof RetryOneByOne)) throw err;
      return this.appendOneByOne(batch);
    }
  }

  /** Throws RetryOneByOne (rolling back) when an insert met a concurrent duplicate. */
  private async appendSetBased(c: pg.PoolClient, t: Touched, batch: NewMessage[]): Promise<AppendOutcome[]> {
    const convIds = [...new Set(batch.map((m) => m.conversationId))].sort();
    const locked = await c.query<{ id: string; last_seq: number }>(
      `SELECT id, last_seq FROM conversations WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`,
      [convIds],
    );
    const lastSeq = new Map(locked.rows.map((r) => [r.id, r.last_seq]));
    // Under the lock, one round trip reads what the batch needs: earlier sends with the same
    // (sender, clientMsgId), the senders' memberships (not a group's other members), and the
    // messages replied to.
    const senderKeys = [...new Set(batch.map((m) => `${m.conversationId}\u0000${m.senderId}`))].map((k) => k.split('\u0000'));
    const replyIds = [...new Set(batch.map((m) => m.replyTo).filter((r): r is string => r !== null))];
    const found = await c.query<{
      priors: MessageRow[] | null;
      members: { conversation_id: string; user_id: string; state: string; joined_seq: number }[] | null;
      replies: { id: string; conversation_id: string; seq: number }[] | null;
    }>(
      `SELECT
         (SELECT json_agg(m) FROM messages m JOIN unnest($1::text[], $2::text[]) AS k(s, c) ON m.sender_id = k.s AND m.client_msg_id = k.c) AS priors,
         (SELECT json_agg(json_build_object('conversation_id', m.conversation_id, 'user_id', m.user_id, 'state', m.state, 'joined_seq', m.joined_seq))
            FROM members m JOIN unnest($3::text[], $4::text[]) AS k(c, u) ON m.conversation_id = k.c AND m.user_id = k.u) AS members,
         (SELECT json_agg(json_build_object('id', id, 'conversation_id', conversation_id, 'seq', seq)) FROM messages WHERE id = ANY($5::text[])) AS replies`,
      [batch.map((m) => m.senderId), batch.map((m) => m.clientMsgId), senderKeys.map((k) => k[0]), senderKeys.map((k) => k[1]), replyIds],
    );
    const { priors, members, replies: replyRows } = found.rows[0]!;
    const prior = new Map((priors ?? []).map((r) => [`${r.sender_id}\u0000${r.client_msg_id}`, r]));
    const member = new Map((members ?? []).map((r) => [`${r.conversation_id}\u0000${r.user_id}`, r]));
    const replies = new Map((replyRows ?? []).map((r) => [r.id, r]));

    const out: AppendOutcome[] = [];
    const inserts: { m: NewMessage; seq: number }[] = [];
    const inBatch = new Map<string, { m: NewMessage; seq: number }>();
    for (const m of batch) {
      const key = `${m.senderId}\u0000${m.clientMsgId}`;
      const earlier = prior.get(key);
      if (earlier) {
        out.push(this.priorOutcome(earlier, m));
        continue;
      }
      const twin = inBatch.get(key);
      if (twin) {
        out.push(sameSend(twin.m, m) ? { kind: 'duplicate', message: storedMessage(twin.m, twin.seq) } : { kind: 'conflict' });
        continue;
      }
      const mem = member.get(`${m.conversationId}\u0000${m.senderId}`);
      if (!mem || mem.state !== 'active' || !lastSeq.has(m.conversationId)) {
        out.push({ kind: 'not_found' });
        continue;
      }
      if (m.replyTo !== null) {
        const stored = replies.get(m.replyTo);
        const inBatchTarget = inserts.find((i) => i.m.id === m.replyTo && i.m.conversationId === m.conversationId);
        const target = stored ? { conversationId: stored.conversation_id, seq: stored.seq } : inBatchTarget && { conversationId: inBatchTarget.m.conversationId, seq: inBatchTarget.seq };
        if (!replyAllowed(target, m.conversationId, mem.joined_seq)) {
          out.push({ kind: 'bad_reply' });
          continue;
        }
      }
      const seq = lastSeq.get(m.conversationId)! + 1;
      lastSeq.set(m.conversationId, seq);
      const entry = { m, seq };
      inserts.push(entry);
      inBatch.set(key, entry);
      out.push({ kind: 'stored', seq });
    }
    if (inserts.length === 0) return out;

    const inserted = await c.query(
      `INSERT INTO messages (conversation_id, seq, id, sender_id, type, body, client_msg_id, reply_to, created_at)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[])
       ON CONFLICT (sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL DO NOTHING`,
      [
        inserts.map((i) => i.m.conversationId),
        inserts.map((i) => i.seq),
        inserts.map((i) => i.m.id),
        inserts.map((i) => i.m.senderId),
        inserts.map((i) => i.m.type),
        inserts.map((i) => i.m.body),
        inserts.map((i) => i.m.clientMsgId),
        inserts.map((i) => i.m.replyTo),
        inserts.map((i) => i.m.createdAt),
      ],
    );
    // A concurrent process stored one of these clientMsgIds first: seqs would have a hole.
    if (inserted.rowCount !== inserts.length) throw new RetryOneByOne();
    const touched = [...new Set(inserts.map((i) => i.m.conversationId))];
    const readBy = new Map<string, number>();
    for (const i of inserts) readBy.set(`${i.m.conversationId}\u0000${i.m.senderId}`, i.seq);
    const reads = [...readBy].map(([k, seq]) => [...k.split('\u0000'), seq] as [string, string, number]);
    await c.query(
      `UPDATE members SET read_seq = GREATEST(read_seq, v.s) FROM unnest($1::text[], $2::text[], $3::bigint[]) AS v(c, u, s)
       WHERE members.conversation_id = v.c AND members.user_id = v.u`,
      [reads.map((r) => r[0]), reads.map((r) => r[1]), reads.map((r) => r[2])],
    );
    // last_seq is written with the version stamp at the end of the transaction.
    for (const id of touched) t.conversation(id, lastSeq.get(id)!);
    return out;
  }

  /** The original path: one entry at a time, handling a concurrent duplicate per entry. */
  private async appendOneByOne(batch: NewMessage[]): Promise<AppendOutcome[]> {
    return this.tx(async (c, t) => {
      await this.lockConversations(
        c,
        batch.map((m) => m.conversationId),
      );
      const out: AppendOutcome[] = [];
      for (const m of batch) {
        const prior = (await c.query<MessageRow>(`SELECT * FROM messages WHERE sender_id = $1 AND client_msg_id = $2`, [m.senderId, m.clientMsgId])).rows[0];
        if (prior) {
          out.push(this.priorOutcome(prior, m));
          continue;
        }
        const member = (
          await c.query<{ state: string; joined_seq: number }>(`SELECT state, joined_seq FROM members WHERE conversation_id = $1 AND user_id = $2`, [
            m.conversationId,
            m.senderId,
          ])
        ).rows[0];
        if (!member || member.state !== 'active') {
          out.push({ kind: 'not_found' });
          continue;
        }
        if (m.replyTo !== null) {
          const target = (await c.query<{ conversation_id: string; seq: number }>(`SELECT conversation_id, seq FROM messages WHERE id = $1`, [m.replyTo])).rows[0];
          if (!replyAllowed(target && { conversationId: target.conversation_id, seq: target.seq }, m.conversationId, member.joined_seq)) {
            out.push({ kind: 'bad_reply' });
            continue;
          }
        }
        const seq = (await c.query<{ last_seq: number }>(`UPDATE conversations SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq`, [m.conversationId]))
          .rows[0]!.last_seq;
        const inserted = await c.query(
          `INSERT INTO messages (conversation_id, seq, id, sender_id, type, body, client_msg_id, reply_to, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL DO NOTHING`,
          [m.conversationId, seq, m.id, m.senderId, m.type, m.body, m.clientMsgId, m.replyTo, m.createdAt],
        );
        if (inserted.rowCount === 0) {
          // Another process stored this clientMsgId first: give the seq back (we hold the row lock).
          await c.query(`UPDATE conversations SET last_seq = last_seq - 1 WHERE id = $1`, [m.conversationId]);
          const theirs = (await c.query<MessageRow>(`SELECT * FROM messages WHERE sender_id = $1 AND client_msg_id = $2`, [m.senderId, m.clientMsgId])).rows[0]!;
          out.push(this.priorOutcome(theirs, m));
          continue;
        }
        await c.query(`UPDATE members SET read_seq = GREATEST(read_seq, $3) WHERE conversation_id = $1 AND user_id = $2`, [m.conversationId, m.senderId, seq]);
        t.conversation(m.conversationId);
        out.push({ kind: 'stored', seq });
      }
      return out;
    });
  }

  private priorOutcome(prior: MessageRow, m: NewMessage): AppendOutcome {
    return sameSend(toSendRecord(prior), m) ? { kind: 'duplicate', message: toMessage(prior) } : { kind: 'conflict' };
  }

  async getMessages(conversationId: string, userId: string, q: PageQuery): Promise<{ messages: Message[]; hasMore: boolean } | null> {
    const r = await this.viewRow(this.pool, conversationId, userId);
    if (!r) return null;
    const range = pageRange(toViewedMember(r), r.last_seq, q);
    const rows = (
      range.kind === 'before'
        ? await this.query<MessageRow>(`SELECT * FROM messages WHERE conversation_id = $1 AND seq < $2 AND seq >= $3 ORDER BY seq DESC LIMIT $4`, [
            conversationId,
            range.below,
            range.from,
            range.take,
          ])
        : await this.query<MessageRow>(`SELECT * FROM messages WHERE conversation_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4`, [
            conversationId,
            range.above,
            range.through,
            range.take,
          ])
    ).rows;
    const page = pageOf(rows, range);
    return { messages: page.messages.map(toMessage), hasMore: page.hasMore };
  }

  // --- cursors ------------------------------------------------------------------------------

  /** Why the user of `r` may not put a cursor at `seq`, or null when they may. */
  private cursorRefusal(r: ViewRow | undefined, seq: number): Exclude<CursorOutcome, { kind: 'ok' }> | null {
    return cursorRefusal(r && toViewedMember(r), r?.last_seq ?? 0, seq);
  }

  async ackDelivered(deviceId: string, userId: string, conversationId: string, seq: number): Promise<CursorOutcome> {
    const refusal = this.cursorRefusal(await this.viewRow(this.pool, conversationId, userId), seq);
    if (refusal) return refusal;
    const r = await this.query<{ acked_seq: number }>(
      `INSERT INTO device_cursors (device_id, conversation_id, acked_seq) VALUES ($1, $2, $3)
       ON CONFLICT (device_id, conversation_id) DO UPDATE SET acked_seq = GREATEST(device_cursors.acked_seq, excluded.acked_seq)
       RETURNING acked_seq`,
      [deviceId, conversationId, seq],
    );
    return { kind: 'ok', seq: r.rows[0]!.acked_seq };
  }

  async markRead(userId: string, conversationId: string, seq: number): Promise<CursorOutcome> {
    return this.tx(async (c, t): Promise<CursorOutcome> => {
      const row = await this.viewRow(c, conversationId, userId);
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
    const r = await this.query<(ViewRow & { current: number }) | { id: null; current: number }>(
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
    return { conversations: await this.views(this.pool, page), version: Math.max(version, sinceVersion), hasMore };
  }
}
