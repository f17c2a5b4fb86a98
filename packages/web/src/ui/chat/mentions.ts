/**
 * Mentions in the composer: who can be mentioned in a conversation, the `@word` being typed,
 * the suggestions for it, and who a sent text still names.
 */
import type { Conversation } from '@natter/client';
import type { ChatModel } from '../../lib/model.js';

/** Someone who can be mentioned: a member (by username), or everyone in a group. */
export interface MentionCandidate {
  id: string;
  handle: string;
  label: string;
}

/** At most this many suggestions show at once. */
const MAX_SUGGESTIONS = 6;

/** The other members of a group with a username, and "all" for its owner and admins; nobody in a direct chat. */
export function mentionCandidates(model: ChatModel, conv: Conversation): MentionCandidate[] {
  if (conv.kind !== 'group') return [];
  return [
    ...conv.members
      .filter((id) => id !== model.me && model.user(id))
      .map((id) => ({ id, handle: model.user(id)!.username, label: model.nameOf(id) })),
    // Only the owner and admins may mention everyone (the server refuses others with `forbidden`).
    ...(conv.membership.role === 'owner' || conv.membership.role === 'admin'
      ? [{ id: 'all', handle: 'all', label: 'Everyone in this group' }]
      : []),
  ];
}

/** The `@word` typed right before the caret, lower-cased without its `@`; null when there is none. */
export function mentionQuery(text: string, caret: number): string | null {
  const partial = /(?:^|\s)@([\p{L}\p{N}_.-]*)$/u.exec(text.slice(0, caret));
  return partial ? partial[1]!.toLowerCase() : null;
}

/** The candidates whose handle or name starts with the query. */
export function suggestionsFor(candidates: MentionCandidate[], query: string | null): MentionCandidate[] {
  if (query === null) return [];
  return candidates
    .filter((c) => c.handle.toLowerCase().startsWith(query) || c.label.toLowerCase().startsWith(query))
    .slice(0, MAX_SUGGESTIONS);
}

/** The text with the `@word` before the caret replaced by `@handle `, and where the caret goes then. */
export function insertMention(text: string, caret: number, handle: string): { text: string; caret: number } {
  const before = text.slice(0, caret).replace(/@[\p{L}\p{N}_.-]*$/u, `@${handle} `);
  return { text: before + text.slice(caret), caret: before.length };
}

/** The ids of the candidates still named in the text when it is sent. */
export function mentionedIds(candidates: MentionCandidate[], text: string): string[] {
  return candidates
    .filter((c) =>
      new RegExp(`(^|\\s)@${c.handle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=$|[\\s,.!?:;])`, 'u').test(
        text,
      ),
    )
    .map((c) => c.id);
}
