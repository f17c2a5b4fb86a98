/** Desktop notifications for messages that arrive while the tab is hidden. */
import type { Message } from '@natter/client';
import type { ConversationList } from './conversation-list.js';
import { textOf } from './message-text.js';
import type { People } from './people.js';

/**
 * Shows a notification for a message from someone else when the tab is hidden, notifications are
 * allowed and the conversation is not muted.
 */
export function notify(m: Message, me: string, list: ConversationList, people: People): void {
  if (m.senderId === me || m.type === 'system') return;
  if (typeof document === 'undefined' || !document.hidden) return;
  if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  const conv = list.find(m.conversationId);
  if (!conv || list.isMuted(conv)) return;
  const body = textOf(m);
  new Notification(list.titleOf(conv), { body: `${people.nameOf(m.senderId)}: ${body}`, tag: conv.id });
}
