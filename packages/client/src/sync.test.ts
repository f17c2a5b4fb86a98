import { describe, expect, it } from 'vitest';
import type { Connection } from './connection.js';
import type { Conversation, Message } from '@natter/protocol/wire';
import { MemoryCache } from './cache.js';
import { SyncEngine } from './sync.js';

/** A connection whose `sync` answers wait for the test, counting them. */
function slowServer() {
  const pending: (() => void)[] = [];
  let version = 0;
  const conn = {
    request: async (frame: { type: string }) => {
      expect(frame.type).toBe('sync');
      await new Promise<void>((resolve) => pending.push(resolve));
      return { conversations: [], token: `v1.${++version}`, hasMore: false };
    },
  } as unknown as Connection;
  const answer = async () => {
    while (pending.length === 0) await new Promise((r) => setImmediate(r));
    pending.shift()!();
    await new Promise((r) => setImmediate(r));
  };
  return { conn, pending, answer, syncs: () => version };
}

describe('SyncEngine.syncAll', () => {
  it('runs once more after the sync under way however often it is called meanwhile (a burst of resync pushes)', async () => {
    const server = slowServer();
    const cache = new MemoryCache();
    const sync = new SyncEngine(server.conn, cache, { message: () => {}, conversation: () => {}, error: () => {} });
    const first = sync.syncAll();
    const burst = [sync.syncAll(), sync.syncAll(), sync.syncAll()];
    await server.answer();
    await first;
    // The calls made during the first sync are served by one more, which starts after it.
    await server.answer();
    await Promise.all(burst);
    expect(server.syncs()).toBe(2);
    expect(server.pending).toEqual([]);
    expect(await cache.getSyncToken()).toBe('v1.2');
    // And a call after that is a sync of its own.
    const later = sync.syncAll();
    await server.answer();
    await later;
    expect(server.syncs()).toBe(3);
  });
});

describe('SyncEngine acks', () => {
  /** A connection that records the frames sent without an answer. */
  function recordingServer() {
    const notified: unknown[] = [];
    const conn = { notify: (f: unknown) => void notified.push(f), request: async () => ({}) } as unknown as Connection;
    return { conn, notified };
  }
  const conversation = { id: 'c1', lastSeq: 0, membership: { state: 'active' } } as unknown as Conversation;
  const entry = (seq: number) => ({ id: `m${seq}`, conversationId: 'c1', seq, senderId: 'u2', type: 'text', body: { text: `${seq}` }, createdAt: seq }) as unknown as Message;

  it('acknowledges entries applied within one window with one ack of the highest seq', async () => {
    const server = recordingServer();
    const cache = new MemoryCache();
    await cache.putConversation(conversation);
    const sync = new SyncEngine(server.conn, cache, { message: () => {}, conversation: () => {}, error: () => {} }, 30);
    for (const seq of [1, 2, 3]) sync.onPushMessage(entry(seq));
    await sync.idle();
    expect(server.notified).toEqual([]);
    await new Promise((r) => setTimeout(r, 60));
    expect(server.notified).toEqual([{ type: 'ack', conversationId: 'c1', seq: 3 }]);
    sync.dispose();
  });

  it('sends what is pending at once when flushed (the client closing), and nothing twice', async () => {
    const server = recordingServer();
    const cache = new MemoryCache();
    await cache.putConversation(conversation);
    const sync = new SyncEngine(server.conn, cache, { message: () => {}, conversation: () => {}, error: () => {} }, 10_000);
    sync.onPushMessage(entry(1));
    sync.onPushMessage(entry(2));
    await sync.idle();
    sync.flushAcks();
    expect(server.notified).toEqual([{ type: 'ack', conversationId: 'c1', seq: 2 }]);
    sync.flushAcks();
    expect(server.notified).toHaveLength(1);
    sync.dispose();
  });
});
