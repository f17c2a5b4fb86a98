import type { Message } from '@natter/client';
import { describe, expect, it } from 'vitest';
import { MessageStore } from './message-store.js';

const msg = (seq: number, extra: Partial<Message> = {}): Message => ({
  id: `m${seq}`,
  conversationId: 'c1',
  seq,
  senderId: 'u2',
  type: 'text',
  body: { text: `line ${seq}` },
  clientMsgId: null,
  replyTo: null,
  createdAt: 1000 + seq,
  ...extra,
});

const seqs = (s: MessageStore) => s.of('c1').map((m) => m.seq);

describe('MessageStore', () => {
  it('keeps live messages in seq order and ignores a seq it already holds', () => {
    const s = new MessageStore();
    s.add(msg(3));
    s.add(msg(1));
    s.add(msg(3, { body: { text: 'again' } }));
    expect(seqs(s)).toEqual([1, 3]);
    expect((s.of('c1')[1]!.body as { text: string }).text).toBe('line 3');
    expect(s.first('c1')?.seq).toBe(1);
    expect(s.last('c1')?.seq).toBe(3);
    expect(s.hasSeq('c1', 2)).toBe(false);
    expect(s.of('other')).toEqual([]);
  });

  it('replaces a changed message where it stands and ignores one it does not hold', () => {
    const s = new MessageStore();
    s.add(msg(1));
    s.add(msg(2));
    s.replace(msg(1, { recalledAt: 5, body: {} }));
    s.replace(msg(9));
    expect(s.of('c1').map((m) => m.recalledAt ?? null)).toEqual([5, null]);
    expect(seqs(s)).toEqual([1, 2]);
  });

  it('merges the cache under what arrived live, once, and prepends older pages without duplicates', () => {
    const s = new MessageStore();
    s.add(msg(5, { body: { text: 'live' } }));
    expect(s.isLoaded('c1')).toBe(false);
    expect(s.mergeCached('c1', [msg(4), msg(5, { body: { text: 'cached' } })])).toBe(2);
    expect(s.isLoaded('c1')).toBe(true);
    expect((s.last('c1')!.body as { text: string }).text).toBe('live');
    s.prepend('c1', [msg(2), msg(3), msg(4, { body: { text: 'dup' } })]);
    expect(seqs(s)).toEqual([2, 3, 4, 5]);
    expect((s.of('c1')[2]!.body as { text: string }).text).toBe('line 4');
  });
});
