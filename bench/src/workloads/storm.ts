/**
 * Reconnect storm (Natter only): N clients in groups, all connected and synced, group owners
 * sending; then the server restarts and every client is cut off at once. Clients behave like
 * the SDK: reconnect with full-jitter backoff (250 ms doubling to 10 s), `auth`, `sync` since
 * their token, `messages after` their last seq, and owners re-send what was never acknowledged
 * with the same clientMsgId. Measures the time from the restart until every client is back
 * and synced, and checks every acknowledged message reached every member exactly once in the
 * log (lost: a member lacks an acknowledged seq; duplicated: one clientMsgId stored twice).
 */
import { backoffDelay, type Conversation, type Message, type ServerFrame } from '@natter/protocol';
import { clientMsgId, markText, nowUs } from '../lib/marker.js';
import { forEachLimit } from '../lib/pool.js';
import { CpuMeter, SelfCpuMeter, sleep } from '../lib/proc.js';
import type { NatterTarget } from '../targets/natter.js';
import { NatterWs } from '../targets/natter-ws.js';
import { round } from './common.js';

export interface StormOptions {
  clients: number;
  groupSize: number;
  signal: NodeJS.Signals;
  /** Longest wait for everyone to be back and synced. */
  timeoutS: number;
  size: number;
}

export interface StormResult {
  [k: string]: number | string;
  clients: number;
  signal: string;
  connectMs: number;
  downMs: number;
  backMs: number;
  syncedMs: number;
  back: number;
  synced: number;
  acked: number;
  lost: number;
  duplicated: number;
  redelivered: number;
  reconnectAttempts: number;
  genCpu: number;
  serverCpu: number;
}

const BACKOFF = { initialMs: 250, maxMs: 10_000 };

interface Outgoing {
  cmid: string;
  text: string;
  key: string;
}

class Group {
  /** Marker key → seq, from everything received by any member. */
  readonly seqOfKey = new Map<string, number>();
  readonly ackedSeqs = new Set<number>();
  readonly dupKeys = new Set<string>();
}

class Client {
  conn: NatterWs | null = null;
  since: string | null = null;
  readonly have = new Set<number>();
  last = 0;
  attempt = 0;
  /** Finished its first sync. */
  ready = false;
  /** Set when this client authenticated / finished syncing after the restart. */
  backAt = 0;
  syncedAt = 0;
  readonly outbox = new Map<string, Outgoing>();
  constructor(
    readonly i: number,
    readonly token: string,
    readonly conv: string,
    readonly group: Group,
    readonly owner: boolean,
    readonly source: string,
  ) {}
}

let runSeq = 0;

