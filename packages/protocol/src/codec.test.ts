/** The client side of the codec: server frames as the SDK reads them. */
import { describe, expect, it } from 'vitest';
import { decodeServerFrame } from './codec.js';

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
