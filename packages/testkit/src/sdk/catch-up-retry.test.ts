/**
 * The SDK's catch-up after coming online, when it fails while the connection stays up: it is
 * tried again (1 s, doubling to 10 s) on that same connection, `connect()` waits for it, and the
 * client ends with what it missed — instead of waiting for a reconnect that never comes.
 *
 * The failure is real: the client's socket (the `ws` package, handed to the SDK through its
 * public `WebSocket` option) loses its first `sync` frames on the way out, so the server never
 * answers them and the requests time out while everything else on the connection works.
 */
import WebSocket from 'ws';
import { expect, it } from 'vitest';
import type { Message } from '@natter/protocol';
import { MemoryCache, NatterClient, type WebSocketFactory } from '@natter/client';
import { perTestSdk, until } from './fixtures.js';
import { register, type TestServer } from '../harness.js';

const { servers, client } = perTestSdk();

/**
 * How long a request waits for its answer: a lost sync fails after it. Not shorter: on a loaded
 * host an answered request must not time out too (the counts below would be off).
 */
const REQUEST_TIMEOUT_MS = 2500;

/** What the lossy sockets saw: sockets opened, `sync` frames sent (lost ones included). */
interface Wire {
  opened: number;
  syncs: number;
}

/** A `ws` WebSocket whose first `lose` outgoing `sync` frames never leave the client. */
function losingFirstSyncs(lose: number, wire: Wire): WebSocketFactory {
  class LossySocket extends WebSocket {
    constructor(url: string) {
      super(url);
      wire.opened++;
    }

    override send(data: unknown, ...rest: unknown[]): void {
      if (typeof data === 'string' && (JSON.parse(data) as { type?: string }).type === 'sync' && ++wire.syncs <= lose) return;
      (super.send as (...args: unknown[]) => void).call(this, data, ...rest);
    }
  }
  return LossySocket as unknown as WebSocketFactory;
}

const texts = (c: NatterClient & { seen: Message[] }, conv: string) =>
  c.seen.filter((m) => m.conversationId === conv && m.type === 'text').map((m) => (m.body as { text: string }).text);

function seeing(c: NatterClient): NatterClient & { seen: Message[] } {
  const seen: Message[] = [];
  c.on('message', (m) => seen.push(m));
  return Object.assign(c, { seen });
}

/**
 * A client whose requests time out after REQUEST_TIMEOUT_MS, on the given socket, with the errors it emitted.
 * Made here rather than by perTestSdk's client(), which takes no socket or timeout options.
 */
function lossyClient(t: TestServer, token: string, cache: MemoryCache, socket: WebSocketFactory): { bob: NatterClient & { seen: Message[] }; errors: string[] } {
  const bob = seeing(new NatterClient({ url: t.wsUrl, token, cache, WebSocket: socket, requestTimeoutMs: REQUEST_TIMEOUT_MS, backoff: { initialMs: 20, maxMs: 200 } }));
  const errors: string[] = [];
  bob.on('error', (err) => errors.push((err as { code?: string }).code ?? String(err)));
  return { bob, errors };
}

/** Alice and Bob in a direct chat; Bob (a first client on `cache`) went away, then missed `n` messages. */
async function bobMissed(t: TestServer, n: number): Promise<{ alice: NatterClient; chatId: string; bobToken: string; cache: MemoryCache }> {
  const [a, b] = [await register(t.url), await register(t.url)];
  const alice = client(t, a.accessToken);
  const cache = new MemoryCache();
  const bob1 = client(t, b.accessToken, cache);
  await Promise.all([alice.connect(), bob1.connect()]);
  const chat = await alice.openDirect(b.userId);
  bob1.close();
  for (let i = 0; i < n; i++) await alice.sendText(chat.id, `missed ${i}`);
  return { alice, chatId: chat.id, bobToken: b.accessToken, cache };
}

it('a catch-up that times out while online is tried again on the same connection: connect() resolves and the missed messages arrive', async () => {
  const t = await servers.start();
  const { alice, chatId, bobToken, cache } = await bobMissed(t, 3);

  // Two lost syncs: fails at 2.5 s, again 1 s + 2.5 s later (~6 s), succeeds 2 s after that (~8 s).
  const wire: Wire = { opened: 0, syncs: 0 };
  const { bob, errors } = lossyClient(t, bobToken, cache, losingFirstSyncs(2, wire));
  try {
    const bound = new Promise<'timed out'>((resolve) => setTimeout(() => resolve('timed out'), 20_000).unref());
    const outcome = await Promise.race([bob.connect().then(() => 'connected' as const), bound]);
    expect(outcome, `state ${JSON.stringify(bob.state)}, syncs sent ${wire.syncs}, errors ${errors.join(',')}`).toBe('connected');
    await bob.idle();
    expect(texts(bob, chatId)).toEqual(['missed 0', 'missed 1', 'missed 2']);
    // The catch-up was retried on the connection it started on, not rescued by a reconnect; and
    // it stopped once a sync succeeded.
    expect(wire.opened).toBe(1);
    expect(bob.state.status).toBe('online');
    expect(errors).toEqual(['timeout', 'timeout']);
    await new Promise((r) => setTimeout(r, 1500));
    expect(wire.syncs).toBe(3);
    // Live delivery works on it too.
    await alice.sendText(chatId, 'live');
    await until(() => texts(bob, chatId).includes('live'));
  } finally {
    bob.close();
  }
}, 30_000);

it('a catch-up retry belongs to its connection: after a reconnect only the new connection catches up', async () => {
  const t = await servers.start();
  const { chatId, bobToken, cache } = await bobMissed(t, 2);
  const wire: Wire = { opened: 0, syncs: 0 };
  const { bob, errors } = lossyClient(t, bobToken, cache, losingFirstSyncs(1, wire));
  // The first catch-up times out; during the pause before its retry the connection drops.
  let failedAt = 0;
  bob.on('error', () => {
    if (failedAt === 0) {
      failedAt = Date.now();
      bob.dropConnection();
    }
  });
  try {
    await bob.connect();
    await bob.idle();
    expect(texts(bob, chatId)).toEqual(['missed 0', 'missed 1']);
    expect(wire.opened).toBe(2);
    // Past the 1 s the first connection's retry was due: it did not run on the new connection.
    await new Promise((r) => setTimeout(r, Math.max(0, failedAt + 2000 - Date.now())));
    expect(errors[0]).toBe('timeout');
    expect(wire.syncs).toBe(2);
  } finally {
    bob.close();
  }
}, 30_000);
