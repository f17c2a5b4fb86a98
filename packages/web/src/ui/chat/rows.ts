/**
 * How a chat's messages are laid out: day separators, the "new messages" line, system entries,
 * and runs of one sender's messages grouped into one bubble group.
 */
import type { Message } from '@natter/client';
import { dayLabel } from '../format.js';

/** Recall, edit and reaction entries change their target message; they are not shown themselves. */
const ACTION_EVENTS = new Set(['message.recalled', 'message.edited', 'reaction.added', 'reaction.removed']);

/** Messages from one sender within this long of each other share one bubble group. */
const GROUP_GAP_MS = 5 * 60_000;

export type Row =
  | { kind: 'day'; key: string; label: string }
  | { kind: 'system'; key: string; message: Message }
  | { kind: 'unread'; key: string }
  | { kind: 'group'; key: string; senderId: string; messages: Message[] };

/** The rows for `messages` (ascending by seq); the unread line goes before the first one after `readSeq` from someone else. */
export function buildRows(messages: Message[], readSeq: number, me: string): Row[] {
  const rows: Row[] = [];
  let day = '';
  let unreadMarked = false;
  for (const m of messages) {
    const d = new Date(m.createdAt).toDateString();
    if (d !== day) {
      day = d;
      rows.push({ kind: 'day', key: `day-${m.seq}`, label: dayLabel(m.createdAt) });
    }
    if (!unreadMarked && m.seq > readSeq && m.senderId !== me && m.type !== 'system') {
      unreadMarked = true;
      rows.push({ kind: 'unread', key: 'unread' });
    }
    // Deleted for me: kept in the list for its seq, never shown.
    if (m.hiddenAt !== undefined) continue;
    if (m.type === 'system') {
      if (!ACTION_EVENTS.has((m.body as { event?: string }).event ?? ''))
        rows.push({ kind: 'system', key: `s-${m.seq}`, message: m });
      continue;
    }
    const last = rows[rows.length - 1];
    const lastMessage = last?.kind === 'group' ? last.messages[last.messages.length - 1] : undefined;
    if (
      last?.kind === 'group' &&
      last.senderId === m.senderId &&
      lastMessage &&
      m.createdAt - lastMessage.createdAt < GROUP_GAP_MS
    ) {
      last.messages.push(m);
    } else {
      rows.push({ kind: 'group', key: `g-${m.seq}`, senderId: m.senderId, messages: [m] });
    }
  }
  return rows;
}
