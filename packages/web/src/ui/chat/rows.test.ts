import type { Message } from '@natter/client';
import { describe, expect, it } from 'vitest';
import { buildRows } from './rows.js';

const T0 = new Date(2026, 0, 5, 12, 0).getTime();
const msg = (seq: number, senderId: string, minutes: number, extra: Partial<Message> = {}): Message => ({
  id: `m${seq}`,
  conversationId: 'c',
  seq,
  senderId,
  type: 'text',
  body: { text: `text ${seq}` },
  clientMsgId: null,
  replyTo: null,
  createdAt: T0 + minutes * 60_000,
  ...extra,
});
const system = (seq: number, event: string, minutes: number): Message =>
  msg(seq, 'ann', minutes, { type: 'system', body: { event } });
const shape = (messages: Message[], readSeq: number) =>
  buildRows(messages, readSeq, 'me').map((r) =>
    r.kind === 'group' ? `${r.senderId}:${r.messages.map((m) => m.seq).join(',')}` : r.kind,
  );

describe('chat rows', () => {
  it("groups one sender's messages less than five minutes apart, and starts a new group after a gap or another sender", () => {
    const messages = [
      msg(1, 'ann', 0),
      msg(2, 'ann', 4),
      msg(3, 'ann', 10),
      msg(4, 'me', 11),
      msg(5, 'ann', 12),
    ];
    expect(shape(messages, 5)).toEqual(['day', 'ann:1,2', 'ann:3', 'me:4', 'ann:5']);
  });

  it('puts the new-messages line before the first unread message from someone else, once', () => {
    const messages = [msg(1, 'ann', 0), msg(2, 'me', 1), msg(3, 'ann', 2), msg(4, 'ann', 3)];
    expect(shape(messages, 1)).toEqual(['day', 'ann:1', 'me:2', 'unread', 'ann:3,4']);
  });

  it('shows membership entries but not the recall, edit and reaction entries, nor messages deleted for me', () => {
    const messages = [
      system(1, 'conversation.created', 0),
      msg(2, 'ann', 1, { hiddenAt: T0 }),
      system(3, 'message.edited', 2),
      system(4, 'reaction.added', 2),
      msg(5, 'ann', 3),
    ];
    expect(shape(messages, 5)).toEqual(['day', 'system', 'ann:5']);
  });

  it('starts each day with its separator', () => {
    const messages = [msg(1, 'ann', 0), msg(2, 'ann', 1), msg(3, 'ann', 24 * 60)];
    expect(shape(messages, 3)).toEqual(['day', 'ann:1,2', 'day', 'ann:3']);
  });
});
