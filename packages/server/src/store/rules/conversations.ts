/**
 * Conversation rules, written once for every Store: the one key of a pair's direct
 * conversation, and the `conversation.created` entry every conversation starts with.
 */
import type { SystemBody } from '@natter/protocol';
import type { NewConversation } from '../store.js';

/** The one key of a pair's direct conversation, whichever of the two asks. */
export const directKey = (a: string, b: string): string => (a < b ? `${a}:${b}` : `${b}:${a}`);

/** The body of the entry at seq 1: who created it, its title and its first members in given order. */
export const createdBody = (conv: NewConversation): SystemBody => ({
  event: 'conversation.created',
  by: conv.createdBy,
  title: conv.title,
  members: conv.members.map((m) => m.userId),
});
