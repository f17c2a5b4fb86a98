import { describe, expect, it } from 'vitest';
import { applyMessageActionEntry, hiddenCopy, maskHidden, type MessageActionEntry } from './message-action-apply.js';
import type { Message } from './model.js';

const base: Message = {
  id: 'm1',
  conversationId: 'c1',
  seq: 2,
  senderId: 'u_a',
  type: 'text',
  body: { text: 'helo' },
  clientMsgId: null,
  replyTo: null,
  createdAt: 1,
  mentions: ['u_b'],
};

const entries: [MessageActionEntry, number][] = [
  [{ event: 'message.edited', by: 'u_a', messageId: 'm1', text: 'hello' }, 10],
  [{ event: 'reaction.added', by: 'u_b', messageId: 'm1', emoji: '👍' }, 11],
  [{ event: 'reaction.added', by: 'u_c', messageId: 'm1', emoji: '👍' }, 12],
  [{ event: 'reaction.added', by: 'u_c', messageId: 'm1', emoji: '🎉' }, 13],
  [{ event: 'reaction.removed', by: 'u_b', messageId: 'm1', emoji: '👍' }, 14],
];

const replay = (m: Message, es: [MessageActionEntry, number][]) => es.reduce((acc, [e, at]) => applyMessageActionEntry(acc, e, at), m);

describe('applyMessageActionEntry', () => {
  it('replaying the log onto the sent message gives the final state; replaying it again changes nothing', () => {
    const final = replay(base, entries);
    expect(final).toMatchObject({ body: { text: 'hello' }, editedAt: 10 });
    expect(final.reactions).toEqual([
      { emoji: '👍', count: 1, userIds: ['u_c'] },
      { emoji: '🎉', count: 1, userIds: ['u_c'] },
    ]);
    // A copy fetched after the actions already carries them: the entries leave it as it is.
    expect(replay(final, entries)).toEqual(final);
  });

  it('a recall drops body, mentions and reactions; later entries leave it recalled', () => {
    const recalled = replay(base, [...entries, [{ event: 'message.recalled', by: 'u_a', messageId: 'm1' }, 20]]);
    expect(recalled).not.toHaveProperty('mentions');
    expect(recalled).not.toHaveProperty('reactions');
    expect(recalled).toMatchObject({ body: {}, recalledAt: 20, editedAt: 10 });
    expect(replay(recalled, entries)).toBe(recalled);
  });

  it('an entry for another message changes nothing', () => {
    expect(applyMessageActionEntry(base, { event: 'message.recalled', by: 'u_a', messageId: 'm2' }, 5)).toBe(base);
  });
});

describe('delete for me: hiddenCopy and maskHidden', () => {
  it('a tombstone keeps the place in the log and nothing of what it said; later actions do not bring it back', () => {
    const edited = replay(base, entries);
    const tomb = hiddenCopy(edited, 50);
    expect(tomb).toEqual({ id: 'm1', conversationId: 'c1', seq: 2, senderId: 'u_a', type: 'text', body: {}, clientMsgId: null, replyTo: null, createdAt: 1, hiddenAt: 50 });
    expect(hiddenCopy(tomb, 99).hiddenAt).toBe(50);
    expect(replay(tomb, entries)).toBe(tomb);
    expect(applyMessageActionEntry(tomb, { event: 'message.recalled', by: 'u_a', messageId: 'm1' }, 60)).toBe(tomb);
  });

  it('masks hidden entries and the text of edit entries naming them; leaves the rest as they are', () => {
    const hidden = new Map([['m1', 50]]);
    const edit: Message = { ...base, id: 'm2', seq: 3, type: 'system', body: { event: 'message.edited', by: 'u_a', messageId: 'm1', text: 'secret' } };
    const other: Message = { ...base, id: 'm3', seq: 4 };
    expect(maskHidden(base, hidden)).toMatchObject({ body: {}, hiddenAt: 50 });
    expect(maskHidden(edit, hidden).body).toEqual({ event: 'message.edited', by: 'u_a', messageId: 'm1', text: '' });
    expect(maskHidden(other, hidden)).toBe(other);
    expect(maskHidden(edit, new Map())).toBe(edit);
  });
});
