/**
 * Upgrading to the contacts schema (SQLite migration 8, PostgreSQL migration 9) keeps every
 * existing user valid: usernames keep their keys (logins and uniqueness unchanged, now also across
 * case and width), existing display names become searchable, and existing direct conversations
 * stay open to sends until someone blocks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresStore, SqliteStore, type Store } from '@natter/server';

const PG_URL = process.env.NATTER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Users and a direct conversation as an older release stored them. */
async function before(store: Store): Promise<void> {
  for (const [id, username, displayName] of [
    ['u1', 'Alice', 'Émile Zola'],
    ['u2', 'bob_2', null],
    ['u3', 'Carol.X', 'carol'],
  ] as const) {
    await store.createUser({ id, username, passwordHash: null, displayName, avatarUrl: null, createdAt: 1 });
  }
  await store.openDirect('u1', 'u2', () => ({
    id: 'c1',
    kind: 'direct',
    title: null,
    createdBy: 'u1',
    members: [
      { userId: 'u1', role: 'member' },
      { userId: 'u2', role: 'member' },
    ],
    createdMessageId: 'm1',
    createdAt: 2,
  }));
}

async function after(store: Store): Promise<void> {
  expect((await store.getUserByUsername('alice'))?.id).toBe('u1');
  expect((await store.getUserByUsername('ＢＯＢ_2'))?.id).toBe('u2');
  expect((await store.getUserByUsername('carol.x'))?.username).toBe('Carol.X');
  expect(await store.createUser({ id: 'u9', username: 'ALICE', passwordHash: null, displayName: null, avatarUrl: null, createdAt: 3 })).toBeNull();
  const search = async (prefix: string) => (await store.searchUsers({ prefix, viewer: 'u2', friendsOnly: false, limit: 20 })).map((u) => u.id);
  expect(await search('émi')).toEqual(['u1']);
  expect(await search('car')).toEqual(['u3']);
  const send = { id: 'm2', conversationId: 'c1', senderId: 'u2', type: 'text' as const, body: '{"text":"hi"}', clientMsgId: 'k1', replyTo: null, createdAt: 4 };
  expect(await store.appendMessages([send])).toEqual([{ kind: 'stored', seq: 2 }]);
  await store.blockUser('u1', 'u2', 5);
  expect(await store.appendMessages([{ ...send, id: 'm3', clientMsgId: 'k2' }])).toEqual([{ kind: 'not_found' }]);
}

describe('contacts migration', () => {
  it('SQLite (8): existing users, display names and direct conversations carry over', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'natter-contacts-'));
    const path = join(dir, 'natter.db');
    try {
      const old = new SqliteStore({ path, durability: 'normal' });
      await before(old);
      await old.close();
      // Back to the schema before migration 8, as an older release left it.
      const raw = new Database(path);
      raw.exec(`DROP TABLE friend_requests; DROP TABLE friends; DROP TABLE blocks;
        DROP INDEX users_display_key; ALTER TABLE users DROP COLUMN display_key;
        ALTER TABLE conversations DROP COLUMN closed;
        DELETE FROM schema_migrations WHERE version = 8;`);
      raw.close();
      const upgraded = new SqliteStore({ path, durability: 'normal' });
      try {
        await after(upgraded);
      } finally {
        await upgraded.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const schema = `natter_cu_${randomBytes(6).toString('hex')}`;
  afterAll(async () => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await c.end();
  });

  it('PostgreSQL (9): existing users, display names and direct conversations carry over', async () => {
    const old = await PostgresStore.open({ connectionString: PG_URL, schema, poolMax: 2 });
    await before(old);
    await old.close();
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      await c.query(`DROP TABLE ${schema}.friend_requests, ${schema}.friends, ${schema}.blocks;
        ALTER TABLE ${schema}.users DROP COLUMN display_key;
        DROP INDEX ${schema}.users_username_prefix;
        ALTER TABLE ${schema}.conversations DROP COLUMN closed;
        DELETE FROM ${schema}.schema_migrations WHERE version = 9;`);
    } finally {
      await c.end();
    }
    const upgraded = await PostgresStore.open({ connectionString: PG_URL, schema, poolMax: 2 });
    try {
      await after(upgraded);
    } finally {
      await upgraded.close();
    }
  });
});
