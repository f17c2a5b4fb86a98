/**
 * How a message-action entry (`message.recalled`, `message.edited`, `reaction.added`,
 * `reaction.removed`) changes the message it names. Zod-free and shared: the server's store
 * rules and the SDK's cache apply the same function, so a device that replays the log ends where
 * the server is. Applying an entry twice, or to a message fetched after it, changes nothing more.
 */
import type { Message, Reaction, SystemBody } from './model.js';

export type MessageActionEntry = Extract<SystemBody, { event: 'message.recalled' | 'message.edited' | 'reaction.added' | 'reaction.removed' }>;

export const isMessageActionEntry = (body: unknown): body is MessageActionEntry => {
  const e = (body as { event?: unknown } | null)?.event;
  return e === 'message.recalled' || e === 'message.edited' || e === 'reaction.added' || e === 'reaction.removed';
};

/**
 * One user's reaction added or removed: the new list, 'noop' when nothing changes, 'full' when a
 * new emoji would pass `maxEmojis`. Lists are in the order each emoji was first used.
 */
export function reactionsAfter(
  list: readonly Reaction[],
  kind: 'react' | 'unreact',
  userId: string,
  emoji: string,
  maxEmojis = Number.POSITIVE_INFINITY,
): Reaction[] | 'noop' | 'full' {
  const i = list.findIndex((r) => r.emoji === emoji);
  const current = i < 0 ? undefined : list[i];
  if (kind === 'react') {
    if (current?.userIds.includes(userId)) return 'noop';
    if (!current && list.length >= maxEmojis) return 'full';
    const next = current ? { emoji, count: current.count + 1, userIds: [...current.userIds, userId] } : { emoji, count: 1, userIds: [userId] };
    return current ? list.map((r, j) => (j === i ? next : r)) : [...list, next];
  }
  if (!current?.userIds.includes(userId)) return 'noop';
  const userIds = current.userIds.filter((u) => u !== userId);
  return userIds.length === 0 ? list.filter((_, j) => j !== i) : list.map((r, j) => (j === i ? { emoji, count: userIds.length, userIds } : r));
}

/** The message after the action entry `e` (logged at `at`); `m` itself when it changes nothing. */
export function applyMessageActionEntry(m: Message, e: MessageActionEntry, at: number): Message {
  // A message deleted for me stays a tombstone whatever happens to it later.
  if (m.id !== e.messageId || m.hiddenAt !== undefined) return m;
  switch (e.event) {
    case 'message.recalled': {
      if (m.recalledAt !== undefined) return m;
      const out: Message = { ...m, body: {}, recalledAt: at };
      delete out.mentions;
      delete out.reactions;
      return out;
    }
    case 'message.edited':
      if (m.recalledAt !== undefined) return m;
      return { ...m, body: { ...(m.body as object), text: e.text }, editedAt: Math.max(at, m.editedAt ?? 0) };
    case 'reaction.added':
    case 'reaction.removed': {
      if (m.recalledAt !== undefined) return m;
      const next = reactionsAfter(m.reactions ?? [], e.event === 'reaction.added' ? 'react' : 'unreact', e.by, e.emoji);
      if (next === 'noop' || next === 'full') return m;
      const out: Message = { ...m, reactions: next };
      if (next.length === 0) delete out.reactions;
      return out;
    }
  }
}

/**
 * A message as the user who deleted it for themselves sees it (`message.hide`): what places it in
 * the log (id, seq, sender, type, time, reply-to) and `hiddenAt`; nothing of what it said — body
 * `{}`, no mentions, reactions or edit marker. The server's history and the SDK's cache use this
 * one function. Hiding a tombstone again keeps its first `hiddenAt`.
 */
export function hiddenCopy(m: Message, hiddenAt: number): Message {
  const out: Message = {
    id: m.id,
    conversationId: m.conversationId,
    seq: m.seq,
    senderId: m.senderId,
    type: m.type,
    body: {},
    clientMsgId: m.clientMsgId,
    replyTo: m.replyTo,
    createdAt: m.createdAt,
    hiddenAt: m.hiddenAt ?? hiddenAt,
  };
  if (m.recalledAt !== undefined) out.recalledAt = m.recalledAt;
  return out;
}

/**
 * An entry of a page, as the user who hid `hidden` (message id -> hiddenAt) sees it: a hidden
 * message becomes its hiddenCopy, and a `message.edited` entry naming one loses its text (that
 * text is the hidden message's body). Other entries are returned as they are.
 */
export function maskHidden(m: Message, hidden: ReadonlyMap<string, number>): Message {
  const at = hidden.get(m.id);
  if (at !== undefined) return hiddenCopy(m, at);
  const b = m.body as { event?: unknown; messageId?: unknown } | null;
  if (m.type === 'system' && b?.event === 'message.edited' && typeof b.messageId === 'string' && hidden.has(b.messageId)) {
    return { ...m, body: { ...(m.body as object), text: '' } };
  }
  return m;
}
