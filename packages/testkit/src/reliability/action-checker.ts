/**
 * The checker for message actions (recall, edit, reactions) under faults. Given every action a
 * device attempted (and how it ended), the server's final log and every other view of the final
 * state (each device's SDK cache, each device's own fold of the entries it displayed, each
 * member's read of the server), it counts:
 * - stateDivergent: a view whose final state of a message differs from the server's (the
 *   comparison covers the body and recalled flag, edited text and marker, reaction sets per emoji);
 * - wrongFinalState: a final state the attempts cannot explain — an acknowledged recall not
 *   recalled, a recall nobody attempted, a text other than the last acknowledged edit's (or one
 *   of the unacknowledged edits that may have landed after it), a reaction set against the
 *   acknowledged add/remove order per (user, emoji).
 * Pure functions, like checker.ts.
 */
import { applyMessageActionEntry, isMessageActionEntry, type Message } from '@natter/protocol/wire';

/**
 * How an attempt ended:
 * - acked: the server answered with the message (applied before `endedAt`, or a no-op);
 * - refused: the server answered with an error (not_found, rate_limited, …): nothing was done;
 * - cut: the connection dropped first. In these scenarios a connection drops only when the
 *   process holding it is killed, so the action was committed before `endedAt` or never;
 * - unknown: no answer in time (or an unexpected error): it may land at any time after it started.
 */
export type ActionOutcome = 'acked' | 'refused' | 'cut' | 'unknown';

export interface ActionAttempt {
  device: string;
  userId: string;
  conversationId: string;
  messageId: string;
  kind: 'recall' | 'edit' | 'react' | 'unreact';
  /** The edit's new text. */
  text?: string;
  /** The reaction's emoji. */
  emoji?: string;
  startedAt: number;
  endedAt: number;
  outcome: ActionOutcome;
}

/** One view of the final state of one conversation's messages. */
export interface StateView {
  name: string;
  conversationId: string;
  messages: Message[];
}

export interface ActionCheckInput {
  attempts: ActionAttempt[];
  /** messageId → the text it was sent with (its sender knows it). */
  originals: Map<string, string>;
  /** conversationId → the server's final log: the reference state of every message. */
  serverLogs: Map<string, Message[]>;
  views: StateView[];
}

export interface ActionCheckResult {
  /** (view, message) pairs compared with the server's final state. */
  statesChecked: number;
  stateDivergent: number;
  /** Messages whose final state was checked against the attempts. */
  messagesChecked: number;
  wrongFinalState: number;
  /** In the server's final state: messages recalled, edited (not recalled), and reactions (user, emoji). */
  finalRecalled: number;
  finalEdited: number;
  finalReactions: number;
  details: string[];
}

/**
 * The final state of a message as the checker compares it: body (empty once recalled), recall
 * and edit markers, and per emoji the set of users (with the count, which must match it).
 */
