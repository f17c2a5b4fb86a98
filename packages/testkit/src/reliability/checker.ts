/**
 * The Jepsen-style checker for conversation logs. Given what senders were told ("stored at
 * seq N") and what each device displayed, in order, it counts the four ways a chat can break:
 * - lost: acknowledged to its sender but missing on a member's device;
 * - duplicated: a clientMsgId stored twice, or a message displayed twice on one device;
 * - reordered: seqs not strictly increasing in what one device displayed;
 * - divergent: two devices (or a device and the server) disagreeing on what is at a seq.
 * Pure functions, so the cluster checker can reuse it.
 */
import type { Message } from '@natter/protocol';

export interface Ack {
  conversationId: string;
  clientMsgId: string;
  senderId: string;
  id: string;
  seq: number;
}

export interface DeviceView {
  device: string;
  userId: string;
  /** Messages in display order, as the SDK emitted them. */
  displayed: Message[];
}

export interface CheckInput {
  acks: Ack[];
  devices: DeviceView[];
  /** conversationId → user ids that were members for the whole run. */
  members: Map<string, string[]>;
  /** conversationId → the server's final log. */
  serverLogs: Map<string, Message[]>;
}

export interface CheckResult {
  lost: number;
  duplicated: number;
  reordered: number;
  divergent: number;
  checked: number;
  details: string[];
}

export function check(input: CheckInput): CheckResult {
  const r: CheckResult = { lost: 0, duplicated: 0, reordered: 0, divergent: 0, checked: 0, details: [] };
  const note = (s: string) => {
    if (r.details.length < 20) r.details.push(s);
  };

  // Duplicates in storage: one clientMsgId per sender stored once.
  for (const [conv, log] of input.serverLogs) {
    const keys = new Set<string>();
    for (const m of log) {
      if (m.clientMsgId === null) continue;
      const k = `${m.senderId}/${m.clientMsgId}`;
      if (keys.has(k)) {
        r.duplicated++;
        note(`stored twice: ${k} in ${conv}`);
      }
      keys.add(k);
    }
    log.forEach((m, i) => {
      if (i > 0 && m.seq !== log[i - 1]!.seq + 1) {
        r.reordered++;
        note(`server log of ${conv} not gap-free at seq ${m.seq}`);
      }
    });
  }

  const serverAt = new Map<string, Map<number, string>>();
  for (const [conv, log] of input.serverLogs) serverAt.set(conv, new Map(log.map((m) => [m.seq, m.id])));

  for (const d of input.devices) {
    const byConv = new Map<string, Message[]>();
    for (const m of d.displayed) {
      let list = byConv.get(m.conversationId);
      if (!list) byConv.set(m.conversationId, (list = []));
      list.push(m);
    }
    for (const [conv, list] of byConv) {
      const ids = new Set<string>();
      let prev = 0;
      for (const m of list) {
        if (ids.has(m.id)) {
          r.duplicated++;
          note(`${d.device} displayed ${m.id} twice`);
        }
        ids.add(m.id);
        if (m.seq <= prev) {
          r.reordered++;
          note(`${d.device} displayed seq ${m.seq} after ${prev} in ${conv}`);
        }
        prev = m.seq;
        const truth = serverAt.get(conv)?.get(m.seq);
        if (truth !== m.id) {
          r.divergent++;
          note(`${d.device} shows ${m.id} at ${conv}#${m.seq}, server has ${truth}`);
        }
      }
    }
    // Lost: every acknowledged message of a conversation this device's user is in.
    for (const a of input.acks) {
      if (!input.members.get(a.conversationId)?.includes(d.userId)) continue;
      r.checked++;
      const shown = byConv.get(a.conversationId)?.find((m) => m.id === a.id);
      if (!shown) {
        r.lost++;
        note(`${d.device} never displayed ${a.id} (${a.conversationId}#${a.seq})`);
      } else if (shown.seq !== a.seq) {
        r.divergent++;
        note(`${d.device} shows ${a.id} at ${shown.seq}, sender was told ${a.seq}`);
      }
    }
  }

  // Divergence between devices: the same seq must hold the same message everywhere.
  const seen = new Map<string, string>();
  for (const d of input.devices) {
    for (const m of d.displayed) {
      const k = `${m.conversationId}#${m.seq}`;
      const other = seen.get(k);
      if (other !== undefined && other !== m.id) {
        r.divergent++;
        note(`devices disagree at ${k}`);
      }
      seen.set(k, m.id);
    }
  }
  return r;
}

