import { describe, expect, it } from 'vitest';
import type { AppendOutcome, NewMessage, Store } from '../store/store.js';
import { Committer } from './committer.js';

/** A store whose appends are answered when the test says so, in call order like the SQLite thread. */
function manualStore() {
  const calls: { batch: NewMessage[]; answer: () => void }[] = [];
  let seq = 0;
  const store = {
    appendsInOrder: true,
    appendMessages: (batch: NewMessage[]) =>
      new Promise<AppendOutcome[]>((resolve) => {
        calls.push({ batch, answer: () => resolve(batch.map(() => ({ kind: 'stored', seq: ++seq }))) });
      }),
  } as unknown as Store;
  return { store, calls };
}

const message = (n: number): NewMessage => ({
  id: `m${n}`,
  conversationId: 'c1',
  senderId: 'u1',
  type: 'text',
  body: '{"text":"hi"}',
  clientMsgId: `k${n}`,
  replyTo: null,
  createdAt: 0,
});

const turn = () => new Promise((r) => setImmediate(r));

describe('Committer', () => {
  it('gathers the sends that arrive while a commit runs into the next commit, not one commit each', async () => {
    const { store, calls } = manualStore();
    const c = new Committer(store, 512, 4, 32);
    const first = c.submit(message(0));
    await turn();
    expect(calls).toHaveLength(1);
    // Five sends in separate turns while the first commit is in flight: none is handed over yet.
    const later: Promise<AppendOutcome>[] = [];
    for (let i = 1; i <= 5; i++) {
      later.push(c.submit(message(i)));
      await turn();
    }
    expect(calls).toHaveLength(1);
    calls[0]!.answer();
    await expect(first).resolves.toEqual({ kind: 'stored', seq: 1 });
    await turn();
    expect(calls).toHaveLength(2);
    expect(calls[1]!.batch.map((m) => m.id)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    calls[1]!.answer();
    expect(await Promise.all(later)).toEqual([2, 3, 4, 5, 6].map((seq) => ({ kind: 'stored', seq })));
  });

  it('pipelines batches when enough sends wait, so a saturated store thread never idles between them', async () => {
    const { store, calls } = manualStore();
    const c = new Committer(store, 512, 4, 32);
    void c.submit(message(0));
    await turn();
    for (let i = 1; i <= 40; i++) void c.submit(message(i));
    await turn();
    // The first commit is still running, and a second batch was handed over behind it.
    expect(calls).toHaveLength(2);
    expect(calls[1]!.batch).toHaveLength(40);
    // At most `pipeline` batches in flight.
    for (let w = 0; w < 5; w++) {
      for (let i = 0; i < 40; i++) void c.submit(message(100 + w * 40 + i));
      await turn();
    }
    expect(calls).toHaveLength(4);
    // The rest leaves as the slots free up, in submission order.
    for (let answered = 0; answered < calls.length; answered++) {
      calls[answered]!.answer();
      await turn();
      await turn();
    }
    const ids = calls.flatMap((x) => x.batch.map((m) => Number(m.id.slice(1))));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(ids).toHaveLength(241);
  });

  it('hands over one batch at a time on a store without ordered appends (PostgreSQL)', async () => {
    const { store, calls } = manualStore();
    (store as { appendsInOrder?: boolean }).appendsInOrder = false;
    const c = new Committer(store, 512, 4, 32);
    void c.submit(message(0));
    await turn();
    for (let i = 1; i <= 100; i++) void c.submit(message(i));
    await turn();
    expect(calls).toHaveLength(1);
  });
});
