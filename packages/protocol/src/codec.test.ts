/** The codec: acks read without JSON.parse exactly as the full path reads them; server frames as the SDK reads them. */
import { describe, expect, it } from 'vitest';
import { decodeAnyClientFrame, decodeClientFrame, decodeServerFrame } from './codec.js';

describe('decodeClientFrame on acks', () => {
  const same = [
    '{"type":"ack","conversationId":"c_kjit9A","seq":2}',
    '{"type":"ack","id":9,"conversationId":"c_kjit9A","seq":0}',
    '{"type":"ack","id":0,"conversationId":"a-b_C","seq":9007199254740991}',
    // Not the common shape: the full path decides, and both agree.
    '{"type":"ack","conversationId":"c1","seq":9007199254740992}',
    '{"type":"ack","id":9007199254740993,"conversationId":"c1","seq":1}',
    '{"type":"ack","conversationId":"c1","seq":-1}',
    '{"type":"ack","conversationId":"c1","seq":1.5}',
    '{"type":"ack","conversationId":"c1","seq":01}',
    '{"type":"ack","conversationId":"c 1","seq":1}',
    '{"type":"ack","conversationId":"","seq":1}',
    `{"type":"ack","conversationId":"${'x'.repeat(65)}","seq":1}`,
    '{"type":"ack","conversationId":"c\u0031","seq":1}',
    '{"type":"ack","id":"r1","conversationId":"c1","seq":1}',
    '{"type":"ack","conversationId":"c1","seq":1,"extra":true}',
    '{"type":"ack", "conversationId":"c1","seq":1}',
    '{"type":"ack","conversationId":"c1","seq":1}x',
    '{"type":"ack","seq":1,"conversationId":"c1"}',
  ];
  it.each(same)('gives what JSON.parse and the schema give: %s', (text) => {
    expect(decodeClientFrame(text)).toEqual(decodeAnyClientFrame(text));
  });

  it('reads the common shape to the frame', () => {
    expect(decodeClientFrame('{"type":"ack","id":9,"conversationId":"c_kjit9A","seq":2}')).toEqual({ ok: true, frame: { type: 'ack', id: 9, conversationId: 'c_kjit9A', seq: 2 } });
  });
});

describe('decodeServerFrame', () => {
  it('reads a message frame that leaves null fields out with those fields null', () => {
    const frame = decodeServerFrame('{"type":"message","message":{"id":"m1","conversationId":"c1","seq":3,"senderId":"u1","type":"text","body":{"text":"hi"},"createdAt":5}}');
    expect(frame).toEqual({
      type: 'message',
      message: { id: 'm1', conversationId: 'c1', seq: 3, senderId: 'u1', type: 'text', body: { text: 'hi' }, clientMsgId: null, replyTo: null, createdAt: 5 },
    });
  });

  it('keeps the fields a message frame carries', () => {
    const frame = decodeServerFrame('{"type":"message","message":{"id":"m1","seq":3,"replyTo":"m0","createdAt":5,"clientMsgId":"k1"}}');
    expect(frame?.type === 'message' && [frame.message.clientMsgId, frame.message.replyTo]).toEqual(['k1', 'm0']);
  });

  it('gives null for text that is not a frame', () => {
    expect(decodeServerFrame('nope')).toBeNull();
    expect(decodeServerFrame('[1]')).toBeNull();
  });
});
