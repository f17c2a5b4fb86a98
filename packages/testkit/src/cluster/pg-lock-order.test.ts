/**
 * The PostgreSQL store's lock order under contention: every writing operation (sends, batches
 * across two conversations, read cursors, delivery acks, membership and role changes,
 * conversation creation) runs against the others on the same conversations from two stores
 * ("processes"), and PostgreSQL must detect no deadlock and no operation may fail. Before the
 * lock order was fixed, `read` against `send` in one conversation deadlocked within a second
 * (issue 19).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Store } from '@natter/server';
import { Builders, deadlocks, pgFixture, type PgFixture } from './pg-fixture.js';

const SECONDS = Number(process.env.NATTER_LOCK_TEST_SECONDS ?? 6);

let fx: PgFixture;
beforeAll(async () => {
  fx = await pgFixture();
});
afterAll(async () => {
  await fx?.close();
});

it('sends, reads, acks, membership changes and creations never deadlock or fail', { timeout: 60_000 }, async () => {
  const a: Store = fx.store;
  const b: Store = await fx.another();
  const build = new Builders(a);
  const [alice, bob, carol] = [await build.user('alice'), await build.user('bob'), await build.user('carol')];
  const phone = await build.device(bob);
  const direct = (await a.createConversation(build.conversation('direct', alice, [bob]))).state.id;
  const group = await build.group(alice, [bob]);
  const latest = new Map([
    [direct, 1],
    [group, 1],
  ]);
  const before = await deadlocks(fx.admin, fx.database);

  const failures: unknown[] = [];
  const counts = { sends: 0, reads: 0, acks: 0, changes: 0, creates: 0 };
  let bobIsAdmin = false;
  const until = Date.now() + SECONDS * 1000;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  async function loop(every: number, step: () => Promise<void>): Promise<void> {
    while (Date.now() < until) {
      try {
        await step();
      } catch (err) {
        failures.push(err);
      }
      if (every > 0) await sleep(every);
    }
  }
  const stored = (outcomes: Awaited<ReturnType<Store['appendMessages']>>, convs: string[]) => {
    outcomes.forEach((o, i) => {
      if (o.kind !== 'stored') throw new Error(`send: ${o.kind}`);
      latest.set(convs[i]!, Math.max(latest.get(convs[i]!)!, o.seq));
      counts.sends++;
    });
  };

  await Promise.all([
    // alice: 8 sends in flight, half of them batches across both conversations (two row locks).
    ...Array.from({ length: 8 }, (_, w) =>
      loop(0, async () => {
        const convs = w % 2 === 0 ? [direct] : [group, direct];
        stored(await a.appendMessages(convs.map((c) => build.msg(c, alice))), convs);
      }),
    ),
    // bob, on the other process: moves his read cursor to the newest seq every 20 ms, and acks.
    loop(20, async () => {
      for (const c of [direct, group]) {
        const r = await b.markRead(bob, c, latest.get(c)!);
        if (r.kind !== 'ok') throw new Error(`read: ${r.kind}`);
        counts.reads++;
      }
    }),
    loop(20, async () => {
      for (const c of [direct, group]) {
        const r = await b.ackDelivered(phone, bob, c, latest.get(c)!);
        if (r.kind !== 'ok') throw new Error(`ack: ${r.kind}`);
        counts.acks++;
      }
    }),
    // alice adds and removes carol and changes bob's role; bob also sends into the group.
    loop(30, async () => {
      bobIsAdmin = !bobIsAdmin;
      const add = await b.changeMembership(group, { kind: 'add', userIds: [carol], by: alice }, build.next('m'), Date.now());
      const role = await a.changeMembership(group, { kind: 'role', userId: bob, role: bobIsAdmin ? 'admin' : 'member', by: alice }, build.next('m'), Date.now());
      const remove = await b.changeMembership(group, { kind: 'remove', userId: carol, by: alice }, build.next('m'), Date.now());
      for (const o of [add, role, remove]) {
        if (o.kind !== 'ok') throw new Error(`membership: ${o.kind}`);
        latest.set(group, Math.max(latest.get(group)!, o.entry.seq));
      }
      counts.changes += 3;
    }),
    loop(10, async () => stored(await b.appendMessages([build.msg(group, bob)]), [group])),
    // New conversations with the same members (their member rows point at the same users).
    loop(50, async () => {
      await a.createConversation(build.conversation('group', bob, [alice, carol]));
      counts.creates++;
    }),
  ]);

  const after = await deadlocks(fx.admin, fx.database);
  expect({ failures: failures.map(String), deadlocks: after - before }).toEqual({ failures: [], deadlocks: 0 });
  // The load really ran: every kind of operation, many times.
  expect(counts.sends).toBeGreaterThan(200);
  expect(Math.min(counts.reads, counts.acks, counts.changes, counts.creates)).toBeGreaterThan(10);
});
