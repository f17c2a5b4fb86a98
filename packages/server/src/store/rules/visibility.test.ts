/** Unit tests of the visible window: pages, cursors and views of active and left members. */
import { describe, expect, it } from 'vitest';
import { buildView, cursorRefusal, entryBytes, pageOf, pageRange, visibleLast, type ViewedMember } from './visibility.js';

const flags = { pinned: false, muted: false, archived: false };
const active: ViewedMember = { role: 'member', state: 'active', joinedSeq: 5, leftSeq: null, readSeq: 6, readIndex: 3, mentionSeq: 0, ...flags };
const left: ViewedMember = { role: 'admin', state: 'left', joinedSeq: 5, leftSeq: 9, readSeq: 7, readIndex: 4, mentionSeq: 8, ...flags };
const conv = { id: 'c', kind: 'group' as const, title: 'T', lastSeq: 20, createdAt: 1, msgCount: 10, allMentionSeq: 0 };

describe('visibleLast', () => {
  it('is lastSeq while active and leftSeq once left', () => {
    expect(visibleLast(active, 20)).toBe(20);
    expect(visibleLast(left, 20)).toBe(9);
    expect(visibleLast({ state: 'left', joinedSeq: 5, leftSeq: null }, 20)).toBe(5);
  });
});

describe('pageRange', () => {
  it('reads after the join and up to the window end, one row more than the page', () => {
    expect(pageRange(active, 20, { after: 0, limit: 10 })).toEqual({ kind: 'after', above: 4, through: 20, take: 11 });
    expect(pageRange(active, 20, { limit: 10 })).toEqual({ kind: 'after', above: 4, through: 20, take: 11 });
    expect(pageRange(left, 20, { after: 7, limit: 3 })).toEqual({ kind: 'after', above: 7, through: 9, take: 4 });
  });

  it('pages back from at most just past the window, never before the join', () => {
    expect(pageRange(left, 20, { before: 100, limit: 10 })).toEqual({ kind: 'before', below: 10, from: 5, take: 11 });
    expect(pageRange(active, 20, { before: 8, limit: 2 })).toEqual({ kind: 'before', below: 8, from: 5, take: 3 });
  });
});

describe('pageOf', () => {
  it('returns ascending entries and whether more lie beyond', () => {
    const after = pageRange(active, 20, { after: 0, limit: 2 });
    const body = () => '{}';
    expect(pageOf([5, 6, 7], after, body)).toEqual({ messages: [5, 6], hasMore: true });
    expect(pageOf([5, 6], after, body)).toEqual({ messages: [5, 6], hasMore: false });
    const before = pageRange(active, 20, { before: 9, limit: 2 });
    expect(pageOf([8, 7, 6], before, body)).toEqual({ messages: [7, 8], hasMore: true });
    expect(pageOf([6, 5], before, body)).toEqual({ messages: [5, 6], hasMore: false });
  });

  it('stops once the encoded size passes maxBytes, keeping the entries nearest the start and at least one', () => {
    // Each entry: a 1,000-byte body plus the per-entry overhead; 3,000 bytes hold two of them.
    const rows = [5, 6, 7, 8];
    const body = () => 'x'.repeat(1000);
    const after = pageRange(active, 20, { after: 4, limit: 10, maxBytes: 2 * entryBytes(body()) });
    expect(pageOf(rows, after, body)).toEqual({ messages: [5, 6], hasMore: true });
    const before = pageRange(active, 20, { before: 9, limit: 10, maxBytes: 2 * entryBytes(body()) });
    expect(pageOf([8, 7, 6, 5], before, body)).toEqual({ messages: [7, 8], hasMore: true });
    // Exactly at the limit is within it; nothing beyond: no more.
    expect(pageOf([5, 6], after, body)).toEqual({ messages: [5, 6], hasMore: false });
    // One entry larger than the whole budget still makes a page, so paging moves on.
    const tiny = pageRange(active, 20, { after: 4, limit: 10, maxBytes: 10 });
    expect(pageOf(rows, tiny, body)).toEqual({ messages: [5], hasMore: true });
    expect(pageOf([5], tiny, body)).toEqual({ messages: [5], hasMore: false });
  });
});

describe('cursorRefusal', () => {
  it('refuses non-members and positions past the window', () => {
    expect(cursorRefusal(undefined, 20, 1)).toEqual({ kind: 'not_found' });
    expect(cursorRefusal(left, 20, 10)).toEqual({ kind: 'invalid_position', lastSeq: 9 });
    expect(cursorRefusal(active, 20, 21)).toEqual({ kind: 'invalid_position', lastSeq: 20 });
    expect(cursorRefusal(left, 20, 9)).toBeNull();
    expect(cursorRefusal(active, 20, 20)).toBeNull();
  });
});

describe('buildView', () => {
  it('shows an active member the conversation and its members', () => {
    expect(buildView(conv, active, ['a', 'b'], null)).toEqual({
      id: 'c',
      kind: 'group',
      title: 'T',
      lastSeq: 20,
      createdAt: 1,
      members: ['a', 'b'],
      membership: { role: 'member', state: 'active', joinedSeq: 5, leftSeq: null, readSeq: 6 },
      lastMessage: null,
      lastActivityAt: 1,
      unreadCount: 7,
      mentioned: false,
      ...flags,
    });
  });

  it('shows a left member the conversation as it was when they left, without members', () => {
    expect(buildView(conv, left, ['a', 'b'], null)).toMatchObject({
      lastSeq: 9,
      members: [],
      membership: { state: 'left', leftSeq: 9, role: 'admin' },
      unreadCount: 0,
      mentioned: false,
    });
  });

  it('copies the member list, so a caller changing the view changes nothing else', () => {
    const ids = ['a'];
    buildView(conv, active, ids, null).members.push('x');
    expect(ids).toEqual(['a']);
  });
});
