/**
 * Store contract: message search (the SearchStore part of @natter/server's Store; docs/search.md).
 * Only what the user may see (their windows), text (Chinese and English) by substring terms,
 * filters, newest-first pages with a cursor. Run through runStoreContract in ../store.ts.
 */
import { describe, expect, it } from 'vitest';
import type { MessageSearch } from '@natter/server';
import { T0, type StoreHarness } from './harness.js';

export function searchContract(t: StoreHarness): void {
  const find = async (userId: string, query: string, extra: Partial<MessageSearch> = {}) => {
    const page = await t.store.searchMessages(userId, { terms: query.split(' ').filter(Boolean), limit: 50, ...extra });
    return page.messages.map((m) => (m.body as { text: string }).text);
  };

  describe('search', () => {
    it('finds English and Chinese text by substring, ASCII case-insensitively, every term required', async () => {
      const [a, b] = [await t.user('alice'), await t.user('bob')];
      const { state } = await t.store.openDirect(a, b, t.direct(a, b));
      await t.send(state.id, a, 'Hello World, meeting at noon');
      await t.send(state.id, b, '今天天气很好，我们明天开会讨论项目');
      await t.send(state.id, a, 'nothing to see');
      expect(await find(b, 'meeting')).toEqual(['Hello World, meeting at noon']);
      expect(await find(b, 'HELLO')).toEqual(['Hello World, meeting at noon']);
      expect(await find(b, 'hello noon')).toEqual(['Hello World, meeting at noon']);
      expect(await find(b, 'hello 天气')).toEqual([]);
      // Three characters and more go through the trigram index; one or two characters do not.
      expect(await find(a, '开会讨论')).toEqual(['今天天气很好，我们明天开会讨论项目']);
      expect(await find(a, '天气')).toEqual(['今天天气很好，我们明天开会讨论项目']);
      expect(await find(a, '好')).toEqual(['今天天气很好，我们明天开会讨论项目']);
      expect(await find(a, 'to')).toEqual(['nothing to see']);
      expect(await find(a, '天气 项目 今天')).toEqual(['今天天气很好，我们明天开会讨论项目']);
      expect(await find(a, 'absent')).toEqual([]);
      expect(await find(a, '下雨')).toEqual([]);
    });

    it('treats LIKE wildcards and FTS syntax in a term as the characters themselves', async () => {
      const a = await t.user('alice');
      const g = await t.group(a);
      await t.send(g.id, a, '100% sure');
      await t.send(g.id, a, '1000 sure');
      await t.send(g.id, a, 'a_b and "quoted" OR NOT');
      await t.send(g.id, a, 'axb');
      expect(await find(a, '100%')).toEqual(['100% sure']);
      expect(await find(a, 'a_b')).toEqual(['a_b and "quoted" OR NOT']);
      expect(await find(a, '"quoted"')).toEqual(['a_b and "quoted" OR NOT']);
      expect(await find(a, 'OR')).toEqual(['a_b and "quoted" OR NOT']);
      expect(await find(a, '%')).toEqual(['100% sure']);
    });

    it('finds only text: not system entries, not custom bodies', async () => {
      const a = await t.user('alice');
      const g = await t.group(a);
      await t.send(g.id, a, 'ignored', { type: 'custom', body: JSON.stringify({ text: 'Team custom secret' }) });
      await t.send(g.id, a, 'Team talk');
      // The group's creation entry carries its title "Team".
      expect(await find(a, 'Team')).toEqual(['Team talk']);
      expect(await find(a, 'secret')).toEqual([]);
    });

    it('a non-member finds nothing; a member finds only from when they joined', async () => {
      const [a, b, c] = [await t.user('alice'), await t.user('bob'), await t.user('carol')];
      const g = await t.group(a, [b]);
      await t.send(g.id, a, 'secret plan 秘密');
      expect(await find(c, 'secret')).toEqual([]);
      expect(await find(c, '秘密')).toEqual([]);
      expect(await find(c, 'secret', { conversationId: g.id })).toEqual([]);
      await t.change(g.id, { kind: 'add', userIds: [c], by: a });
      await t.send(g.id, a, 'secret party 秘密');
      expect(await find(c, 'secret')).toEqual(['secret party 秘密']);
      expect(await find(c, '秘密')).toEqual(['secret party 秘密']);
      expect(await find(b, 'secret')).toEqual(['secret party 秘密', 'secret plan 秘密']);
    });

    it('a member who left (or was removed) finds what they saw, nothing sent after', async () => {
      const [a, b, c] = [await t.user('alice'), await t.user('bob'), await t.user('carol')];
      const g = await t.group(a, [b, c]);
      await t.send(g.id, a, 'alpha before 好的');
      await t.change(g.id, { kind: 'leave', userId: b });
      await t.change(g.id, { kind: 'remove', userId: c, by: a });
      await t.send(g.id, a, 'alpha after 好的');
      for (const u of [b, c]) {
        expect(await find(u, 'alpha')).toEqual(['alpha before 好的']);
        expect(await find(u, '好的')).toEqual(['alpha before 好的']);
      }
      expect(await find(a, 'alpha')).toEqual(['alpha after 好的', 'alpha before 好的']);
    });

    it('filters by conversation, sender and time; pages newest first with a cursor', async () => {
      const [a, b] = [await t.user('alice'), await t.user('bob')];
      const g1 = await t.group(a, [b]);
      const g2 = await t.group(a, [b]);
      const sent = [];
      for (let i = 0; i < 5; i++) sent.push(await t.send(i % 2 ? g2.id : g1.id, i < 3 ? a : b, `report ${i}`));
      expect(await find(a, 'report', { conversationId: g1.id })).toEqual(['report 4', 'report 2', 'report 0']);
      expect(await find(a, 'report', { senderId: b })).toEqual(['report 4', 'report 3']);
      expect(await find(a, 'report', { after: sent[1]!.createdAt, before: sent[4]!.createdAt })).toEqual(['report 3', 'report 2']);
      const first = await t.store.searchMessages(a, { terms: ['report'], limit: 2 });
      expect(first.messages.map((m) => m.seq > 0 && (m.body as { text: string }).text)).toEqual(['report 4', 'report 3']);
      expect(first.hasMore).toBe(true);
      const last = first.messages[1]!;
      const second = await t.store.searchMessages(a, { terms: ['report'], limit: 2, cursor: { createdAt: last.createdAt, id: last.id } });
      expect(second.messages.map((m) => (m.body as { text: string }).text)).toEqual(['report 2', 'report 1']);
      expect(second.hasMore).toBe(true);
      const end = second.messages[1]!;
      const third = await t.store.searchMessages(a, { terms: ['report'], limit: 2, cursor: { createdAt: end.createdAt, id: end.id } });
      expect(third.messages.map((m) => (m.body as { text: string }).text)).toEqual(['report 0']);
      expect(third.hasMore).toBe(false);
    });

    it('orders hits of the same time by id; shows clientMsgId on the searcher\'s own messages only', async () => {
      const [a, b] = [await t.user('alice'), await t.user('bob')];
      const g = await t.group(a, [b]);
      await t.send(g.id, a, 'same time', { id: 'm_a', createdAt: T0 + 500 });
      await t.send(g.id, b, 'same time', { id: 'm_b', createdAt: T0 + 500 });
      const page = await t.store.searchMessages(a, { terms: ['same'], limit: 1 });
      expect(page.messages.map((m) => m.id)).toEqual(['m_b']);
      expect(page.messages[0]!.clientMsgId).toBeNull();
      const next = await t.store.searchMessages(a, { terms: ['same'], limit: 1, cursor: { createdAt: T0 + 500, id: 'm_b' } });
      expect(next.messages.map((m) => m.id)).toEqual(['m_a']);
      expect(next.messages[0]!.clientMsgId).not.toBeNull();
      expect(next.hasMore).toBe(false);
    });
  });
}
