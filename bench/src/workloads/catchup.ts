/**
 * Catch-up (Natter only): a device goes offline while M messages arrive over C conversations,
 * then reconnects and catches up the way the SDK does: `auth`, `sync` since its token, then
 * `messages after` its last seq for each changed conversation, all conversations of a sync
 * page at once, paging while `hasMore`. Measures the time from opening the socket to holding
 * every message, and the bytes it took. Every message is checked to arrive once, in order.
 */
import type { Conversation, Message } from '@natter/protocol';
import { clientMsgId, markText, nowUs } from '../lib/marker.js';
import { SelfCpuMeter } from '../lib/proc.js';
import type { NatterTarget } from '../targets/natter.js';
import { NatterWs } from '../targets/natter-ws.js';
import { round } from './common.js';

export interface CatchupOptions {
  messages: number;
  conversations: number;
  size: number;
}

export interface CatchupResult {
  [k: string]: number;
  catchupMs: number;
  connectMs: number;
  messages: number;
  expected: number;
  gaps: number;
  bytesIn: number;
  bytesOut: number;
  requests: number;
  sendMs: number;
  genCpu: number;
}

/** The offline device: its sync token and how far it holds each conversation. */
export interface Device {
  token: string;
  since: string | null;
  last: Map<string, number>;
}

const PAGE = 200;

/** Makes the reader (user 0), the sender (user 1) and the conversations; the device syncs once. */
export async function prepareCatchup(t: NatterTarget, o: CatchupOptions): Promise<{ device: Device; conversations: string[] }> {
  const rooms = Array.from({ length: o.conversations }, () => [1, 0]);
  const conversations = await t.setup(2, rooms, 'group');
  const device: Device = { token: t.users[0]!.token, since: null, last: new Map() };
  await catchUp(t, device);
  return { device, conversations };
}

/** Sends `o.messages` round-robin over the conversations from user 1, pipelined, until all are stored. */
async function sendAll(t: NatterTarget, conversations: string[], o: CatchupOptions, tag: string): Promise<void> {
  let acked = 0;
  let sent = 0;
  let failure = '';
  let wake: () => void = () => {};
  const { conn } = await NatterWs.open(t.wsUrl, t.users[1]!.token, {
    lean: {
      onDelivery() {},
      onAck() {
        acked++;
        wake();
      },
      onError(detail) {
        failure ||= detail;
        acked++;
        wake();
      },
    },
  });
  try {
    while (acked < o.messages) {
      while (sent < o.messages && sent - acked < 500) {
        const c = conversations[sent % conversations.length]!;
        conn.send(c, markText(1, sent, nowUs(), o.size), sent + 1, clientMsgId(tag, 0, sent));
        sent++;
      }
      await new Promise<void>((r) => {
        wake = r;
      });
    }
  } finally {
    conn.close();
  }
  if (failure) throw new Error(`catchup: a send failed: ${failure}`);
}

/** The SDK's catch-up, measured. Updates `device` to where it now holds. */
async function catchUp(t: NatterTarget, d: Device): Promise<{ ms: number; connectMs: number; messages: number; gaps: number; bytesIn: number; bytesOut: number; requests: number }> {
  const t0 = performance.now();
  const { conn } = await NatterWs.open(t.wsUrl, d.token);
  const connectMs = performance.now() - t0;
  let messages = 0;
  let gaps = 0;
  let requests = 0;
  const follow = async (c: Conversation) => {
    let last = d.last.get(c.id) ?? 0;
    while (last < c.lastSeq) {
      requests++;
      const page = await conn.request('messages', { conversationId: c.id, after: last, limit: PAGE });
      for (const m of page.messages as Message[]) {
        if (m.seq !== last + 1) gaps++;
        if (m.seq > last) last = m.seq;
        messages++;
      }
      if (!page.hasMore || page.messages.length === 0) break;
    }
    d.last.set(c.id, last);
  };
  try {
    for (;;) {
      requests++;
      const page = await conn.request('sync', { since: d.since, limit: 100 });
      await Promise.all(page.conversations.map(follow));
      d.since = page.token;
      if (!page.hasMore) break;
    }
  } finally {
    conn.close();
  }
  return { ms: performance.now() - t0, connectMs, messages, gaps, bytesIn: conn.bytesIn, bytesOut: conn.bytesOut, requests };
}

let runSeq = 0;

export async function runCatchup(t: NatterTarget, device: Device, conversations: string[], o: CatchupOptions): Promise<CatchupResult> {
  const s0 = performance.now();
  await sendAll(t, conversations, o, `c${process.pid.toString(36)}${(runSeq++).toString(36)}`);
  const sendMs = performance.now() - s0;
  const gen = new SelfCpuMeter();
  gen.start();
  const r = await catchUp(t, device);
  const genCpu = gen.stop();
  return {
    catchupMs: round(r.ms),
    connectMs: round(r.connectMs),
    messages: r.messages,
    expected: o.messages,
    gaps: r.gaps + Math.abs(o.messages - r.messages),
    bytesIn: r.bytesIn,
    bytesOut: r.bytesOut,
    requests: r.requests,
    sendMs: Math.round(sendMs),
    genCpu: round(genCpu),
  };
}