export async function runStorm(t: NatterTarget, conversations: string[], o: StormOptions): Promise<StormResult> {
  const tag = `s${process.pid.toString(36)}${(runSeq++).toString(36)}`;
  const groups = conversations.map(() => new Group());
  const clients = Array.from({ length: o.clients }, (_, i) => {
    const g = Math.floor(i / o.groupSize);
    return new Client(i, t.users[i]!.token, conversations[g]!, groups[g]!, i % o.groupSize === 0, `127.0.0.${2 + (i % 8)}`);
  });
  let stopping = false;
  /** Auths and syncs completing after this instant count as "back" (the old process is gone). */
  let oldGone = Infinity;
  let redelivered = 0;
  let attempts = 0;
  let sent = 0;

  const receive = (c: Client, m: Message) => {
    if (c.have.has(m.seq)) {
      redelivered++;
      return;
    }
    c.have.add(m.seq);
    while (c.have.has(c.last + 1)) c.last++;
    const text = (m.body as { text?: unknown }).text;
    if (m.type !== 'text' || typeof text !== 'string') return;
    const key = text.slice(0, text.indexOf('~', 2) + 1);
    const known = c.group.seqOfKey.get(key);
    if (known === undefined) c.group.seqOfKey.set(key, m.seq);
    else if (known !== m.seq) c.group.dupKeys.add(key);
  };

  const post = (c: Client, out: Outgoing) => {
    const conn = c.conn;
    if (!conn?.open) return;
    conn
      .request('send', { conversationId: c.conv, clientMsgId: out.cmid, msgType: 'text', body: { text: out.text } })
      .then((r) => {
        c.outbox.delete(out.cmid);
        c.group.ackedSeqs.add(r.seq);
      })
      .catch(() => undefined); // stays in the outbox; re-sent after the next sync
  };

  const send = (c: Client) => {
    const n = sent++;
    const text = markText(c.i, n, nowUs(), o.size);
    const out = { cmid: clientMsgId(tag, c.i, n), text, key: text.slice(0, text.indexOf('~', 2) + 1) };
    c.outbox.set(out.cmid, out);
    post(c, out);
  };

  const sync = async (c: Client, conn: NatterWs) => {
    for (;;) {
      const page = await conn.request('sync', { since: c.since, limit: 100 });
      for (const conv of page.conversations as Conversation[]) {
        while (c.last < conv.lastSeq) {
          const before = c.last;
          const p = await conn.request('messages', { conversationId: conv.id, after: c.last, limit: 200 });
          for (const m of p.messages as Message[]) receive(c, m);
          if (!p.hasMore || c.last === before) break;
        }
      }
      c.since = page.token;
      if (!page.hasMore) return;
    }
  };

  const schedule = (c: Client) => {
    if (stopping) return;
    // The SDK's own schedule (one copy, in @natter/protocol).
    setTimeout(() => void connect(c), backoffDelay(c.attempt++, BACKOFF));
  };

  const connect = async (c: Client): Promise<void> => {
    if (stopping) return;
    attempts++;
    let conn: NatterWs;
    try {
      ({ conn } = await NatterWs.open(t.wsUrl, c.token, {
        localAddress: c.source,
        onPush: (f: ServerFrame) => {
          if (f.type === 'message') receive(c, f.message);
          // The server asks for a sync when a retried send turned out to be stored already.
          else if (f.type === 'resync') void sync(c, conn).catch(() => undefined);
        },
        onClose: () => {
          if (c.conn === conn) c.conn = null;
          schedule(c);
        },
      }));
    } catch {
      return; // the close that follows a failed open schedules the next attempt
    }
    c.conn = conn;
    c.attempt = 0;
    const afterRestart = performance.now() > oldGone;
    if (afterRestart && !c.backAt) c.backAt = performance.now();
    try {
      await sync(c, conn);
    } catch {
      return; // closed midway: the reconnect repeats it
    }
    c.ready = true;
    if (afterRestart && !c.syncedAt) c.syncedAt = performance.now();
    for (const out of c.outbox.values()) post(c, out);
  };

  const c0 = performance.now();
  try {
    // Everyone online and synced (the first connections are made without backoff).
    await forEachLimit(clients.length, 200, (i) => connect(clients[i]!));
    const ready = Date.now() + 60_000;
    while (clients.some((c) => !c.ready) && Date.now() < ready) await sleep(50);
    const notReady = clients.filter((c) => !c.ready).length;
    if (notReady > 0) throw new Error(`storm: ${notReady} clients could not connect and sync`);
    const connectMs = performance.now() - c0;
    // One message per group, stored and delivered; then one more in flight as the server goes.
    const owners = clients.filter((c) => c.owner);
    for (const c of owners) send(c);
    const settle = Date.now() + 10_000;
    while (owners.some((c) => c.outbox.size > 0) && Date.now() < settle) await sleep(50);
    await sleep(200);
    for (const c of owners) send(c);

    const gen = new SelfCpuMeter();
    gen.start();
    const t0 = performance.now();
    await t.halt(o.signal);
    oldGone = performance.now();
    await t.launch();
    const up = performance.now();
    const shutdownMs = oldGone - t0;
    const server = new CpuMeter(t.pid);
    server.start();
    const deadline = up + o.timeoutS * 1000;
    while (clients.some((c) => !c.syncedAt) && performance.now() < deadline) await sleep(50);
    const genCpu = gen.stop();
    const serverCpu = server.stop();
    const backAt = Math.max(...clients.map((c) => c.backAt || Infinity));
    const syncedAt = Math.max(...clients.map((c) => c.syncedAt || Infinity));

    // Live traffic after the storm: each owner sends once more; then wait for every acked seq
    // to reach every member (live, or through the re-sends' deliveries).
    for (const c of owners) send(c);
    const missing = () => {
      let lost = 0;
      for (const c of clients) for (const s of c.group.ackedSeqs) if (!c.have.has(s)) lost++;
      return lost;
    };
    const settle2 = Date.now() + 30_000;
    while ((missing() > 0 || owners.some((c) => c.outbox.size > 0)) && Date.now() < settle2) await sleep(100);
    let acked = 0;
    let duplicated = 0;
    for (const g of groups) {
      acked += g.ackedSeqs.size;
      duplicated += g.dupKeys.size;
    }
    const ms = (at: number) => (Number.isFinite(at) ? round(at - t0) : -1);
    return {
      clients: o.clients,
      signal: o.signal,
      connectMs: Math.round(connectMs),
      downMs: round(up - t0),
      shutdownMs: round(shutdownMs),
      startMs: round(up - oldGone),
      backMs: ms(backAt),
      syncedMs: ms(syncedAt),
      back: clients.filter((c) => c.backAt).length,
      synced: clients.filter((c) => c.syncedAt).length,
      acked,
      unacked: owners.reduce((n, c) => n + c.outbox.size, 0),
      lost: missing(),
      duplicated,
      redelivered,
      reconnectAttempts: attempts - o.clients,
      genCpu: round(genCpu),
      serverCpu: round(serverCpu),
    };
  } finally {
    stopping = true;
    for (const c of clients) c.conn?.close();
    await sleep(500);
  }
}
