/**
 * PostgresStore: the Store contract against the machine's real PostgreSQL, each test in its own
 * schema, and the upgrade from a schema an older release wrote, checked with the contract's upgrade
 * helpers. What only a shared database has (several stores writing at once, migrations racing at
 * start-up, sync tokens under concurrent commits) is tested beside the store in @natter/server's
 * store/postgres/.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '@natter/server';
import { runStoreContract } from './store.js';
import { expectRetriesRecognised, storeOneSend } from './store/upgrade.js';

const PG_URL = process.env.NATTER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schemas: string[] = [];
const newSchema = () => {
  const s = `natter_t_${randomBytes(6).toString('hex')}`;
  schemas.push(s);
  return s;
};

afterAll(async () => {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await c.end();
});

/**
 * Sync returns a change once every transaction older than it has finished (db.ts: the watermark),
 * so on a PostgreSQL shared with other test files and other work a change a test just committed
 * can be held back for a moment by somebody else's open transaction: delayed, never lost. The
 * contract asserts what a sync returns, not how soon, so each of its syncs first waits (bounded)
 * until every transaction that began before the call has ended.
 */
async function afterOlderTransactions(): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    const { rows } = await c.query<{ x: string }>('SELECT pg_current_xact_id()::text AS x');
    const mine = BigInt(rows[0]!.x);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const r = await c.query<{ m: string }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS m');
      if (BigInt(r.rows[0]!.m) > mine) return;
      await new Promise((res) => setTimeout(res, 20));
    }
  } finally {
    await c.end();
  }
}

runStoreContract('postgres', async () => {
  const schema = newSchema();
  const opened: PostgresStore[] = [];
  const open = async () => {
    const s = await PostgresStore.open({ connectionString: PG_URL, schema, poolMax: 4 });
    const changesSince = s.changesSince;
    s.changesSince = async (...a) => {
      await afterOlderTransactions();
      return changesSince(...a);
    };
    opened.push(s);
    return s;
  };
  return {
    store: await open(),
    reopen: open,
    cleanup: async () => {
      for (const s of opened) await s.close();
    },
  };
});

describe('PostgresStore migrations', () => {
  it('upgrades a schema from before the client-id-first index: a send stored then is still recognised when retried', async () => {
    const schema = newSchema();
    const store = await PostgresStore.open({ connectionString: PG_URL, schema, poolMax: 2 });
    const send = await storeOneSend(store);
    await store.close();
    // Back to the schema of version 3, as a database written by an older release has it.
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP INDEX ${schema}.messages_client_key;
      CREATE UNIQUE INDEX messages_client_id ON ${schema}.messages(sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL;
      DELETE FROM ${schema}.schema_migrations WHERE version = 4;`);

    const upgraded = await PostgresStore.open({ connectionString: PG_URL, schema, poolMax: 2 });
    try {
      await expectRetriesRecognised(upgraded, send);
      const indexes = await c.query(`SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND indexname LIKE 'messages_client%'`, [schema]);
      expect(indexes.rows).toEqual([{ indexname: 'messages_client_key' }]);
    } finally {
      await upgraded.close();
      await c.end();
    }
  });

  it('upgrades to exact unread counts: a schema of version 5 gets the counts its log and cursors say', async () => {
    const schema = newSchema();
    const store = await PostgresStore.open({ connectionString: PG_URL, schema, poolMax: 2 });
    await storeOneSend(store); // c1: created (1), u1's send (2)
    await store.createUser({ id: 'u2', username: 'bob', passwordHash: null, displayName: null, avatarUrl: null, createdAt: 1 });
    await store.changeMembership('c1', { kind: 'add', userIds: ['u2'], by: 'u1' }, 'm_add', 5); // 3 (system)
    const sends = [4, 5, 6].map((n) => ({ id: `mu${n}`, conversationId: 'c1', senderId: 'u1', type: 'text' as const, body: '{"text":"x"}', clientMsgId: `ku${n}`, replyTo: null, createdAt: 6 }));
    await store.appendMessages(sends); // 4, 5, 6
    await store.markRead('u2', 'c1', 4);
    const before = await store.getConversationForUser('c1', 'u2');
    expect(before?.unreadCount).toBe(2);
    await store.close();
    // Back to the schema of version 5, as a database written by an older release has it.
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`ALTER TABLE ${schema}.messages DROP COLUMN msg_index, DROP COLUMN mentions;
      ALTER TABLE ${schema}.conversations DROP COLUMN msg_count, DROP COLUMN all_mention_seq;
      ALTER TABLE ${schema}.members DROP COLUMN read_index, DROP COLUMN mention_seq, DROP COLUMN pinned, DROP COLUMN muted, DROP COLUMN archived;
      DELETE FROM ${schema}.schema_migrations WHERE version = 6;`);
    await c.end();
    const upgraded = await PostgresStore.open({ connectionString: PG_URL, schema, poolMax: 2 });
    try {
      expect(await upgraded.getConversationForUser('c1', 'u2')).toEqual(before);
      expect((await upgraded.getConversationForUser('c1', 'u1'))?.unreadCount).toBe(0);
      await upgraded.appendMessages([{ ...sends[0]!, id: 'mu7', clientMsgId: 'ku7' }]);
      expect((await upgraded.getConversationForUser('c1', 'u2'))?.unreadCount).toBe(3);
    } finally {
      await upgraded.close();
    }
  });
});
