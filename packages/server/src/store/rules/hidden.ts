/**
 * Delete for me (`message.hide`), written once for every Store: which messages a user may hide,
 * and how a history page looks to them afterwards. A hide is one user's record, never a log
 * entry: other members' copies and the conversation's seqs do not change, and the user's own
 * copies keep their place in the log as tombstones (protocol's hiddenCopy), so a client that
 * checks seq continuity never mistakes a hidden message for a gap.
 */
import { maskHidden, type Message } from '@natter/protocol';
import { visibleLast, type Standing } from './visibility.js';

/** What of a stored message the rule looks at. */
export interface HideTarget {
  conversationId: string;
  seq: number;
  type: string;
}

/**
 * Whether `member` may hide `target` in `conversationId`: a message of that conversation within
 * what they may see (joinedSeq … their visible end), not a system entry. A member who left may
 * still tidy the history they keep. Anything else looks like a message that does not exist.
 */
export function mayHide(target: HideTarget | null | undefined, conversationId: string, member: Standing | null | undefined, lastSeq: number): boolean {
  if (!target || !member || target.conversationId !== conversationId || target.type === 'system') return false;
  return target.seq >= member.joinedSeq && target.seq <= visibleLast(member, lastSeq);
}

/** The message ids a page's hides must be looked up for: its entries, and the targets of its edit entries. */
export function hideLookupIds(messages: readonly Message[]): string[] {
  const ids = new Set<string>();
  for (const m of messages) {
    ids.add(m.id);
    const b = m.body as { event?: unknown; messageId?: unknown } | null;
    if (m.type === 'system' && b?.event === 'message.edited' && typeof b.messageId === 'string') ids.add(b.messageId);
  }
  return [...ids];
}

/** A page as the user sees it, given their hides among hideLookupIds(page) (message id -> hiddenAt). */
export function maskPage(messages: Message[], hidden: ReadonlyMap<string, number>): Message[] {
  return hidden.size === 0 ? messages : messages.map((m) => maskHidden(m, hidden));
}
