/**
 * NatsBus internals: the topic-to-subject mapping and URL parsing, and delivery of odd topics
 * against the machine's NATS server. The Bus contract and outage suites run in @natter/testkit.
 */
import { describe, expect, it } from 'vitest';
import { NatsBus, parseNatsUrl, topicSubject } from './nats-bus.js';

const NATS_URL = process.env.NATTER_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

describe('NatsBus subjects', () => {
  it('keeps a Natter topic as one token after the prefix', () => {
    expect(topicSubject('natter', 'c:c_Ab-9_x')).toBe('natter.c:c_Ab-9_x');
    expect(topicSubject('natter', 'u:u_-_Zz09')).toBe('natter.u:u_-_Zz09');
  });

  it('encodes topics NATS would split or treat as wildcards, without colliding with plain ones', () => {
    const odd = ['a.b', '*', '>', 'c:x y', '', 'héllo', 'c:x\r\n', 'enc._'];
    const subjects = odd.map((t) => topicSubject('natter', t));
    for (const s of subjects) {
      expect(s).toMatch(/^natter\.enc\._[A-Za-z0-9_-]*$/);
    }
    expect(new Set(subjects).size).toBe(odd.length);
    expect(subjects).not.toContain(topicSubject('natter', 'enc'));
  });

  it('delivers topics with odd characters, each only to its own subscribers', async () => {
    const a = await NatsBus.connect(NATS_URL);
    const b = await NatsBus.connect(NATS_URL);
    try {
      const run = Math.random().toString(36).slice(2);
      const topics = [`c:c_Ab-9_x${run}`, `x.${run}.*`, `x.${run}.>`, `x ${run}`, `é${run}`];
      const got: [string, string][] = [];
      b.onMessage((t, p) => got.push([t, p]));
      for (const t of topics) await b.subscribe(t);
      await b.subscribe(`x.${run}.y`); // would match the wildcards if they were not encoded
      for (const t of topics) await a.publish(t, `to ${t}`);
      await a.publish(`x.${run}.y`, 'last');
      await expect.poll(() => got.length, { timeout: 5_000, interval: 5 }).toBe(topics.length + 1);
      expect(got).toEqual([...topics.map((t) => [t, `to ${t}`]), [`x.${run}.y`, 'last']]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('reads credentials and several servers from the URL', () => {
    expect(parseNatsUrl('nats://u%40x:p%3Aw@h1:4223,nats://h2')).toEqual({
      servers: ['h1:4223', 'h2:4222'],
      user: 'u@x',
      pass: 'p:w',
    });
    expect(parseNatsUrl('nats://tok@127.0.0.1')).toEqual({ servers: ['127.0.0.1:4222'], token: 'tok' });
  });
});
