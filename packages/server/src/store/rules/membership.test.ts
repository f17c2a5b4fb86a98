/** Unit tests of the membership rules: permissions, what each change writes, ownership inheritance. */
import { describe, expect, it } from 'vitest';
import type { MemberRole } from '@natter/protocol';
import type { MembershipChange } from '../store.js';
import { affectedBy, byStanding, decideMembership, heirOf, involvedUsers, viewedUsers, type MemberRecord } from './membership.js';

const row = (userId: string, role: MemberRole, joinedSeq = 1, state: 'active' | 'left' = 'active'): MemberRecord => ({
  userId,
  role,
  state,
  joinedSeq,
  leftSeq: state === 'left' ? joinedSeq + 1 : null,
});
const group = (...rows: MemberRecord[]) => new Map(rows.map((r) => [r.userId, r]));
const owner = row('o', 'owner');
const admin = row('a', 'admin');
const member = row('m', 'member');
const gone = row('g', 'member', 1, 'left');
const all = group(owner, admin, member, gone);
const decide = (change: MembershipChange, members = all) => decideMembership('group', change, members);

describe('decideMembership', () => {
  it('refuses unknown conversations and actors who are not active members', () => {
    expect(decideMembership(null, { kind: 'leave', userId: 'o' }, all)).toEqual({ kind: 'not_found' });
    expect(decide({ kind: 'add', userIds: ['x'], by: 'stranger' })).toEqual({ kind: 'not_found' });
    expect(decide({ kind: 'leave', userId: 'g' })).toEqual({ kind: 'not_found' });
  });

  it('forbids every change of a direct conversation', () => {
    expect(decideMembership('direct', { kind: 'leave', userId: 'o' }, all)).toEqual({ kind: 'forbidden' });
    expect(decideMembership('direct', { kind: 'add', userIds: ['x'], by: 'o' }, all)).toEqual({ kind: 'forbidden' });
  });

  it('lets owners and admins add, adding only those not active, each once and in order', () => {
    expect(decide({ kind: 'add', userIds: ['x', 'm', 'g', 'x'], by: 'a' })).toEqual({
      kind: 'join',
      author: 'a',
      userIds: ['x', 'g'],
      body: { event: 'member.joined', by: 'a', userIds: ['x', 'g'] },
    });
    expect(decide({ kind: 'add', userIds: ['m', 'o'], by: 'o' })).toEqual({ kind: 'noop' });
    expect(decide({ kind: 'add', userIds: ['x'], by: 'm' })).toEqual({ kind: 'forbidden' });
  });

  it('lets admins remove members, only the owner remove admins, and nobody the owner or themselves', () => {
    expect(decide({ kind: 'remove', userId: 'm', by: 'a' })).toEqual({
      kind: 'leave',
      author: 'a',
      userId: 'm',
      passOwnership: false,
      body: { event: 'member.removed', by: 'a', userId: 'm' },
    });
    expect(decide({ kind: 'remove', userId: 'a', by: 'o' }).kind).toBe('leave');
    expect(decide({ kind: 'remove', userId: 'a', by: 'a' })).toEqual({ kind: 'forbidden' });
    expect(decide({ kind: 'remove', userId: 'a', by: 'a' }, group(owner, admin, row('a2', 'admin'))).kind).toBe('forbidden');
    expect(decide({ kind: 'remove', userId: 'a2', by: 'a' }, group(admin, row('a2', 'admin'))).kind).toBe('forbidden');
    expect(decide({ kind: 'remove', userId: 'o', by: 'a' })).toEqual({ kind: 'forbidden' });
    expect(decide({ kind: 'remove', userId: 'a', by: 'm' })).toEqual({ kind: 'forbidden' });
    expect(decide({ kind: 'remove', userId: 'g', by: 'o' })).toEqual({ kind: 'noop' });
    expect(decide({ kind: 'remove', userId: 'nobody', by: 'o' })).toEqual({ kind: 'noop' });
  });

  it('lets only the owner change roles, of active members other than itself', () => {
    expect(decide({ kind: 'role', userId: 'm', role: 'admin', by: 'o' })).toEqual({
      kind: 'role',
      author: 'o',
      userId: 'm',
      role: 'admin',
      body: { event: 'member.role', by: 'o', userId: 'm', role: 'admin' },
    });
    expect(decide({ kind: 'role', userId: 'a', role: 'member', by: 'o' }).kind).toBe('role');
    expect(decide({ kind: 'role', userId: 'a', role: 'admin', by: 'o' })).toEqual({ kind: 'noop' });
    expect(decide({ kind: 'role', userId: 'm', role: 'admin', by: 'a' })).toEqual({ kind: 'forbidden' });
    expect(decide({ kind: 'role', userId: 'o', role: 'member', by: 'o' })).toEqual({ kind: 'forbidden' });
    expect(decide({ kind: 'role', userId: 'g', role: 'admin', by: 'o' })).toEqual({ kind: 'not_member' });
    expect(decide({ kind: 'role', userId: 'nobody', role: 'admin', by: 'o' })).toEqual({ kind: 'not_member' });
  });

  it('lets anyone active leave; only the owner leaving passes ownership', () => {
    expect(decide({ kind: 'leave', userId: 'm' })).toEqual({
      kind: 'leave',
      author: 'm',
      userId: 'm',
      passOwnership: false,
      body: { event: 'member.left', userId: 'm' },
    });
    expect(decide({ kind: 'leave', userId: 'o' })).toMatchObject({ kind: 'leave', passOwnership: true });
  });
});

