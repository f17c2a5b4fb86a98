import { describe, expect, it } from 'vitest';
import type { Message, SystemBody } from '@natter/protocol';
import { checkActions, foldDisplayed, type ActionAttempt, type ActionOutcome } from './action-checker.js';

const msg = (seq: number, over: Partial<Message> = {}): Message => ({
  id: `m${seq}`,
  conversationId: 'c1',
  seq,
  senderId: 'u1',
  type: 'text',
  body: { text: `hello ${seq}` },
  clientMsgId: null,
  replyTo: null,
  createdAt: 0,
  ...over,
});
const entry = (seq: number, body: SystemBody, createdAt = 100 + seq): Message => ({ ...msg(seq), id: `e${seq}`, type: 'system', body, senderId: 'u1', createdAt });
const originals = new Map([
  ['m1', 'hello 1'],
  ['m2', 'hello 2'],
]);

/** Attempts one after another in time, 10 ms each: attempt i runs from 10i to 10i + 9. */
let clock = 0;
const attempt = (kind: ActionAttempt['kind'], outcome: ActionOutcome, over: Partial<ActionAttempt> = {}): ActionAttempt => {
  const startedAt = (clock += 10);
  return { device: 'd', userId: 'u1', conversationId: 'c1', messageId: 'm1', kind, startedAt, endedAt: startedAt + 9, outcome, ...over };
};
const run = (final: Message[], attempts: ActionAttempt[], views: Message[][] = []) =>
  checkActions({
    attempts,
    originals,
    serverLogs: new Map([['c1', final]]),
    views: views.map((messages, i) => ({ name: `view ${i}`, conversationId: 'c1', messages })),
  });

