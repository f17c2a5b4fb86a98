/**
 * The PostgreSQL store's connection, transactions and version stamps, shared by its per-concern
 * modules (accounts.ts, conversations.ts, messages.ts, sync.ts). How the store stays correct
 * with several Natter processes writing at once:
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

/** Where a read runs: the pool (its own statement) or a transaction's client. */
export type Q = pg.PoolClient | pg.Pool;

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

/** Conversations touched by a transaction; each gets one fresh version at commit. */
export class Touched {
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

/** The pool with the store's transaction discipline: every write goes through `tx`. */
export class PgDb {
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

  async lockConversations(c: pg.PoolClient, ids: string[]): Promise<void> {
    await c.query(`SELECT id FROM conversations WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`, [[...new Set(ids)]]);
  }
}