// --- unread counts ------------------------------------------------------------------------

/** One device's conversation list at the end of a run (the SDK's ConversationList). */
export interface DeviceUnread {
  device: string;
  userId: string;
  /** conversationId → the unread count the device shows. */
  unread: Map<string, number>;
  /** The total badge the device shows. */
  total: number;
}

export interface UnreadInput {
  /** conversationId → user ids that were members for the whole run. */
  members: Map<string, string[]>;
  /** conversationId → the server's final log. */
  serverLogs: Map<string, Message[]>;
  /** `${conversationId}/${userId}` → the user's final read cursor, as the server reports it. */
  readSeqs: Map<string, number>;
  /** `${conversationId}/${userId}` → the highest seq the user was told a read or a send of theirs moved the cursor to. */
  readAtLeast: Map<string, number>;
  /** `${conversationId}/${userId}` → the unread count the server's own view reports. */
  serverUnread: Map<string, number>;
  devices: DeviceUnread[];
}

export interface UnreadResult {
  /** Counts (per device and conversation, per device badge, per server view) that differ from the truth. */
  unreadMismatches: number;
  /** Read cursors behind a read or send the user was told had moved them. */
  readCursorsBehind: number;
  unreadChecked: number;
  details: string[];
}

/**
 * The truth, computed from the final logs and read cursors alone: a member's unread count is the
 * number of entries after their read cursor that are not system entries and not their own; the
 * badge is its sum over their conversations (none is muted in a run). Every device's list and
 * every server view must show exactly that.
 */
export function checkUnread(input: UnreadInput): UnreadResult {
  const r: UnreadResult = { unreadMismatches: 0, readCursorsBehind: 0, unreadChecked: 0, details: [] };
  const note = (s: string) => {
    if (r.details.length < 20) r.details.push(s);
  };
  const truth = new Map<string, number>();
  for (const [conv, userIds] of input.members) {
    const log = input.serverLogs.get(conv) ?? [];
    for (const u of userIds) {
      const key = `${conv}/${u}`;
      const readSeq = input.readSeqs.get(key) ?? 0;
      if (readSeq < (input.readAtLeast.get(key) ?? 0)) {
        r.readCursorsBehind++;
        note(`read cursor of ${u} in ${conv} at ${readSeq}, below ${input.readAtLeast.get(key)} acknowledged`);
      }
      const n = log.filter((m) => m.seq > readSeq && m.type !== 'system' && m.senderId !== u).length;
      truth.set(key, n);
      r.unreadChecked++;
      const server = input.serverUnread.get(key);
      if (server !== n) {
        r.unreadMismatches++;
        note(`server view of ${u} in ${conv}: unread ${server}, truth ${n}`);
      }
    }
  }
  for (const d of input.devices) {
    let total = 0;
    for (const [conv, userIds] of input.members) {
      if (!userIds.includes(d.userId)) continue;
      const n = truth.get(`${conv}/${d.userId}`)!;
      total += n;
      r.unreadChecked++;
      const shown = d.unread.get(conv);
      if (shown !== n) {
        r.unreadMismatches++;
        note(`${d.device} shows unread ${shown} in ${conv}, truth ${n}`);
      }
    }
    r.unreadChecked++;
    if (d.total !== total) {
      r.unreadMismatches++;
      note(`${d.device} shows a badge of ${d.total}, truth ${total}`);
    }
  }
  return r;
}
