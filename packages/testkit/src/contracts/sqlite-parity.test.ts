/**
 * MemoryStore beside SqliteStore: the same random sequences of Store calls on both, every
 * result and every refusal compared. The contract suite checks the documented guarantees; this
 * checks the rest of "behaves as the SQL stores do" that no contract test names — list orders,
 * versions, tie-breaks, which check wins when several fail, what a schema refuses — so that core
 * tests on a MemoryStore see what the server sees.
 */
import { describe, expect, it } from 'vitest';
import type { MemberRole } from '@natter/protocol';
import { MemoryStore, SqliteStore, type MembershipChange, type NewConversation, type NewMessage, type Store } from '@natter/server';

/** A small seeded generator (an LCG is plenty to pick operations), so a failure replays. */
function random(seed: number) {
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff), s / 0x7fffffff);
  return {
    below: (n: number) => Math.floor(next() * n),
    chance: (p: number) => next() < p,
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
  };
}

type Method = { [K in keyof Store]-?: Store[K] extends (...args: never[]) => Promise<unknown> ? K : never }[keyof Store];

/** Calls `name` on both stores; expects both to refuse (throw), or both to return equal results. */
async function both<K extends Method>(stores: [Store, Store], name: K, ...args: Parameters<Store[K]>): Promise<Awaited<ReturnType<Store[K]>> | null> {
  type Result = { ok: true; value: Awaited<ReturnType<Store[K]>> } | { ok: false; error: string };
  const call = async (s: Store): Promise<Result> => {
    try {
      return { ok: true, value: await (s[name] as (...a: Parameters<Store[K]>) => ReturnType<Store[K]>)(...args) };
    } catch (err) {
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
  };
  const [sqlite, memory] = [await call(stores[0]), await call(stores[1])];
  const what = `${name}(${JSON.stringify(args)})`;
  expect(memory.ok, `${what}: SQLite ${sqlite.ok ? 'did not throw' : `threw ${sqlite.error}`}`).toBe(sqlite.ok);
  if (!memory.ok || !sqlite.ok) return null;
  // The one list the Store returns in no promised order.
  const comparable = (v: unknown) => (name === 'activeConversationIds' ? [...(v as string[])].sort() : v);
  expect(comparable(memory.value), what).toEqual(comparable(sqlite.value));
  return memory.value;
}

const USERS = ['u_a', 'u_b', 'u_c', 'u_d', 'u_e', 'u_F'];
/** Never created: its username collides with u_a's case-insensitively. */
const GHOST = 'u_x';

async function replay(seed: number, steps: number): Promise<void> {
  const r = random(seed);
  const stores: [Store, Store] = [new SqliteStore({ path: ':memory:', durability: 'normal' }), new MemoryStore()];
  const convs: string[] = [];
  const devices: string[] = [];
  const sends: NewMessage[] = [];
  let n = 0;
  const id = (prefix: string) => `${prefix}${++n}`;
  try {
    for (const u of [...USERS, GHOST]) {
      await both(stores, 'createUser', { id: u, username: u === GHOST ? 'A' : u.slice(2), passwordHash: null, displayName: null, avatarUrl: null, createdAt: 1 });
    }
    for (let step = 0; step < steps; step++) {
      const u = r.pick(USERS);
      const op = r.below(100);
      if (op < 5) {
        const d = id('d');
        devices.push(d);
        const userId = r.chance(0.1) ? GHOST : u;
        await both(stores, 'createDevice', { id: d, userId, name: null, refreshHash: `h${n}`, refreshExpiresAt: 1000 + r.below(100), createdAt: r.below(5) });
      } else if (op < 10 && devices.length > 0) {
        await both(stores, 'rotateRefresh', r.pick(devices), `h${r.below(n + 1)}`, { hash: id('h'), expiresAt: 1000 + step }, 950 + r.below(100));
      } else if (op < 12 && devices.length > 0) {
        await both(stores, 'revokeDevice', u, r.pick(devices), step);
        if (r.chance(0.3)) await both(stores, 'revokeOtherDevices', u, r.chance(0.5) ? r.pick(devices) : null, step);
        await both(stores, 'listDevices', u);
      } else if (op < 18) {
        const members = USERS.filter((x) => x !== u && r.chance(0.4)).map((userId) => ({ userId, role: (r.chance(0.3) ? 'admin' : 'member') as MemberRole }));
        const conv: NewConversation = { id: id('c'), kind: 'group', title: 't', createdBy: u, members: [{ userId: u, role: 'owner' }, ...members], createdMessageId: id('m'), createdAt: step };
        if (await both(stores, 'createConversation', conv)) convs.push(conv.id);
      } else if (op < 22) {
        const v = r.pick(USERS.filter((x) => x !== u));
        // The same ids for both stores' `make`.
        const conv: NewConversation = { id: id('c'), kind: 'direct', title: null, createdBy: u, members: [{ userId: u, role: 'member' }, { userId: v, role: 'member' }], createdMessageId: id('m'), createdAt: step };
        const out = await both(stores, 'openDirect', u, v, () => conv);
        if (out?.created) convs.push(conv.id);
      } else if (op < 35 && convs.length > 0) {
        const k = r.below(4);
        const change: MembershipChange =
          k === 0 ? { kind: 'add', userIds: [...USERS, GHOST].filter(() => r.chance(0.3)), by: u }
          : k === 1 ? { kind: 'remove', userId: r.pick(USERS), by: u }
          : k === 2 ? { kind: 'leave', userId: u }
          : { kind: 'role', userId: r.pick(USERS), role: r.chance(0.5) ? 'admin' : 'member', by: u };
        await both(stores, 'changeMembership', r.pick(convs), change, id('m'), step);
      } else if (op < 60 && convs.length > 0) {
        const batch: NewMessage[] = [];
        for (let i = r.below(4); i >= 0; i--) {
          if (sends.length > 0 && r.chance(0.15)) {
            // A retry, or the same clientMsgId with other content.
            const prior = r.pick(sends);
            batch.push({ ...prior, id: id('m'), body: r.chance(0.5) ? prior.body : '{"text":"other"}' });
            continue;
          }
          const m: NewMessage = {
            id: sends.length > 0 && r.chance(0.03) ? r.pick(sends).id : id('m'),
            conversationId: r.chance(0.05) ? 'missing' : r.pick(convs),
            senderId: r.pick(USERS),
            type: 'text',
            body: JSON.stringify({ text: `t${n}` }),
            clientMsgId: `k${n}`,
            replyTo: sends.length > 0 && r.chance(0.2) ? r.pick(sends).id : null,
            createdAt: step,
          };
          batch.push(m);
          sends.push(m);
        }
        await both(stores, 'appendMessages', batch);
      } else if (op < 75 && convs.length > 0) {
        const c = r.pick(convs);
        const limit = 1 + r.below(5);
        const k = r.below(5);
        await both(stores, 'getMessages', c, u, k < 2 ? { after: r.below(12), limit } : k < 4 ? { before: r.below(14), limit } : { limit });
        await both(stores, 'getConversationForUser', c, u);
        await both(stores, 'getConversationState', c);
      } else if (op < 85 && convs.length > 0) {
        const c = r.pick(convs);
        if (r.chance(0.5) || devices.length === 0) await both(stores, 'markRead', u, c, r.below(12));
        else await both(stores, 'ackDelivered', r.pick(devices), u, c, r.below(12));
      } else {
        await both(stores, 'changesSince', u, r.below(4 * n), 1 + r.below(4));
        await both(stores, 'activeConversationIds', u);
        await both(stores, 'existingUserIds', [u, 'nobody', u]);
        await both(stores, 'getUserByUsername', u.slice(2).toUpperCase());
      }
    }
  } finally {
    for (const s of stores) await s.close();
  }
}

describe('MemoryStore beside SqliteStore', () => {
  for (let seed = 1; seed <= 16; seed++) {
    it(`answers a random sequence of calls as SQLite does (seed ${seed})`, () => replay(seed, 400));
  }
});
