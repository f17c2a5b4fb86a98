import { describe, expect, it } from 'vitest';
import type { MemberRole } from '@natter/protocol';
import {
  DEFAULT_GROUP_PROFILE,
  decideGroupChange,
  decideJoin,
  inviteUsable,
  mayMentionAll,
  parseGroupProfile,
  sendRefusal,
  type GroupChange,
  type GroupMemberRecord,
  type GroupRecord,
} from './groups.js';

const member = (userId: string, role: MemberRole, extra: Partial<GroupMemberRecord> = {}): GroupMemberRecord => ({
  userId,
  role,
  state: 'active',
  joinedSeq: 1,
  leftSeq: null,
  mutedUntil: null,
  ...extra,
});
const group = (profile: Partial<GroupRecord['profile']> = {}): GroupRecord => ({ kind: 'group', title: 'T', profile: { ...DEFAULT_GROUP_PROFILE, ...profile } });
const people = new Map([
  ['o', member('o', 'owner')],
  ['a', member('a', 'admin')],
  ['a2', member('a2', 'admin')],
  ['m', member('m', 'member')],
  ['gone', member('gone', 'member', { state: 'left', leftSeq: 3 })],
]);

describe('decideGroupChange', () => {
  // [change, owner, admin, member] outcomes: the permission table of docs/groups.md.
  const table: [string, (by: string) => GroupChange, string, string, string][] = [
    ['profile', (by) => ({ kind: 'profile', by, patch: { title: 'New' } }), 'write', 'write', 'forbidden'],
    ['transfer to a member', (by) => ({ kind: 'transfer', by, userId: 'm' }), 'write', 'forbidden', 'forbidden'],
    ['dissolve', (by) => ({ kind: 'dissolve', by }), 'write', 'forbidden', 'forbidden'],
    ['mute a member', (by) => ({ kind: 'mute', by, userId: by === 'm' ? 'a' : 'm', until: 5 }), 'write', 'write', 'forbidden'],
    ['mute an admin', (by) => ({ kind: 'mute', by, userId: 'a2', until: 5 }), 'write', 'forbidden', 'forbidden'],
    ['mute the owner', (by) => ({ kind: 'mute', by, userId: 'o', until: 5 }), 'forbidden', 'forbidden', 'forbidden'],
    ['mute everyone', (by) => ({ kind: 'muteAll', by, muted: true }), 'write', 'write', 'forbidden'],
  ];
  for (const [name, make, owner, admin, plain] of table) {
    it(`${name}: owner ${owner}, admin ${admin}, member ${plain}; outsiders not_found`, () => {
      expect(decideGroupChange(group(), make('o'), people, 42).kind).toBe(owner);
      expect(decideGroupChange(group(), make('a'), people, 42).kind).toBe(admin);
      expect(decideGroupChange(group(), make('m'), people, 42).kind).toBe(plain);
      expect(decideGroupChange(group(), make('gone'), people, 42).kind).toBe('not_found');
      expect(decideGroupChange(group(), make('stranger'), people, 42).kind).toBe('not_found');
      expect(decideGroupChange(null, make('o'), people, 42).kind).toBe('not_found');
    });
  }

  it('a dissolved group refuses every change; dissolving again is a noop', () => {
    const ended = group({ dissolvedAt: 10 });
    expect(decideGroupChange(ended, { kind: 'profile', by: 'o', patch: { title: 'x' } }, people, 42).kind).toBe('dissolved');
    expect(decideGroupChange(ended, { kind: 'dissolve', by: 'o' }, people, 42).kind).toBe('noop');
  });

  it('a profile patch names only what changed; dissolving stamps the time', () => {
    const d = decideGroupChange(group({ description: 'same' }), { kind: 'profile', by: 'a', patch: { description: 'same', announcement: 'new' } }, people, 42);
    expect(d.kind === 'write' && d.body).toEqual({ event: 'group.updated', by: 'a', changes: { announcement: 'new' } });
    const dissolve = decideGroupChange(group(), { kind: 'dissolve', by: 'o' }, people, 42);
    expect(dissolve.kind === 'write' && dissolve.profile.dissolvedAt).toBe(42);
  });
});

