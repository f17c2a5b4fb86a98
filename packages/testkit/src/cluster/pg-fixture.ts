/**
 * PostgreSQL fixtures for the store-level cluster tests (concurrency, lost connections, sync
 * exactness): a store in a database of its own (so pg_stat_database counts only this test's
 * deadlocks), an admin connection beside it, and builders for users, devices, conversations and
 * sends that go through the Store interface only.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PostgresStore, type Store } from '@natter/server';

export const PG_URL = process.env.NATTER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

type NewMessage = Parameters<Store['appendMessages']>[0][number];
type NewConversation = Parameters<Store['createConversation']>[0];

/** The same server URL with another database and, optionally, an application_name to find our backends by. */
function withDatabase(url: string, database: string, applicationName?: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  if (applicationName) u.searchParams.set('application_name', applicationName);
  return u.toString();
}

export interface PgFixture {
  store: PostgresStore;
  /** Another connection to the same database, for statistics and for cutting the store's connections. */
  admin: pg.Client;
  database: string;
  /** The application_name of the store's connections. */
  applicationName: string;
  /** Opens one more store (another "process") on the same database. */
  another(poolMax?: number): Promise<PostgresStore>;
  close(): Promise<void>;
}

/** A store on a fresh database of its own, dropped by close(). */
export async function pgFixture(poolMax = 20): Promise<PgFixture> {
  const database = `natter_t_${randomBytes(5).toString('hex')}`;
  const applicationName = `natter_${database}`;
  const root = new pg.Client({ connectionString: PG_URL });
  await root.connect();
  await root.query(`CREATE DATABASE ${database}`);
  await root.end();
  const url = withDatabase(PG_URL, database, applicationName);
  const stores: PostgresStore[] = [];
  const another = async (max = poolMax) => {
    const s = await PostgresStore.open({ connectionString: url, poolMax: max });
    stores.push(s);
    return s;
  };
  const store = await another();
  const admin = new pg.Client({ connectionString: withDatabase(PG_URL, database) });
  await admin.connect();
  return {
    store,
    admin,
    database,
    applicationName,
    another,
    async close() {
      for (const s of stores) await s.close().catch(() => {});
      await admin.end().catch(() => {});
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Deadlocks PostgreSQL has detected in `database` since it was created. */
export async function deadlocks(admin: pg.Client, database: string): Promise<number> {
  // Statistics reach the view with a short delay; ask for a fresh snapshot of them.
  await admin.query(`SELECT pg_stat_clear_snapshot()`);
  const r = await admin.query<{ deadlocks: string }>(`SELECT deadlocks FROM pg_stat_database WHERE datname = $1`, [database]);
  return Number(r.rows[0]?.deadlocks ?? 0);
}

/** Builders with ids unique to one fixture. */
export class Builders {
  private n = 0;
  constructor(private readonly store: Store) {}

  next(prefix: string): string {
    return `${prefix}_${++this.n}_${randomBytes(3).toString('hex')}`;
  }

  async user(name: string): Promise<string> {
    const u = await this.store.createUser({ id: this.next('u'), username: this.next(name), passwordHash: null, displayName: null, avatarUrl: null, createdAt: Date.now() });
    if (!u) throw new Error('username taken');
    return u.id;
  }

  async device(userId: string): Promise<string> {
    const now = Date.now();
    return (await this.store.createDevice({ id: this.next('d'), userId, name: null, refreshHash: this.next('h'), refreshExpiresAt: now + 3_600_000, createdAt: now })).id;
  }

  conversation(kind: 'direct' | 'group', owner: string, others: string[]): NewConversation {
    return {
      id: this.next('c'),
      kind,
      title: kind === 'group' ? 'Team' : null,
      createdBy: owner,
      members: [{ userId: owner, role: kind === 'group' ? 'owner' : 'member' }, ...others.map((userId) => ({ userId, role: 'member' as const }))],
      createdMessageId: this.next('m'),
      createdAt: Date.now(),
    };
  }

  async group(owner: string, others: string[]): Promise<string> {
    return (await this.store.createConversation(this.conversation('group', owner, others))).state.id;
  }

  msg(conversationId: string, senderId: string): NewMessage {
    const id = this.next('m');
    return { id, conversationId, senderId, type: 'text', body: JSON.stringify({ text: id }), clientMsgId: this.next('k'), replyTo: null, createdAt: Date.now() };
  }
}
