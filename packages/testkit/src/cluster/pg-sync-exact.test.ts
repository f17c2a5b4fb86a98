/**
 * Sync stays exact without a shared version counter: a change committed late is never skipped.
 * Three stores ("processes") write into a reader's conversations with many sends in flight,
 * membership changes and read-cursor moves, while the reader syncs continuously in small pages.
 * Some sends are held open inside their transaction for up to 1.5 s before commit (a test
 * trigger sleeps in the INSERT), so transactions that began later commit first, and each slow
 * send is the last change of its conversation: if sync ever moved past it, the reader's final
 * view of that conversation would be stale. At the end every view the reader holds, built only
 * from incremental syncs, must equal the store's.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Store } from '@natter/server';
import { Builders, pgFixture, type PgFixture } from './pg-fixture.js';

type Conversation = NonNullable<Awaited<ReturnType<Store['getConversationForUser']>>>;

let fx: PgFixture;
beforeAll(async () => {
  fx = await pgFixture(8);
  await fx.admin.query(`
    CREATE FUNCTION natter_test_slow() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.body LIKE '%"slow":%' THEN PERFORM pg_sleep((NEW.body::json->>'slow')::float8); END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER natter_test_slow BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION natter_test_slow();`);
});
afterAll(async () => {
  await fx?.close();
});

it('a reader syncing continuously misses no change, however late it commits', { timeout: 90_000 }, async () => {
  const stores: Store[] = [fx.store, await fx.another(8), await fx.another(8)];
  const build = new Builders(fx.store);
  const [alice, bob, carol] = [await build.user('alice'), await build.user('bob'), await build.user('carol')];
  const busy: string[] = [];
  for (let i = 0; i < 12; i++) busy.push(await build.group(alice, [bob]));
  // Conversations that get exactly one change after the start: a slow send.
  const quiet: string[] = [];
  for (let i = 0; i < 6; i++) quiet.push(await build.group(alice, [bob]));

  const seen = new Map<string, Conversation>();
  let token = 0;
  let passes = 0;
  const syncPass = async () => {
    for (;;) {
      const page = await stores[passes % 3]!.changesSince(bob, token, 5);
      for (const c of page.conversations) seen.set(c.id, c);
      expect(page.version).toBeGreaterThanOrEqual(token);
      token = page.version;
      if (!page.hasMore) break;
    }
    passes++;
  };
  await syncPass();

  const until = Date.now() + 6000;
  const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)]!;
  const failures: unknown[] = [];
  const loop = async (step: () => Promise<unknown>) => {
    while (Date.now() < until) await step().catch((err: unknown) => failures.push(err));
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  let carolIn = new Set<string>();
  await Promise.all([
    ...stores.flatMap((s) => Array.from({ length: 5 }, () => loop(() => s.appendMessages([build.msg(pick(busy), pick([alice, bob]))])))),
    loop(async () => {
      const c = pick(busy);
      const last = (await stores[1]!.getConversationState(c))!.lastSeq;
      await stores[1]!.markRead(bob, c, last);
    }),
    loop(async () => {
      const c = pick(busy);
      type Change = Parameters<Store['changeMembership']>[1];
      const change: Change = carolIn.has(c) ? { kind: 'remove', userId: carol, by: alice } : { kind: 'add', userIds: [carol], by: alice };
      const o = await stores[2]!.changeMembership(c, change, build.next('m'), Date.now());
      if (o.kind === 'ok') carolIn = new Set(change.kind === 'add' ? [...carolIn, c] : [...carolIn].filter((x) => x !== c));
      await sleep(20);
    }),
    // The late committers: one slow send per quiet conversation, spread over the run.
    ...quiet.map(async (c, i) => {
      await sleep(500 + i * 700);
      const m = build.msg(c, alice);
      const [o] = await stores[i % 3]!.appendMessages([{ ...m, body: JSON.stringify({ text: 'late', slow: 0.3 + (i % 3) * 0.6 }) }]);
      if (o?.kind !== 'stored') failures.push(new Error(`slow send: ${o?.kind}`));
    }),
    loop(syncPass),
  ]);
  await syncPass();

  expect(failures.map(String)).toEqual([]);
  expect(passes).toBeGreaterThan(20);
  const views = await Promise.all([...busy, ...quiet].map((c) => fx.store.getConversationForUser(c, bob)));
  for (const v of views) expect(seen.get(v!.id), v!.id).toEqual(v);
  // Each quiet conversation's only change was its slow send.
  for (const c of quiet) expect(seen.get(c)?.lastSeq).toBe(2);
});