describe('sendRefusal', () => {
  it('mutes by name hold until they end; muting everyone spares the owner and admins; dissolved refuses all', () => {
    const g = { kind: 'group' as const, profile: { ...DEFAULT_GROUP_PROFILE } };
    expect(sendRefusal(g, { role: 'member', mutedUntil: 100 }, 99)).toBe('muted');
    expect(sendRefusal(g, { role: 'admin', mutedUntil: 100 }, 99)).toBe('muted');
    expect(sendRefusal(g, { role: 'member', mutedUntil: 100 }, 100)).toBeNull();
    const all = { ...g, profile: { ...g.profile, mutedAll: true } };
    expect(sendRefusal(all, { role: 'member', mutedUntil: null }, 0)).toBe('muted');
    expect(sendRefusal(all, { role: 'admin', mutedUntil: null }, 0)).toBeNull();
    expect(sendRefusal(all, { role: 'owner', mutedUntil: null }, 0)).toBeNull();
    expect(sendRefusal({ ...g, profile: { ...g.profile, dissolvedAt: 1 } }, { role: 'owner', mutedUntil: null }, 0)).toBe('dissolved');
    expect(sendRefusal({ kind: 'direct', profile: null }, { role: 'member', mutedUntil: 100 }, 0)).toBeNull();
  });
});

describe('invite codes', () => {
  const invite = { code: 'c', conversationId: 'g', createdBy: 'o', createdAt: 0, expiresAt: 100, maxUses: 2, uses: 0, revokedAt: null };
  it('a code is usable until it expires, is used up or revoked', () => {
    expect(inviteUsable(invite, 99)).toBe(true);
    expect(inviteUsable(invite, 100)).toBe(false);
    expect(inviteUsable({ ...invite, uses: 2 }, 0)).toBe(false);
    expect(inviteUsable({ ...invite, revokedAt: 5 }, 0)).toBe(false);
  });
  it('every unusable code is one not_found; members get noop; the limit gives full', () => {
    expect(decideJoin(undefined, group(), undefined, 1, 10, 0)).toBe('not_found');
    expect(decideJoin({ ...invite, revokedAt: 1 }, group(), undefined, 1, 10, 0)).toBe('not_found');
    expect(decideJoin(invite, group({ dissolvedAt: 1 }), undefined, 1, 10, 0)).toBe('not_found');
    expect(decideJoin(invite, group(), { state: 'active' }, 1, 1, 0)).toBe('noop');
    expect(decideJoin(invite, group(), { state: 'left' }, 1, 1, 0)).toBe('full');
    expect(decideJoin(invite, group(), { state: 'left' }, 1, 2, 0)).toBe('join');
  });
  it('a stored profile reads back with defaults for fields it lacks', () => {
    expect(parseGroupProfile(null)).toEqual(DEFAULT_GROUP_PROFILE);
    expect(parseGroupProfile('{"mutedAll":true}')).toEqual({ ...DEFAULT_GROUP_PROFILE, mutedAll: true });
  });
});

describe('mayMentionAll', () => {
  it('lets only a group\'s owner and admins mention "all"; anyone in a direct conversation; anyone without "all"', () => {
    expect(mayMentionAll(['all'], 'group', 'owner')).toBe(true);
    expect(mayMentionAll(['u_a', 'all'], 'group', 'admin')).toBe(true);
    expect(mayMentionAll(['all'], 'group', 'member')).toBe(false);
    expect(mayMentionAll(['u_a', 'all'], 'group', 'member')).toBe(false);
    expect(mayMentionAll(['u_a'], 'group', 'member')).toBe(true);
    expect(mayMentionAll(undefined, 'group', 'member')).toBe(true);
    expect(mayMentionAll(['all'], 'direct', 'member')).toBe(true);
  });
});
