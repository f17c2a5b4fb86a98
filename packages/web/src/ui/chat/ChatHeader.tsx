/** The chat's header: back button (narrow screens), avatar, title and a live subtitle (typing, presence, members). */
import type { Conversation } from '@natter/client';
import type { ChatModel } from '../../lib/model.js';
import { Avatar } from '../Avatar.js';
import { listTime } from '../format.js';

export function ChatHeader({
  model,
  conv,
  onBack,
  onInfo,
}: {
  model: ChatModel;
  conv: Conversation;
  onBack: (() => void) | null;
  /** Opens the group or contact info. */
  onInfo: () => void;
}) {
  const title = model.titleOf(conv);
  const peer = model.peerOf(conv);
  const typists = model.typistsIn(conv.id);
  const presence = peer ? model.presenceOf(peer) : null;
  const subtitle =
    typists.length > 0
      ? typingLine(typists.map((id) => model.nameOf(id)))
      : conv.kind === 'group'
        ? `${conv.members.length} members`
        : presence?.online
          ? 'online'
          : presence?.lastSeen
            ? `last seen ${listTime(presence.lastSeen)}`
            : peer
              ? `@${model.user(peer)?.username ?? ''}`
              : '';
  return (
    <header class="chat-head">
      {onBack && (
        <button class="icon-button" onClick={onBack} aria-label="Back to conversations">
          <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
            <path fill="currentColor" d="M20 11H7.83l5.59-5.59L12 4l-8 8 8 8 1.41-1.41L7.83 13H20z" />
          </svg>
        </button>
      )}
      <button
        class="chat-title-button"
        onClick={onInfo}
        title={conv.kind === 'group' ? 'Group info' : 'Contact info'}
      >
        <Avatar id={peer ?? conv.id} name={title} size={36} group={conv.kind === 'group'} />
        <span class="chat-title">
          <h2>{title}</h2>
          <span class={`chat-subtitle${typists.length > 0 ? ' typing' : ''}`} aria-live="polite">
            {subtitle}
          </span>
        </span>
      </button>
    </header>
  );
}

function typingLine(names: string[]): string {
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return 'Several people are typing…';
}
