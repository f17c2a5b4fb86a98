/**
 * A PostgreSQL connection lost in the middle of a call answers `unavailable` (retry), never
 * `internal`, on every path a client reaches: sync, ack, read, messages, conversation.get, send,
 * membership. The test holds a lock the call needs, waits until the store's backend is stuck on
 * it, then terminates that backend (pg_terminate_backend), as a database restart or a cut link would.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Store } from '@natter/server';
import { Builders, pgFixture, type PgFixture } from './pg-fixture.js';

let fx: PgFixture;
let build: Builders;
let alice: string;
let bob: string;
let phone: string;
let group: string;
beforeAll(async () => {
  fx = await pgFixture(2);
  build = new Builders(fx.store);
  [alice, bob] = [await build.user('alice'), await build.user('bob')];
  phone = await build.device(bob);
  group = await build.group(alice, [bob]);
  await fx.store.appendMessages([build.msg(group, alice)]);
});
afterAll(async () => {
  await fx?.close();
});

const calls: [string, (s: Store) => Promise<unknown>][] = [
  ['sync (changesSince)', (s) => s.changesSince(bob, 0, 10)],
  ['ack (ackDelivered)', (s) => s.ackDelivered(phone, bob, group, 1)],
  ['read (markRead)', (s) => s.markRead(bob, group, 2)],
  ['messages (getMessages)', (s) => s.getMessages(group, bob, { limit: 10 })],
  ['conversation.get (getConversationForUser)', (s) => s.getConversationForUser(group, bob)],
  ['conversation state (getConversationState)', (s) => s.getConversationState(group)],
  ['send (appendMessages)', (s) => s.appendMessages([build.msg(group, alice)])],
  ['membership (changeMembership)', (s) => s.changeMembership(group, { kind: 'role', userId: bob, role: 'admin', by: alice }, build.next('m'), Date.now())],
];

it.each(calls)('%s answers unavailable when its connection is killed mid-call', async (_name, call) => {
  const { admin, applicationName } = fx;
  await admin.query('BEGIN');
  // Every call reads or writes members: with this lock held, it waits inside PostgreSQL.
  await admin.query('LOCK TABLE members IN ACCESS EXCLUSIVE MODE');
  const pending = call(fx.store).then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  let killed = 0;
  try {
    for (let i = 0; i < 200 && killed === 0; i++) {
      const r = await admin.query<{ n: number }>(
        `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
        [applicationName],
      );
      killed = r.rows[0]!.n;
      if (killed === 0) await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    await admin.query('ROLLBACK');
  }
  expect(killed).toBeGreaterThan(0);
  const outcome = await pending;
  expect('error' in outcome ? (outcome.error as { code?: string }).code : outcome).toBe('unavailable');
  // The pool recovers: the same call succeeds on a fresh connection.
  await expect(call(fx.store)).resolves.toBeDefined();
});
