/**
 * The group service over the in-memory store with a clock the test moves: mutes end when their
 * time is up, the invite-code attempt window starts over after an hour, and each change emits
 * one `membership.changed` with its entry and the views that changed.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { NatterError } from '@natter/protocol';
import { MemoryStore } from '../store/memory/memory-store.js';
import type { Clock } from './clock.js';
import { userBudgets } from '../limits/user-budget.js';
import { DomainEvents, type DomainEvent } from './events.js';
import { Groups } from './groups.js';
import { Messaging } from './messaging.js';

class ManualClock implements Clock {
  t = 1_800_000_000_000;
  now(): number {
    return this.t;
  }
  setTimeout(): { cancel(): void } {
    return { cancel: () => {} };
  }
}

let clock: ManualClock;
let store: MemoryStore;
let messaging: Messaging;
let groups: Groups;
let seen: DomainEvent[];

beforeEach(async () => {
  clock = new ManualClock();
  store = new MemoryStore();
  const events = new DomainEvents();
  seen = [];
  events.subscribe((e) => void seen.push(e));
  messaging = new Messaging(store, events, clock, { maxTextLength: 100, maxCustomBodyBytes: 1000, groupMaxMembers: 10 });
  // Two invite-code attempts per user per second (rate-limiter-flexible keeps real time).
  groups = new Groups(store, events, clock, { maxMembers: 10 }, userBudgets(null)('group_join', 2, 1, 'invite codes tried'));
  for (const id of ['alice', 'bob', 'carol']) {
    await store.createUser({ id, username: id, passwordHash: null, displayName: null, avatarUrl: null, createdAt: 0 });
  }
});

const send = (userId: string, conversationId: string, clientMsgId: string) =>
  messaging.send(userId, { type: 'send', conversationId, clientMsgId, msgType: 'text', body: { text: 'hi' } });
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof NatterError ? e.code : 'thrown'),
  );

describe('Groups', () => {
  it('a mute ends when its time is up, by the server clock', async () => {
    const g = await messaging.createGroup('alice', 'G', ['bob']);
    const view = await groups.mute('alice', g.id, 'bob', 60);
    expect(view.membership.role).toBe('owner');
    expect(await codeOf(send('bob', g.id, 'k1'))).toBe('muted');
    clock.t += 59_999;
    expect(await codeOf(send('bob', g.id, 'k2'))).toBe('muted');
    clock.t += 1;
    expect(await codeOf(send('bob', g.id, 'k3'))).toBe('ok');
  });

  it('invite-code attempts start over after the window', async () => {
    const g = await messaging.createGroup('alice', 'G', []);
    const { code } = await groups.createInvite('alice', g.id, {});
    expect(await codeOf(groups.join('bob', 'nope1'))).toBe('not_found');
    expect(await codeOf(groups.join('bob', 'nope2'))).toBe('not_found');
    expect(await codeOf(groups.join('bob', code))).toBe('rate_limited');
    // Carol has her own allowance.
    expect(await codeOf(groups.join('carol', code))).toBe('ok');
    // A success gives its attempt back: Carol can still join by code twice more in this window.
    expect(await codeOf(groups.join('carol', code))).toBe('ok');
    expect(await codeOf(groups.join('carol', 'nope3'))).toBe('not_found');
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await codeOf(groups.join('bob', code))).toBe('ok');
  });

  it('each change emits one membership.changed with its entry; a joiner is among `joined`', async () => {
    const g = await messaging.createGroup('alice', 'G', ['bob']);
    seen = [];
    await groups.update('alice', g.id, { announcement: 'hi all' });
    await groups.change(g.id, { kind: 'transfer', by: 'alice', userId: 'bob' });
    const { code } = await groups.createInvite('bob', g.id, { maxUses: 1 });
    await groups.join('carol', code);
    expect(seen.map((e) => (e.type === 'membership.changed' ? [e.change, (e.entry.body as { event: string }).event, e.joined.map((v) => v.userId), e.updated.map((v) => v.userId).sort()] : e.type))).toEqual([
      ['profile', 'group.updated', [], []],
      ['owner', 'group.ownerTransferred', [], ['alice', 'bob']],
      ['joined', 'member.joinedByInvite', ['carol'], []],
    ]);
    // A noop emits nothing.
    seen = [];
    await groups.update('bob', g.id, { announcement: 'hi all' });
    expect(seen).toEqual([]);
  });
});
