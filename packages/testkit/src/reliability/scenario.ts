/**
 * The checker scenario, independent of what runs the server: SDK clients (some users on two
 * devices) chat in direct and group conversations while `target.fault()` kills server
 * processes at random moments, and one device goes offline for a while; devices mark
 * conversations read at random as they go, and recall, edit and react to messages
 * (action-traffic.ts). At the end every device syncs and the checker counts lost, duplicated,
 * reordered and divergent messages, every device's unread counts and badge (its SDK
 * ConversationList) and every server view against the truth computed from the final logs and
 * read cursors (unreadMismatches), and the final state of every message on every device against
 * the server's and against the actions that were acknowledged (action-checker.ts).
 */
import WebSocket from 'ws';
import type { Conversation, Message } from '@natter/protocol';
import { MemoryCache, NatterClient, type ConversationList, type WebSocketFactory } from '@natter/client';
import { checkActions, foldDisplayed, type ActionCheckResult, type StateView } from './action-checker.js';
import { ActionTraffic } from './action-traffic.js';
import { check, checkUnread, type Ack, type CheckResult, type UnreadResult } from './checker.js';

export interface ScenarioTarget {
  /** HTTP base URL (through the load balancer in a cluster). */
  url: string;
  /** One fault: kill a process (and bring it back). Resolves when the fault has happened. */
  fault(): Promise<void>;
}

export interface ScenarioOptions {
  faults: number;
  sendsPerDevice: number;
  seed: number;
  /** Milliseconds between faults: min + random·spread. */
  faultGapMs?: { min: number; spread: number };
  log?: (line: string) => void;
  /** How long delivery may take to complete by itself after sending stops (default 15 s). */
  settleMs?: number;
}

export interface ScenarioResult extends CheckResult, Omit<UnreadResult, 'details'>, Omit<ActionCheckResult, 'details'> {
  /** Message actions attempted (retries included), and how they ended. */
  actions: number;
  actionsAcked: number;
  actionsRefused: number;
  /** Attempts whose answer was lost to a fault (cut or timed out): applied or not. */
  actionsUnanswered: number;
  /** Reads the devices made during the run (answered by the server). */
  reads: number;
  faults: number;
  faultsDuringTraffic: number;
  sent: number;
  acked: number;
  stored: number;
  /** Acknowledged messages a member device had not shown before the final explicit sync. */
  undeliveredWithoutSync: number;
}

