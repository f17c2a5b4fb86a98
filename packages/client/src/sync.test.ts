import { describe, expect, it } from 'vitest';
import type { Connection } from './connection.js';
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