export function stateKey(m: Message): string {
  const reactions = (m.reactions ?? []).map((r) => [r.emoji, r.count, [...r.userIds].sort()] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify({ body: m.body, recalledAt: m.recalledAt ?? null, editedAt: m.editedAt ?? null, reactions });
}

/**
 * A device's own final state, from what it displayed alone: each message as first shown, then
 * every action entry it displayed applied in order (entries already reflected in a copy fetched
 * late change nothing more, or are undone again by the later ones they precede).
 */
export function foldDisplayed(displayed: Message[]): Message[] {
  const state = new Map<string, Message>();
  for (const m of displayed) {
    if (m.type !== 'system') {
      if (!state.has(m.id)) state.set(m.id, m);
    } else if (isMessageActionEntry(m.body)) {
      const target = state.get(m.body.messageId);
      if (target) state.set(target.id, applyMessageActionEntry(target, m.body, m.createdAt));
    }
  }
  return [...state.values()];
}

/**
 * The values a key may end with, given its attempts in the order they were made: an attempt
 * that may have been applied is a candidate unless an acknowledged attempt started after it
 * certainly ended; the initial value is one while no attempt was acknowledged.
 */
export function possibleFinal<V>(attempts: { value: V; a: ActionAttempt }[], initial: V): V[] {
  const applied = attempts.filter(({ a }) => a.outcome !== 'refused');
  const acked = applied.filter(({ a }) => a.outcome === 'acked');
  const until = (a: ActionAttempt) => (a.outcome === 'unknown' ? Number.POSITIVE_INFINITY : a.endedAt);
  const out = applied.filter((x) => !acked.some((y) => y !== x && y.a.startedAt > until(x.a))).map((x) => x.value);
  if (acked.length === 0) out.push(initial);
  return out;
}

export function checkActions(input: ActionCheckInput): ActionCheckResult {
  const r: ActionCheckResult = {
    statesChecked: 0,
    stateDivergent: 0,
    messagesChecked: 0,
    wrongFinalState: 0,
    finalRecalled: 0,
    finalEdited: 0,
    finalReactions: 0,
    details: [],
  };
  const note = (s: string) => {
    if (r.details.length < 20) r.details.push(s);
  };
  const reference = new Map<string, Message>();
  for (const log of input.serverLogs.values()) for (const m of log) if (m.type !== 'system') reference.set(m.id, m);

  // Every view must hold every message of its conversation in the server's final state.
  for (const v of input.views) {
    const held = new Map(v.messages.filter((m) => m.type !== 'system').map((m) => [m.id, m]));
    for (const ref of input.serverLogs.get(v.conversationId) ?? []) {
      if (ref.type === 'system') continue;
      r.statesChecked++;
      const m = held.get(ref.id);
      if (!m || stateKey(m) !== stateKey(ref)) {
        r.stateDivergent++;
        note(`${v.name}: ${ref.id} in ${v.conversationId}#${ref.seq} is ${m ? stateKey(m) : 'missing'}, server has ${stateKey(ref)}`);
      }
    }
  }

  // The server's final state against what the attempts allow.
  const byMessage = new Map<string, ActionAttempt[]>();
  for (const a of input.attempts) {
    let list = byMessage.get(a.messageId);
    if (!list) byMessage.set(a.messageId, (list = []));
    list.push(a);
  }
  for (const m of reference.values()) {
    if (m.recalledAt !== undefined) r.finalRecalled++;
    else if (m.editedAt !== undefined) r.finalEdited++;
    for (const x of m.reactions ?? []) r.finalReactions += x.userIds.length;
    const attempts = (byMessage.get(m.id) ?? []).slice().sort((a, b) => a.startedAt - b.startedAt);
    const original = input.originals.get(m.id);
    if (original === undefined && attempts.length === 0) continue;
    r.messagesChecked++;
    const wrong = (why: string) => {
      r.wrongFinalState++;
      note(`${m.id} in ${m.conversationId}#${m.seq}: ${why}`);
    };
    const recalls = attempts.filter((a) => a.kind === 'recall');
    if (m.recalledAt !== undefined) {
      if (!recalls.some((a) => a.outcome !== 'refused')) wrong('recalled, but no recall of it may have been applied');
      const body = m.body as Record<string, unknown>;
      if (Object.keys(body).length > 0 || m.reactions !== undefined) wrong('recalled, yet still carries a body or reactions');
      continue;
    }
    if (recalls.some((a) => a.outcome === 'acked')) wrong('a recall was acknowledged, but it is not recalled');

    if (original !== undefined) {
      const edits = attempts.filter((a) => a.kind === 'edit').map((a) => ({ value: a.text!, a }));
      const text = (m.body as { text?: unknown }).text;
      const allowed = possibleFinal(edits, original);
      if (typeof text !== 'string' || !allowed.includes(text)) wrong(`text ${JSON.stringify(text)}, allowed ${JSON.stringify(allowed)}`);
      if ((m.editedAt !== undefined) !== (text !== original)) wrong(`edited marker ${m.editedAt ?? 'absent'} with text ${JSON.stringify(text)}`);
    }

    const present = new Set<string>();
    for (const x of m.reactions ?? []) {
      if (x.count !== x.userIds.length || new Set(x.userIds).size !== x.userIds.length) wrong(`reaction ${x.emoji}: count ${x.count} for users ${x.userIds.join(',')}`);
      for (const u of x.userIds) present.add(`${u} ${x.emoji}`);
    }
    const keys = new Set(present);
    for (const a of attempts) if (a.kind === 'react' || a.kind === 'unreact') keys.add(`${a.userId} ${a.emoji!}`);
    for (const key of keys) {
      const ops = attempts.filter((a) => (a.kind === 'react' || a.kind === 'unreact') && `${a.userId} ${a.emoji!}` === key).map((a) => ({ value: a.kind === 'react', a }));
      const allowed = possibleFinal(ops, false);
      if (!allowed.includes(present.has(key))) wrong(`reaction ${key} ${present.has(key) ? 'present' : 'absent'}, against the acknowledged order`);
    }
  }
  return r;
}