interface Device {
  name: string;
  userId: string;
  token: string;
  cache: MemoryCache;
  client: NatterClient;
  /** The device's conversation list, following its client. */
  list: ConversationList;
  displayed: Message[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runScenario(target: ScenarioTarget, o: ScenarioOptions): Promise<ScenarioResult> {
  let state = o.seed;
  const rand = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const wsUrl = target.url.replace(/^http/, 'ws') + '/v1/ws';
  const run = `${o.seed.toString(36)}${Date.now().toString(36)}`;

  async function post(path: string, body: unknown): Promise<any> {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(target.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (res.ok) return res.json();
      if (attempt > 5) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      await sleep(200);
    }
  }

  function open(d: Omit<Device, 'client' | 'list'> & { client?: NatterClient; list?: ConversationList }): Device {
    d.list?.close();
    const client = new NatterClient({
      url: wsUrl,
      token: d.token,
      WebSocket: WebSocket as unknown as WebSocketFactory,
      cache: d.cache,
      backoff: { initialMs: 50, maxMs: 500 },
      requestTimeoutMs: 3000,
    });
    client.on('message', (m) => d.displayed.push(m));
    return Object.assign(d, { client, list: client.conversationList() }) as Device;
  }

  // Six users; the first two use two devices each.
  const users: { id: string; username: string; tokens: string[] }[] = [];
  for (let i = 0; i < 6; i++) {
    const username = `chk${i}_${run}`.slice(0, 32);
    const r = await post('/v1/auth/register', { username, password: 'a long enough password' });
    const tokens = [r.tokens.accessToken as string];
    if (i < 2) tokens.push((await post('/v1/auth/login', { username, password: 'a long enough password' })).accessToken);
    users.push({ id: r.user.id, username, tokens });
  }
  const devices: Device[] = [];
  for (const u of users) {
    u.tokens.forEach((token, k) => devices.push(open({ name: `${u.username.slice(0, 4)}/d${k}`, userId: u.id, token, cache: new MemoryCache(), displayed: [] })));
  }
  await Promise.all(devices.map((d) => d.client.connect()));
  const byUser = (id: string) => devices.find((d) => d.userId === id)!;

  // Three direct conversations and two groups.
  const members = new Map<string, string[]>();
  const ids = users.map((u) => u.id);
  for (const [x, y] of [
    [0, 1],
    [2, 3],
    [0, 4],
  ] as const) {
    const c = await byUser(ids[x]!).client.openDirect(ids[y]!);
    members.set(c.id, [ids[x]!, ids[y]!]);
  }
  for (const group of [
    [0, 1, 2, 3],
    [1, 3, 4, 5],
  ]) {
    const c = await byUser(ids[group[0]!]!).client.createGroup({ title: 'checker', members: group.slice(1).map((i) => ids[i]!) });
    members.set(c.id, group.map((i) => ids[i]!));
  }
  const convsOf = (userId: string) => [...members].filter(([, m]) => m.includes(userId)).map(([c]) => c);

  const acks: Ack[] = [];
  /** `${conversationId}/${userId}` → the highest seq a read or send of the user was answered with. */
  const readAtLeast = new Map<string, number>();
  const cursorAtLeast = (conv: string, userId: string, seq: number) => {
    const k = `${conv}/${userId}`;
    readAtLeast.set(k, Math.max(readAtLeast.get(k) ?? 0, seq));
  };
  let reads = 0;
  let sent = 0;
  let faults = 0;
  let faultsDuringTraffic = 0;
  let sending = true;
  const offlineDevice = devices[devices.length - 1]!;
  const actions = new ActionTraffic(rand);

  // Each device sends with a few requests in flight; the outbox retries across faults.
  // Sending goes on until every fault has happened under traffic (bounded at 5x the base count).
  const senders = devices.map(async (d, di) => {
    const convs = convsOf(d.userId);
    const inflight = new Set<Promise<void>>();
    // One action at a time per device, so one device's edits of a message are sequential.
    let acting = false;
    for (let i = 0; i < o.sendsPerDevice || (faults < o.faults && i < o.sendsPerDevice * 5); i++) {
      if (d === offlineDevice && i === Math.floor(o.sendsPerDevice / 3)) {
        // This device goes offline for a while (the app is closed), then reopens on its cache.
        await Promise.all(inflight);
        d.client.close();
        await sleep(3000);
        open(d);
        await d.client.connect();
      }
      const conv = convs[Math.floor(rand() * convs.length)]!;
      const clientMsgId = `${di}-${i}`;
      sent++;
      const text = `${d.name} #${i}`;
      const p = d.client.sendText(conv, text, { clientMsgId }).then((r) => {
        acks.push({ conversationId: conv, clientMsgId, senderId: d.userId, id: r.id, seq: r.seq });
        actions.sent(d.name, conv, r.id, text);
        cursorAtLeast(conv, d.userId, r.seq);
      });
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
      if (!acting && rand() < 0.1) {
        acting = true;
        const a = actions.act(d).finally(() => (acting = false));
        inflight.add(a);
        void a.finally(() => inflight.delete(a));
      }
      if (rand() < 0.15) {
        // This device reads a conversation up to what it has shown (the user opened it).
        const readConv = convs[Math.floor(rand() * convs.length)]!;
        const upTo = d.displayed.filter((m) => m.conversationId === readConv).at(-1)?.seq ?? 0;
        if (upTo > 0) {
          const r = d.client.markRead(readConv, upTo).then(
            (res) => {
              reads++;
              cursorAtLeast(readConv, d.userId, res.seq);
            },
            // A read cut off by a fault may or may not have been applied: the final cursor says.
            () => {},
          );
          inflight.add(r);
          void r.finally(() => inflight.delete(r));
        }
      }
      if (inflight.size >= 4) await Promise.race(inflight);
      if (rand() < 0.5) await sleep(rand() * 40);
    }
    await Promise.all(inflight);
  });

  const gap = o.faultGapMs ?? { min: 300, spread: 900 };
  const faulter = (async () => {
    while (sending && faults < o.faults) {
      await sleep(gap.min + rand() * gap.spread);
      if (!sending) break;
      await target.fault();
      faults++;
      faultsDuringTraffic++;
    }
  })();

  await Promise.all(senders);
  sending = false;
  await faulter;

  // Delivery must complete by itself — live pushes, gap fills, resyncs after reconnects or bus
  // outages — before anyone asks for a sync. Count what is still missing after a grace period.
  const missing = () => {
    let n = 0;
    for (const d of devices) {
      const shown = new Set(d.displayed.map((m) => m.id));
      for (const a of acks) if (members.get(a.conversationId)!.includes(d.userId) && !shown.has(a.id)) n++;
    }
    return n;
  };
  const settleUntil = Date.now() + (o.settleMs ?? 15_000);
  while (missing() > 0 && Date.now() < settleUntil) await sleep(100);
  const undeliveredWithoutSync = missing();

  for (const d of devices) {
    await d.client.syncNow();
    await d.client.idle();
  }

  // Each member sees the clientMsgIds of their own sends only: the log is read as every member,
  // each entry taken from its sender's copy, so duplicates in storage are found by clientMsgId.
  const readLog = async (conv: string, token: string): Promise<Message[]> => {
    const log: Message[] = [];
    let after = 0;
    for (;;) {
      const res = await fetch(`${target.url}/v1/conversations/${conv}/messages?after=${after}&limit=200`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const page = (await res.json()) as { messages: Message[]; hasMore: boolean };
      log.push(...page.messages);
      if (!page.hasMore || page.messages.length === 0) break;
      after = page.messages[page.messages.length - 1]!.seq;
    }
    return log;
  };
  const serverLogs = new Map<string, Message[]>();
  const stateViews: StateView[] = [];
  for (const [conv, userIds] of members) {
    const views = await Promise.all(userIds.map(async (u) => [u, await readLog(conv, byUser(u).token)] as const));
    for (const [u, log] of views) stateViews.push({ name: `server as ${u}`, conversationId: conv, messages: log });
    const copies = new Map(views.map(([u, log]) => [u, new Map(log.map((m) => [m.seq, m]))]));
    serverLogs.set(
      conv,
      views[0]![1].map((m) => copies.get(m.senderId)?.get(m.seq) ?? m),
    );
  }
  // Unread: every device's list and badge, and every server view, against the truth computed
  // from the final logs and read cursors. Views pushed by reads on other devices may still be
  // on their way: a device that disagrees syncs again (a few rounds at most).
  const getView = async (conv: string, token: string): Promise<Conversation> => {
    const res = await fetch(`${target.url}/v1/conversations/${conv}`, { headers: { authorization: `Bearer ${token}` } });
    return (await res.json()) as Conversation;
  };
  const readSeqs = new Map<string, number>();
  const serverUnread = new Map<string, number>();
  for (const [conv, userIds] of members) {
    for (const u of userIds) {
      const v = await getView(conv, byUser(u).token);
      readSeqs.set(`${conv}/${u}`, v.membership.readSeq);
      serverUnread.set(`${conv}/${u}`, v.unreadCount);
    }
  }
  const unreadNow = () =>
    checkUnread({
      members,
      serverLogs,
      readSeqs,
      readAtLeast,
      serverUnread,
      devices: devices.map((d) => ({
        device: d.name,
        userId: d.userId,
        unread: new Map(d.list.items.map((c) => [c.id, c.unreadCount])),
        total: d.list.totalUnread,
      })),
    });
  for (const d of devices) await d.list.settled();
  let unread = unreadNow();
  for (let round = 0; round < 3 && unread.unreadMismatches > 0; round++) {
    o.log?.(`unread round ${round}: ${unread.unreadMismatches} mismatches, syncing again\n${unread.details.join('\n')}`);
    for (const d of devices) {
      await d.client.syncNow();
      await d.client.idle();
      await d.list.settled();
    }
    unread = unreadNow();
  }
  for (const d of devices) {
    d.list.close();
    d.client.close();
    // The final state of every message as the device's SDK holds it, and as the checker folds it
    // from the entries the device displayed.
    for (const conv of convsOf(d.userId)) {
      stateViews.push({ name: `${d.name} (SDK cache)`, conversationId: conv, messages: await d.cache.getMessages(conv) });
      stateViews.push({ name: `${d.name} (displayed)`, conversationId: conv, messages: foldDisplayed(d.displayed.filter((m) => m.conversationId === conv)) });
    }
  }
  const actionResult = checkActions({ attempts: actions.attempts, originals: actions.originals, serverLogs, views: stateViews });
  const actionCount = (o: string) => actions.attempts.filter((a) => a.outcome === o).length;
  const actionKinds = (['recall', 'edit', 'react', 'unreact'] as const).map((k) => `${k} ${actions.attempts.filter((a) => a.kind === k).length}`).join(', ');

  const result = check({
    acks,
    devices: devices.map((d) => ({ device: d.name, userId: d.userId, displayed: d.displayed })),
    members,
    serverLogs,
  });
  const stored = [...serverLogs.values()].reduce((n, l) => n + l.filter((m) => m.type === 'text').length, 0);
  const summary: ScenarioResult = {
    ...result,
    details: [...result.details, ...unread.details, ...actionResult.details],
    unreadMismatches: unread.unreadMismatches,
    readCursorsBehind: unread.readCursorsBehind,
    unreadChecked: unread.unreadChecked,
    reads,
    faults,
    faultsDuringTraffic,
    sent,
    acked: acks.length,
    stored,
    undeliveredWithoutSync,
    actions: actions.attempts.length,
    actionsAcked: actionCount('acked'),
    actionsRefused: actionCount('refused'),
    actionsUnanswered: actionCount('cut') + actionCount('unknown'),
    statesChecked: actionResult.statesChecked,
    stateDivergent: actionResult.stateDivergent,
    messagesChecked: actionResult.messagesChecked,
    wrongFinalState: actionResult.wrongFinalState,
    finalRecalled: actionResult.finalRecalled,
    finalEdited: actionResult.finalEdited,
    finalReactions: actionResult.finalReactions,
  };
  o.log?.(
    `checker (seed ${o.seed}): faults=${faults} (during traffic ${faultsDuringTraffic}) sent=${sent} acked=${acks.length} stored=${stored} ` +
      `checked=${result.checked} undelivered-before-final-sync=${undeliveredWithoutSync} lost=${result.lost} duplicated=${result.duplicated} reordered=${result.reordered} divergent=${result.divergent} ` +
      `reads=${reads} unread-checked=${unread.unreadChecked} unreadMismatches=${unread.unreadMismatches} read-cursors-behind=${unread.readCursorsBehind} ` +
      `actions=${summary.actions} (${actionKinds}; acked ${summary.actionsAcked}, refused ${summary.actionsRefused}, unanswered ${summary.actionsUnanswered}) ` +
      `final: recalled=${actionResult.finalRecalled} edited=${actionResult.finalEdited} reactions=${actionResult.finalReactions} ` +
      `states-checked=${actionResult.statesChecked} state-divergent=${actionResult.stateDivergent} messages-checked=${actionResult.messagesChecked} wrong-final-state=${actionResult.wrongFinalState}`,
  );
  if (summary.details.length) o.log?.(summary.details.join('\n'));
  return summary;
}
