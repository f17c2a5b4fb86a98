/**
 * Abuse, issue 18 finding 6: a retried send made every member's devices resync, without limit,
 * and a removed member could keep doing it (20 retries gave every remaining member 20 `resync`
 * pushes, each a full sync by every SDK). A retry is still answered with its original; only a
 * retry soon after the send (when a crash may have lost the publish), once, by an active member,
 * pushes `resync`. Real server and sockets; time moved through the injected Clock.
 */
import { describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '@natter/server';
import { perTest, RawClient, register } from '../harness.js';

const t = perTest();

/** The system clock, moved forward by `skew.ms` (timers still run on real time). */
function skewedClock(): Clock & { ms: number } {
  const c = { ms: 0, now: () => Date.now() + c.ms, setTimeout: systemClock.setTimeout };
  return c;
}

async function setup(clock: Clock) {
  const s = await t.start({}, { clock });
  const [alice, bob, carol] = [await register(s.url), await register(s.url), await register(s.url)];
  const a = await RawClient.authed(s.wsUrl, alice.accessToken);
  const b = await RawClient.authed(s.wsUrl, bob.accessToken);
  const c = await RawClient.authed(s.wsUrl, carol.accessToken);
  t.defer(() => [a, b, c].forEach((x) => x.close()));
  const group = await a.request({
    type: 'conversation.create',
    title: 'g',
    members: [bob.userId, carol.userId],
  });
  const id = group.data.id as string;
  await b.waitFor((f) => f.type === 'conversation' && f.conversation.id === id);
  return { a, b, c, id, carol };
}

const frame = (conversationId: string, clientMsgId: string) => ({
  type: 'send',
  conversationId,
  clientMsgId,
  msgType: 'text',
  body: { text: 'hi' },
});

/** Lets pushes arrive, then counts the resyncs one socket got. */
async function resyncsAfterSettling(x: RawClient): Promise<number> {
  await x.request({ type: 'ping' });
  await new Promise((r) => setTimeout(r, 200));
  return x.frames.filter((f) => f.type === 'resync').length;
}

describe('abuse: retried sends', () => {
  it('a removed member’s 20 retries are answered with the original and push nothing to anyone', async () => {
    const { a, b, c, id, carol } = await setup(systemClock);
    const sent = await c.request(frame(id, 'k1'));
    expect(sent.type).toBe('result');
    await a.request({ type: 'conversation.removeMember', conversationId: id, userId: carol.userId });
    await b.waitFor(
      (f) => f.type === 'message' && f.message.type === 'system' && f.message.body.event === 'member.removed',
    );
    for (let i = 0; i < 20; i++) expect((await c.request(frame(id, 'k1'))).data).toEqual(sent.data);
    expect(await resyncsAfterSettling(a)).toBe(0);
    expect(await resyncsAfterSettling(b)).toBe(0);
  });

  it('a retry soon after the send pushes one resync however often it is repeated; one long after pushes none', async () => {
    const clock = skewedClock();
    const { a, b, id } = await setup(clock);
    const sent = await a.request(frame(id, 'soon'));
    for (let i = 0; i < 10; i++) expect((await a.request(frame(id, 'soon'))).data).toEqual(sent.data);
    expect(await resyncsAfterSettling(b)).toBe(1);
    b.frames.length = 0;
    const late = await a.request(frame(id, 'late'));
    // Past the window (RETRY_RESYNC_WINDOW_SECONDS, 60 s by default): the publish went out long ago.
    clock.ms += 61_000;
    expect((await a.request(frame(id, 'late'))).data).toEqual(late.data);
    expect(await resyncsAfterSettling(b)).toBe(0);
  });
});
