import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RawClient, register, startTestServer, type TestServer } from '../test-support/harness.js';

let t: TestServer;
beforeEach(async () => {
  t = await startTestServer();
});
afterEach(async () => {
  await t.close();
});

describe('messaging over the socket', () => {
  it('delivers a direct message to the peer and the sender, with seq after the created entry', async () => {
    const alice = await register(t.url);
    const bob = await register(t.url);
    const a = await RawClient.authed(t.wsUrl, alice.accessToken);
    const b = await RawClient.authed(t.wsUrl, bob.accessToken);
    const conv = await a.request({ type: 'conversation.direct', userId: bob.userId });
    expect(conv.type).toBe('result');
    const id = conv.data.id as string;
    await b.waitFor((f) => f.type === 'conversation' && f.conversation.id === id);
    const sent = await a.request({ type: 'send', conversationId: id, clientMsgId: 'k1', msgType: 'text', body: { text: 'hi' } });
    expect(sent.data.seq).toBe(2);
    const got = await b.waitFor((f) => f.type === 'message' && f.message.seq === 2);
    expect(got.message).toMatchObject({ senderId: alice.userId, body: { text: 'hi' }, clientMsgId: 'k1' });
    const again = await a.request({ type: 'send', conversationId: id, clientMsgId: 'k1', msgType: 'text', body: { text: 'hi' } });
    expect(again.data).toEqual(sent.data);
    const clash = await a.request({ type: 'send', conversationId: id, clientMsgId: 'k1', msgType: 'text', body: { text: 'other' } });
    expect(clash.error.code).toBe('client_msg_id_conflict');
    a.close();
    b.close();
  });
});
