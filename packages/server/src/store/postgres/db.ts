/**
 * The PostgreSQL store's connection, transactions and version stamps, shared by its per-concern
 * modules (accounts.ts, conversations.ts, messages.ts, sync.ts). How the store stays correct
 * with several Natter processes writing at once:
 * - Seqs: `UPDATE conversations SET last_seq = last_seq + 1` under the row lock, inside the
 *   transaction that inserts the entry, so seqs are gap-free (a rollback undoes the bump).
 * - Lock order, for every writing transaction (send and batches, read, ack, membership and role
 *   changes, creation): (1) conversation rows, in id order, `FOR NO KEY UPDATE`; (2) member rows,
 *   only of conversations locked in (1), except `markRead`, which locks one member row and
 *   nothing else; (3) new rows (messages, members, device cursors), which nobody else waits on;
 *   nothing after. There is no global row. Foreign-key checks take `FOR KEY SHARE` on
 *   conversation and user rows, even after (2) when a row is written twice; that never waits,
 *   because nothing takes `FOR UPDATE` on those rows or changes their keys (this is why (1) is
 *   `NO KEY UPDATE`: with `FOR UPDATE`, `read` and `send` in one conversation deadlocked).
 * - Sync versions come from PostgreSQL's own commit bookkeeping, with no shared counter: a
 *   writing transaction stamps each row it changes with `xid * 1024 + i` (its transaction id
 *   from pg_current_xact_id(), i the conversation's rank among those it touched, capped at 1023),
 *   and a sync reads, in one statement and so one snapshot, only rows with a stamp below the
 *   watermark `xmin * 1024`, xmin being that snapshot's oldest still-running transaction id.
 *   Why no change can be skipped: every transaction with an id below xmin had finished when the
 *   snapshot was taken, so everything below the watermark is visible and final (new
 *   transactions get higher ids). A change the snapshot cannot see belongs to a transaction
 *   still running or not begun, whose id is >= xmin, so its stamp is >= the watermark >= the
 *   token handed out; and the last writer of a row is its last committer (row locks), so a row
 *   ends with a stamp at least that of any change a reader missed. A change therefore always
 *   lands at or above the token, and is returned once its writer and every older writer have
 *   finished. The cost: a long transaction holds the watermark back, delaying (not losing)
 *   sync, never other writers. Stamps stay exact integers up to xid 2^43.
 * - Migrations: under an advisory lock, so processes starting together apply each once.
 */
import pg from 'pg';
import { NatterError } from '@natter/protocol';
import { migrations } from './migrations.js';

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

/**
 * Where a read runs: a transaction's client (whose errors `tx` maps), or the PgDb itself, whose
 * `query` maps a lost connection to `unavailable`. Never the bare pool, which would not.
 */
export interface Q {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/** Ranks per transaction in a version stamp: stamp = xid * STAMP_RANKS + rank. */
export const STAMP_RANKS = 1024;
/** SQL for this transaction's stamp base (assigns the transaction an id if it has none yet). */
export const STAMP_BASE = `(pg_current_xact_id()::text::bigint * ${STAMP_RANKS})`;
/** SQL for the watermark of the statement's snapshot: every stamp below it is visible and final. */
export const WATERMARK = `(pg_snapshot_xmin(pg_current_snapshot())::text::bigint * ${STAMP_RANKS})`;

const int8 = (oid: number, format?: string) =>
  oid === 20 ? (v: string) => Number(v) : (pg.types.getTypeParser as (o: number, f?: string) => unknown)(oid, format);

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

/** Conversations touched by a transaction; each gets its version stamp just before commit. */
export class Touched {
  readonly conversations = new Set<string>();
  /** Conversations whose own row changed (a new entry): every member's view of them changed. */
  readonly logs = new Set<string>();
  /** conversation → user ids whose member row changed. */
  readonly members = new Map<string, Set<string>>();
  /** New `last_seq` values written with the version stamp (one statement instead of two). */
  readonly lastSeq = new Map<string, number>();
  /** New `msg_count` values (rules/unread.ts), written with the stamp like `lastSeq`. */
  readonly msgCount = new Map<string, number>();
  conversation(id: string, lastSeq?: number, msgCount?: number): void {
    this.conversations.add(id);
    this.logs.add(id);
    if (lastSeq !== undefined) this.lastSeq.set(id, lastSeq);
    if (msgCount !== undefined) this.msgCount.set(id, msgCount);
  }
  member(conversationId: string, userId: string): void {
    this.conversations.add(conversationId);
    let s = this.members.get(conversationId);
    if (!s) this.members.set(conversationId, (s = new Set()));
    s.add(userId);
  }
}

/** The pool with the store's transaction discipline: every write goes through `tx`. */
export class PgDb implements Q {
  private constructor(
    /** The connection pool, shared with cluster-wide helpers such as the login rate limiter. */
    readonly pool: pg.Pool,
  ) {}

  static async open(o: PostgresStoreOptions): Promise<PgDb> {
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
    const db = new PgDb(pool);
    await db.migrate();
    return db;
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

  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(text, values);
    } catch (err) {
      throw unavailable(err);
    }
  }

  /** Runs fn in a transaction; retries on deadlock or serialization failure. */
  async tx<T>(fn: (c: pg.PoolClient, touched: Touched) => Promise<T>): Promise<T> {
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

  /**
   * Stamps every touched conversation and member row with this transaction's id (see the header):
   * no shared row, so concurrent writers never wait on each other here.
   */
  private async stampVersions(c: pg.PoolClient, t: Touched): Promise<void> {
    if (t.conversations.size === 0) return;
    const ids = [...t.conversations].sort();
    const rank = new Map(ids.map((id, i) => [id, Math.min(i, STAMP_RANKS - 1)]));
    // Only conversations with a new entry: a member-only change (a read cursor) is a change of
    // that member's view, not of everyone's.
    const logIds = ids.filter((id) => t.logs.has(id));
    if (logIds.length > 0) {
      await c.query(
        `UPDATE conversations SET version = ${STAMP_BASE} + v.rank, last_seq = COALESCE(v.s, conversations.last_seq),
           msg_count = COALESCE(v.n, conversations.msg_count)
         FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bigint[]) AS v(id, rank, s, n) WHERE conversations.id = v.id`,
        [logIds, logIds.map((id) => rank.get(id)!), logIds.map((id) => t.lastSeq.get(id) ?? null), logIds.map((id) => t.msgCount.get(id) ?? null)],
      );
    }
    const convs: string[] = [];
    const users: string[] = [];
    const ranks: number[] = [];
    for (const id of ids) {
      for (const u of t.members.get(id) ?? []) {
        convs.push(id);
        users.push(u);
        ranks.push(rank.get(id)!);
      }
    }
    if (convs.length > 0) {
      await c.query(
        `UPDATE members SET version = ${STAMP_BASE} + v.rank FROM unnest($1::text[], $2::text[], $3::int[]) AS v(cid, uid, rank)
         WHERE members.conversation_id = v.cid AND members.user_id = v.uid`,
        [convs, users, ranks],
      );
    }
  }

  /** Step (1) of the lock order: the conversations' rows, in id order. */
  async lockConversations(c: pg.PoolClient, ids: string[]): Promise<void> {
    await c.query(`SELECT id FROM conversations WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE`, [[...new Set(ids)]]);
  }
}