describe('message-action checker', () => {
  it('passes a history where every view holds the state the acknowledged actions leave', () => {
    const final = [msg(1, { body: { text: 'second' }, editedAt: 5, reactions: [{ emoji: '👍', count: 2, userIds: ['u2', 'u1'] }] }), msg(2, { body: {}, recalledAt: 7 })];
    const attempts = [
      attempt('edit', 'acked', { text: 'first' }),
      attempt('edit', 'acked', { text: 'second' }),
      attempt('react', 'acked', { emoji: '👍' }),
      attempt('react', 'acked', { emoji: '👍', userId: 'u2' }),
      attempt('recall', 'acked', { messageId: 'm2' }),
    ];
    // Reaction users in another order are the same set.
    const other = [{ ...final[0]!, reactions: [{ emoji: '👍', count: 2, userIds: ['u1', 'u2'] }] }, final[1]!];
    expect(run(final, attempts, [final, other])).toMatchObject({ stateDivergent: 0, wrongFinalState: 0, statesChecked: 4, messagesChecked: 2 });
  });

  it('counts a view that holds another text, reaction set or recall state, or lacks the message, as divergent', () => {
    const final = [msg(1, { body: { text: 'edited' }, editedAt: 5 }), msg(2)];
    const attempts = [attempt('edit', 'acked', { text: 'edited' })];
    const stale = [msg(1), msg(2)];
    const reacted = [final[0]!, msg(2, { reactions: [{ emoji: '👍', count: 1, userIds: ['u2'] }] })];
    const recalled = [final[0]!, msg(2, { body: {}, recalledAt: 9 })];
    const missing = [final[0]!];
    const r = run(final, attempts, [stale, reacted, recalled, missing]);
    expect(r.stateDivergent).toBe(4);
    expect(r.wrongFinalState).toBe(0);
  });

  it('counts an acknowledged recall that did not stick, and a recall nobody attempted, as wrong', () => {
    expect(run([msg(1)], [attempt('recall', 'acked')]).wrongFinalState).toBe(1);
    expect(run([msg(1, { body: {}, recalledAt: 3 })], [attempt('recall', 'refused')]).wrongFinalState).toBe(1);
    // An unanswered recall may or may not have landed.
    expect(run([msg(1)], [attempt('recall', 'cut')]).wrongFinalState).toBe(0);
    expect(run([msg(1, { body: {}, recalledAt: 3 })], [attempt('recall', 'unknown')]).wrongFinalState).toBe(0);
  });

  it('requires the last acknowledged edit, or an unanswered one that may have landed after it', () => {
    const edited = (text: string) => [msg(1, { body: { text }, editedAt: 5 })];
    const history = () => [attempt('edit', 'acked', { text: 'a' }), attempt('edit', 'cut', { text: 'b' }), attempt('edit', 'acked', { text: 'c' }), attempt('edit', 'cut', { text: 'd' })];
    expect(run(edited('c'), history()).wrongFinalState).toBe(0);
    expect(run(edited('d'), history()).wrongFinalState).toBe(0);
    // 'b' was cut before 'c' was acknowledged; 'a' was overwritten; the original was edited.
    expect(run(edited('b'), history()).wrongFinalState).toBe(1);
    expect(run(edited('a'), history()).wrongFinalState).toBe(1);
    expect(run([msg(1)], history()).wrongFinalState).toBe(1);
    // A timed-out edit may land any time later.
    expect(run(edited('b'), [attempt('edit', 'acked', { text: 'a' }), attempt('edit', 'unknown', { text: 'b' }), attempt('edit', 'acked', { text: 'c' })]).wrongFinalState).toBe(0);
    // The marker goes with the text.
    expect(run([msg(1, { body: { text: 'c' } })], [attempt('edit', 'acked', { text: 'c' })]).wrongFinalState).toBe(1);
  });

  it('checks each (user, emoji) against the acknowledged add/remove order', () => {
    const thumbs = (userIds: string[]) => [msg(1, userIds.length ? { reactions: [{ emoji: '👍', count: userIds.length, userIds }] } : {})];
    const addThenRemove = () => [attempt('react', 'acked', { emoji: '👍' }), attempt('unreact', 'acked', { emoji: '👍' })];
    expect(run(thumbs([]), addThenRemove()).wrongFinalState).toBe(0);
    expect(run(thumbs(['u1']), addThenRemove()).wrongFinalState).toBe(1);
    // Nobody reacted, or only a refused reaction: nothing may be there.
    expect(run(thumbs(['u2']), []).wrongFinalState).toBe(1);
    expect(run(thumbs(['u1']), [attempt('react', 'refused', { emoji: '👍' })]).wrongFinalState).toBe(1);
    // Overlapping attempts from two devices of one user: either order is possible.
    const a = attempt('react', 'acked', { emoji: '👍' });
    const b = { ...attempt('unreact', 'acked', { emoji: '👍', device: 'd2' }), startedAt: a.startedAt + 1 };
    expect(run(thumbs(['u1']), [a, b]).wrongFinalState).toBe(0);
    expect(run(thumbs([]), [a, b]).wrongFinalState).toBe(0);
    // A count that does not match who reacted.
    expect(run([msg(1, { reactions: [{ emoji: '👍', count: 2, userIds: ['u1'] }] })], [attempt('react', 'acked', { emoji: '👍' })]).wrongFinalState).toBe(1);
  });
});

describe('foldDisplayed', () => {
  it('applies the displayed action entries to the messages as first shown, whichever copy came first', () => {
    const live = [
      msg(1),
      entry(2, { event: 'message.edited', by: 'u1', messageId: 'm1', text: 'x' }),
      entry(3, { event: 'reaction.added', by: 'u2', messageId: 'm1', emoji: '👍' }),
      entry(4, { event: 'message.edited', by: 'u1', messageId: 'm1', text: 'y' }),
      entry(5, { event: 'reaction.removed', by: 'u2', messageId: 'm1', emoji: '👍' }),
    ];
    const folded = foldDisplayed(live);
    expect(folded).toEqual([msg(1, { body: { text: 'y' }, editedAt: 104 })]);
    // A copy fetched after every entry already carries their result; replaying them ends the same.
    expect(foldDisplayed([folded[0]!, ...live.slice(1)])).toEqual(folded);
  });
});
