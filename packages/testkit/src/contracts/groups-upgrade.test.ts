/**
 * Upgrading to group management (SQLite migration 9, PostgreSQL migration 10): groups and
 * members written by an older release read back with the default profile and no mutes, their
 * sends and retries still work, and the new operations work on them.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresStore, SqliteStore, type Store } from '@natter/server';
import { expectRetriesRecognised, storeOneSend } from './store/upgrade.js';

const PG_URL = process.env.NATTER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schemas: string[] = [];
afterAll(async () => {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await c.end();
});

/** What an upgraded store must do with the group `c1` of storeOneSend. */
async function expectGroupsWork(store: Store, send: Awaited<ReturnType<typeof storeOneSend>>): Promise<void> {
  expect((await store.getConversationForUser('c1', 'u1'))?.group).toEqual({ avatarUrl: null, description: null, announcement: null, mutedAll: false, dissolvedAt: null });
  await expectRetriesRecognised(store, send);
  const changed = await store.changeGroup('c1', { kind: 'profile', by: 'u1', patch: { announcement: 'upgraded' } }, 'm_up', 10);
  expect(changed.kind === 'ok' && changed.conversation.group?.announcement).toBe('upgraded');
  expect((await store.createGroupInvite('c1', { code: 'up', createdBy: 'u1', createdAt: 10, expiresAt: null, maxUses: null })).kind).toBe('ok');
  expect(await store.appendMessages([{ ...send, id: 'm_after', clientMsgId: 'k_after', createdAt: 11 }])).toEqual([{ kind: 'stored', seq: 4 }]);
}

describe('upgrading to group management', () => {
  it('SQLite: a database from before migration 9', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'natter-groups-up-'));
    const path = join(dir, 'natter.db');
    try {
      const old = new SqliteStore({ path, durability: 'normal' });
      const send = await storeOneSend(old);
      await old.close();
      const raw = new Database(path);
      raw.exec(`DROP TABLE group_invites;
        ALTER TABLE conversations DROP COLUMN group_profile;
        ALTER TABLE members DROP COLUMN muted_until;
        ALTER TABLE members DROP COLUMN left_view;
        DELETE FROM schema_migrations WHERE version = 9;`);
      raw.close();
      const upgraded = new SqliteStore({ path, durability: 'normal' });
      try {
        await expectGroupsWork(upgraded, send);
      } finally {
        await upgraded.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('PostgreSQL: a schema from before migration 10', async () => {
    const schema = `natter_gu_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    const old = await PostgresStore.open({ connectionString: PG_URL, schema, poolMax: 2 });
    const send = await storeOneSend(old);
    await old.close();
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      await c.query(`SET search_path = ${schema}`);
      await c.query(`DROP TABLE group_invites;
        ALTER TABLE conversations DROP COLUMN group_profile;
        ALTER TABLE members DROP COLUMN muted_until;
        ALTER TABLE members DROP COLUMN left_view;
        DELETE FROM schema_migrations WHERE version = 10;`);
    } finally {
      await c.end();
    }
    const upgraded = await PostgresStore.open({ connectionString: PG_URL, schema, poolMax: 2 });
    try {
      await expectGroupsWork(upgraded, send);
    } finally {
      await upgraded.close();
    }
  });
});
