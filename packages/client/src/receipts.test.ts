import { describe, expect, it } from 'vitest';
import { ReceiptBook } from './receipts.js';

describe('ReceiptBook', () => {
  it('moves each cursor forward only, per conversation, user and kind', () => {
    const book = new ReceiptBook();
    expect(book.apply({ conversationId: 'c', kind: 'delivered', userId: 'bob', seq: 4 })).toBe(true);
    expect(book.apply({ conversationId: 'c', kind: 'delivered', userId: 'bob', seq: 3 })).toBe(false);
    expect(book.apply({ conversationId: 'c', kind: 'delivered', userId: 'bob', seq: 4 })).toBe(false);
    expect(book.apply({ conversationId: 'c', kind: 'read', userId: 'bob', seq: 2 })).toBe(true);
    expect(book.apply({ conversationId: 'd', kind: 'read', userId: 'bob', seq: 1 })).toBe(true);
    expect(book.get('c')).toEqual({ read: new Map([['bob', 2]]), delivered: new Map([['bob', 4]]) });
    expect(book.get('nothing')).toEqual({ read: new Map(), delivered: new Map() });
  });

  it('applies an answer and returns only what moved; an older answer changes nothing', () => {
    const book = new ReceiptBook();
    book.apply({ conversationId: 'c', kind: 'delivered', userId: 'bob', seq: 5 });
    const moved = book.applyResult({ conversationId: 'c', readReceipts: true, read: [{ userId: 'bob', seq: 3 }], delivered: [{ userId: 'bob', seq: 4 }], counts: [] });
    expect(moved).toEqual([{ conversationId: 'c', kind: 'read', userId: 'bob', seq: 3 }]);
    expect(book.get('c').delivered.get('bob')).toBe(5);
  });

  it('follows the conversations most recently touched, and forgets one on request', () => {
    const book = new ReceiptBook();
    for (const id of ['a', 'b', 'c']) book.apply({ conversationId: id, kind: 'read', userId: 'u', seq: 1 });
    book.apply({ conversationId: 'a', kind: 'read', userId: 'u', seq: 2 });
    expect(book.conversations()).toEqual(['b', 'c', 'a']);
    book.forget('c');
    expect(book.conversations()).toEqual(['b', 'a']);
  });
});
