/** How a message reads in one line: the conversation list's preview, a quote, a notification. */
import type { Message } from '@natter/client';

/** The text a message shows in a preview or notification. */
export function textOf(m: Message): string {
  if (m.hiddenAt) return 'You deleted this message';
  if (m.recalledAt) return 'Message recalled';
  if (m.type === 'text') return (m.body as { text?: string }).text ?? '';
  if (m.type === 'custom') return 'Message';
  const body = m.body as { name?: string | null; caption?: string };
  if (m.type === 'image') return body.caption ? `📷 ${body.caption}` : '📷 Photo';
  if (m.type === 'voice') return '🎤 Voice note';
  if (m.type === 'video') return body.caption ? `🎬 ${body.caption}` : '🎬 Video';
  if (m.type === 'file') return `📄 ${body.name ?? 'File'}`;
  return '';
}
