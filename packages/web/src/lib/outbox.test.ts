import type { Message, NatterClient, SendResult } from '@natter/client';
import { describe, expect, it } from 'vitest';
import { MessageStore } from './message-store.js';
import { Outbox } from './outbox.js';

/** A client whose sends stay open until the test settles them. */
function fakeClient() {
  const sends: {
    text: string;
    clientMsgId: string;
    resolve: (r: SendResult) => void;
    reject: (e: unknown) => void;
  }[] = [];
  const client = {
    stopTyping: () => Promise.resolve(),
    sendText: (_c: string, text: string, opts: { clientMsgId: string }) =>
      new Promise<SendResult>((resolve, reject) =>
        sends.push({ text, clientMsgId: opts.clientMsgId, resolve, reject }),
      ),
  } as unknown as NatterClient;
  return { client, sends };
}

const entry = (seq: number, clientMsgId: string): Message => ({
  id: `m${seq}`,
  conversationId: 'c1',
  seq,
  senderId: 'me',
  type: 'text',
  body: { text: 'hi' },
  clientMsgId,
  replyTo: null,
  createdAt: seq,
});

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('Outbox', () => {
  it('shows a send until its log entry arrives, also after the server has stored it', async () => {
    const { client, sends } = fakeClient();
    const store = new MessageStore();
    let changes = 0;
    const outbox = new Outbox(client, store, () => changes++);
    outbox.sendText('c1', 'hi');
    const id = sends[0]!.clientMsgId;
    expect(outbox.pendingIn('c1').map((p) => p.clientMsgId)).toEqual([id]);
    sends[0]!.resolve({ id: 'm7', seq: 7, createdAt: 7 });
    await tick();
    expect(outbox.isStored(id)).toBe(true);
    expect(outbox.pendingIn('c1')).toHaveLength(1);
    store.add(entry(7, id));
    outbox.arrived(id);
    expect(outbox.isStored(id)).toBe(false);
    expect(outbox.pendingIn('c1')).toEqual([]);
    expect(changes).toBe(2);
  });

  it('drops a send at once when its entry is already held when the server answers', async () => {
    const { client, sends } = fakeClient();
    const store = new MessageStore();
    const outbox = new Outbox(client, store, () => undefined);
    outbox.sendText('c1', 'hi');
    store.add(entry(3, sends[0]!.clientMsgId));
    sends[0]!.resolve({ id: 'm3', seq: 3, createdAt: 3 });
    await tick();
    expect(outbox.pendingIn('c1')).toEqual([]);
    expect(outbox.isStored(sends[0]!.clientMsgId)).toBe(false);
  });

  it('keeps a refused send with its reason; retry sends the text again as a new message, discard forgets it', async () => {
    const { client, sends } = fakeClient();
    const outbox = new Outbox(client, new MessageStore(), () => undefined);
    outbox.sendText('c1', 'first', 'm1');
    outbox.sendText('c1', 'second');
    sends[0]!.reject({ code: 'blocked', message: 'you are blocked' });
    sends[1]!.reject(new Error('boom'));
    await tick();
    const [a, b] = outbox.failedIn('c1');
    expect([a!.code, a!.message, a!.item.replyTo]).toEqual(['blocked', 'you are blocked', 'm1']);
    expect([b!.code, b!.message]).toEqual(['error', 'boom']);
    outbox.retry(a!.item.clientMsgId);
    expect(sends[2]!.text).toBe('first');
    expect(sends[2]!.clientMsgId).not.toBe(a!.item.clientMsgId);
    expect(outbox.pendingIn('c1')[0]!.replyTo).toBe('m1');
    outbox.discard(b!.item.clientMsgId);
    expect(outbox.failedIn('c1')).toEqual([]);
  });
});
