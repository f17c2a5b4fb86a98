/** Whether the user may send in a conversation, and why not, as the composer shows it. */
import type { Conversation } from '@natter/client';
import { listTime } from '../format.js';

/** The owner and admins of a group (they may recall anyone's message and send when only admins may). */
export function isAdmin(conv: Conversation): boolean {
  return conv.membership.role === 'owner' || conv.membership.role === 'admin';
}

/** Why the user cannot send here now, shown instead of the composer; null when they can. */
export function blockedReason(conv: Conversation): string | null {
  const group = conv.group;
  const mutedUntil = conv.membership.mutedUntil ?? 0;
  return conv.membership.state !== 'active'
    ? 'You are no longer a member of this conversation.'
    : group?.dissolvedAt
      ? 'This group was dissolved: it is read-only now.'
      : mutedUntil > Date.now()
        ? `You are muted in this group until ${listTime(mutedUntil)}.`
        : group?.mutedAll && !isAdmin(conv)
          ? 'Only admins can send messages in this group right now.'
          : null;
}
