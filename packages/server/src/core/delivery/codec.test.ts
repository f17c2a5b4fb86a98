/**
 * The envelope codec: frames as clients read them (null fields left out, the sender's
 * clientMsgId in their copy only), and bus envelopes that round-trip their routing fields or
 * turn into a resync when another version wrote them.
 */
import { describe, expect, it } from 'vitest';
import { storedMessage } from '../../store/rows.js';
import { newConversationId, newMessageId, newUserId } from '../ids.js';
import type { NewMessage } from '../../store/store.js';
import {
  decodeConversationEnvelope,
  decodeUserEnvelope,
  encodeEntry,
  encodeUserEnvelope,
  entryFrame,
  ownCopy,
  sentMessageFrame,
  type UserEnvelope,
} from './codec.js';

const base: NewMessage = {
  id: '01JD0000000000000000000000',
  conversationId: '01JD0000000000000000000001',
  senderId: '01JD0000000000000000000002',
  type: 'text',
  body: '{"text":"hi"}',
  clientMsgId: '0193a5c2-7b1e-7cc1-9f2a-5b8e1d3c4a60',
  replyTo: null,
  createdAt: 1_700_000_000_000,
};
// Bodies as the server stores them: JSON.stringify of what the client sent.
const bodies: unknown[] = [
  { text: 'plain' },
  { text: 'quotes " and \\ backslash, \n newline, \u0000 nul, tab\t', mentions: ['u2', 'u"3'] },
  { text: 'ünïcödé 😀 \u2028 \ud800 lone surrogate' },
  { nested: { a: [1, -0, 1e21, 0.1, -5e-7, true, null, 'x'] }, __proto__x: {} },
  JSON.parse('{"__proto__":{"polluted":1},"k":"v"}'),
  [1, [2, [3]]],
  'a string body',
  12.5,
  null,
  { clientMsgId: null, '"clientMsgId":null': '}}' },
];

describe('the live message frame', () => {
  it('is byte for byte the compact frame of the stored entry, for every kind of body; the sender copy adds only the clientMsgId', () => {
    for (const [i, body] of bodies.entries()) {
      for (const replyTo of [null, 'm"0']) {
        const m: NewMessage = { ...base, type: i === 0 ? 'text' : 'custom', body: JSON.stringify(body), replyTo, clientMsgId: `k"${i}\u00e9` };
        const stored = storedMessage(m, 42);
        const others = sentMessageFrame(m, 42);
        expect(others).toBe(entryFrame({ ...stored, clientMsgId: null }));
        expect(ownCopy(others, m.clientMsgId)).toBe(entryFrame(stored));
        const read = JSON.parse(others) as { message: Record<string, unknown> };
        expect(read.message).not.toHaveProperty('clientMsgId');
        expect(JSON.stringify(read.message.body)).toBe(JSON.stringify(body));
        expect(JSON.parse(ownCopy(others, m.clientMsgId)).message).toEqual({ ...read.message, clientMsgId: m.clientMsgId });
      }
    }
  });

  it('leaves null fields out: a 64-character text push is well under 350 bytes', () => {
    const m: NewMessage = {
      ...base,
      id: newMessageId(),
      conversationId: newConversationId(),
      senderId: newUserId(),
      body: JSON.stringify({ text: 'x'.repeat(64) }),
      createdAt: Date.now(),
    };
    const frame = sentMessageFrame(m, 1234);
    expect(frame).not.toContain('null');
    // 284 bytes with the server's ids at seq 1234; the previous format wrote 318 (null clientMsgId and replyTo).
    expect(Buffer.byteLength(frame)).toBeLessThanOrEqual(290);
  });
});

describe('bus envelopes', () => {
  it('carry an entry with its routing fields', () => {
    const frame = sentMessageFrame(base, 7);
    const e = decodeConversationEnvelope(encodeEntry({ seq: 7, frame, senderId: 'u2', clientMsgId: 'k1' }));
    expect(e).toMatchObject({ kind: 'entry', seq: 7, senderId: 'u2', clientMsgId: 'k1', removedUserId: null });
    expect(e.kind === 'entry' && e.frame.json).toBe(frame);
    const removal = decodeConversationEnvelope(encodeEntry({ seq: 8, frame: '{"type":"message"}', removedUserId: 'u3' }));
    expect(removal).toMatchObject({ kind: 'entry', seq: 8, senderId: null, clientMsgId: null, removedUserId: 'u3' });
  });

  it.each([
    ['the previous version (NUL header)', '\u00003\u0000u1\u0000k1\u0000{"type":"message"}'],
    ['the previous version (a bare resync frame)', '{"type":"resync"}'],
    ['a later version', '\u0002E\u00003\u0000{}'],
    ['a truncated header', '\u0001E\u00003\u0000u1'],
    ['a seq that is not a number', '\u0001E\u0000x\u0000\u0000\u0000\u0000{}'],
  ])('become a resync when written by %s', (_, payload) => {
    expect(decodeConversationEnvelope(payload)).toEqual({ kind: 'resync' });
  });

  it('carry user events, and none this version does not know', () => {
    const e: UserEnvelope = { k: 'revoke', deviceIds: ['d1'] };
    expect(decodeUserEnvelope(encodeUserEnvelope(e))).toEqual(e);
    expect(decodeUserEnvelope('{"k":"frame","frame":"{}"}')).toBeNull();
    expect(decodeUserEnvelope('not json')).toBeNull();
  });
});
