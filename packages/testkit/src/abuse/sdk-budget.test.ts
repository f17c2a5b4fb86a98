/**
 * The read budgets against an honest client: the SDK's catch-up asks for a sync page's
 * conversations all at once; over budget it is told `rate_limited` with `retryAfterMs`, waits
 * and asks again, so a catch-up larger than the budget spreads out instead of failing.
 */
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import type { Message } from '@natter/protocol';
import { NatterClient, type WebSocketFactory } from '@natter/client';
import { perTest, RawClient, register } from '../harness.js';

const t = perTest();

describe('abuse: budgets and the SDK', () => {
  it('the SDK catches up 30 conversations on a budget of 5 reads at once, honouring retryAfterMs', async () => {
    const s = await t.start({
      USER_READ_BURST: 5,
      USER_READS_PER_SECOND: 20,
      CONNECTION_READ_BURST: 5,
      CONNECTION_READS_PER_SECOND: 20,
    });
    const startedAt = Date.now();
    const [alice, bob] = [await register(s.url), await register(s.url)];
    const a = await RawClient.authed(s.wsUrl, alice.accessToken);
    t.defer(() => a.close());
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const g = await a.request({ type: 'conversation.create', title: `g${i}`, members: [bob.userId] });
      ids.push(g.data.id);
      expect(
        (
          await a.request({
            type: 'send',
            conversationId: g.data.id,
            clientMsgId: `k${i}`,
            msgType: 'text',
            body: { text: `hello ${i}` },
          })
        ).type,
      ).toBe('result');
    }
    const client = new NatterClient({
      url: s.wsUrl,
      token: bob.accessToken,
      WebSocket: WebSocket as unknown as WebSocketFactory,
    });
    t.defer(() => client.close());
    const seen: Message[] = [];
    client.on('message', (m) => seen.push(m));
    const errors: string[] = [];
    client.on('error', (err) => errors.push(String((err as { code?: string }).code ?? err)));
    const setUpMs = Date.now() - startedAt;
    // Bounded, so a connect that never resolves says where it stood instead of timing the test out.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`connect() still waiting after 30 s (set-up ${setUpMs} ms, state ${client.state.status}, ${seen.length} messages, errors: ${errors.join(', ') || 'none'})`)),
          30_000,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    // The catch-up is given 15 s from the connect; the set-up before it (60 requests) is not
    // counted, since in the whole suite on two cores it alone has taken most of the old 30 s.
    const deadline = Date.now() + 15_000;
    while (seen.filter((m) => m.type === 'text').length < 30 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const texts = seen.filter((m) => m.type === 'text');
    expect(new Set(texts.map((m) => m.conversationId)), `set-up ${setUpMs} ms, ${texts.length} of 30 after the catch-up's 15 s, errors: ${errors.join(', ') || 'none'}`).toEqual(new Set(ids));
  }, 90_000);
});
