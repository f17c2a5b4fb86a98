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

runStoreContract('postgres', async () => {
  const schema = newSchema();
  const opened: PostgresStore[] = [];
  const open = async () => {
    const s = await PostgresStore.open({ connectionString: PG_URL, schema, poolMax: 4 });
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
});
