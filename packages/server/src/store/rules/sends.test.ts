/** Unit tests of the send rules (retry or conflict, reply targets) and the conversation rules. */
import { describe, expect, it } from 'vitest';
import type { NewMessage } from '../store.js';
import { createdBody, directKey } from './conversations.js';
import { replyAllowed, sameSend } from './sends.js';

const send: NewMessage = {
  id: 'm1',
  conversationId: 'c',
  senderId: 'u',
  type: 'text',
  body: '{"text":"hi"}',
  clientMsgId: 'k',
  replyTo: null,
  createdAt: 1,
};

describe('sameSend', () => {
  it('is a retry when conversation, type, body and reply match, whatever the id and time', () => {
    expect(sameSend({ conversationId: 'c', type: 'text', body: '{"text":"hi"}', replyTo: null }, { ...send, id: 'm2', createdAt: 9 })).toBe(true);
  });

  it('is a conflict when any of them differs', () => {
    const prior = { conversationId: 'c', type: 'text', body: '{"text":"hi"}', replyTo: null };
    expect(sameSend({ ...prior, conversationId: 'd' }, send)).toBe(false);
    expect(sameSend({ ...prior, type: 'custom' }, send)).toBe(false);
    expect(sameSend({ ...prior, body: '{"text":"ho"}' }, send)).toBe(false);
    expect(sameSend({ ...prior, replyTo: 'm0' }, send)).toBe(false);
  });
});

describe('replyAllowed', () => {
  it('allows replies to visible entries of the same conversation only', () => {
    expect(replyAllowed({ conversationId: 'c', seq: 5 }, 'c', 5)).toBe(true);
    expect(replyAllowed({ conversationId: 'c', seq: 4 }, 'c', 5)).toBe(false);
    expect(replyAllowed({ conversationId: 'd', seq: 9 }, 'c', 1)).toBe(false);
    expect(replyAllowed(undefined, 'c', 1)).toBe(false);
  });
});

describe('directKey and createdBody', () => {
  it('gives a pair one key whichever asks', () => {
    expect(directKey('b', 'a')).toBe(directKey('a', 'b'));
    expect(directKey('a', 'b')).toBe('a:b');
  });

  it('names the creator, title and members in given order', () => {
    const body = createdBody({
      id: 'c',
      kind: 'group',
      title: 'T',
      createdBy: 'o',
      members: [
        { userId: 'o', role: 'owner' },
        { userId: 'b', role: 'member' },
      ],
      createdMessageId: 'm',
      createdAt: 1,
    });
    expect(body).toEqual({ event: 'conversation.created', by: 'o', title: 'T', members: ['o', 'b'] });
  });
});