describe('involvedUsers', () => {
  it('names the actor first, then the targets, each once', () => {
    expect(involvedUsers({ kind: 'add', userIds: ['x', 'o', 'y', 'x'], by: 'o' })).toEqual(['o', 'x', 'y']);
    expect(involvedUsers({ kind: 'remove', userId: 'm', by: 'o' })).toEqual(['o', 'm']);
    expect(involvedUsers({ kind: 'role', userId: 'm', role: 'admin', by: 'o' })).toEqual(['o', 'm']);
    expect(involvedUsers({ kind: 'leave', userId: 'm' })).toEqual(['m']);
  });
});

describe('heirOf', () => {
  it('picks the longest-standing admin, whatever the order given', () => {
    const rows = [row('m1', 'member', 1), row('a2', 'admin', 3), row('a1', 'admin', 2), row('o', 'owner', 1)];
    expect(heirOf(rows, 'o')).toBe('a1');
    expect(heirOf([...rows].reverse(), 'o')).toBe('a1');
  });

  it('without admins, picks the longest-standing member, ties broken by user id', () => {
    expect(heirOf([row('o', 'owner', 1), row('zed', 'member', 2), row('bob', 'member', 2), row('late', 'member', 5)], 'o')).toBe('bob');
  });

  it('passes over left members and the leaver, and gives null when nobody remains', () => {
    expect(heirOf([row('o', 'owner'), row('a', 'admin', 1, 'left'), row('m', 'member', 4)], 'o')).toBe('m');
    expect(heirOf([row('o', 'owner'), row('a', 'admin', 1, 'left')], 'o')).toBeNull();
  });
});

describe('byStanding', () => {
  it('orders by join seq, then user id in code-unit order', () => {
    const sorted = [row('b', 'member', 2), row('B', 'member', 2), row('a', 'member', 3), row('z', 'member', 1)].sort(byStanding);
    expect(sorted.map((r) => r.userId)).toEqual(['z', 'B', 'b', 'a']);
  });
});

describe('affectedBy and viewedUsers', () => {
  it('names each changed user once, the new owner last', () => {
    expect(affectedBy({ kind: 'join', author: 'o', body: { event: 'member.joined', by: 'o', userIds: ['x', 'y'] }, userIds: ['x', 'y'] })).toEqual(['x', 'y']);
    expect(viewedUsers(['o'], 'a')).toEqual(['o', 'a']);
    expect(viewedUsers(['m'], null)).toEqual(['m']);
    expect(viewedUsers(['a'], 'a')).toEqual(['a']);
  });
});
