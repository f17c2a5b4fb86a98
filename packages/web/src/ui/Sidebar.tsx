import { useEffect, useState } from 'preact/hooks';
import type { Conversation, Message } from '@natter/client';
import { textOf } from '../lib/message-text.js';
import type { ChatModel } from '../lib/model.js';
import { Avatar } from './Avatar.js';
import { listTime } from './format.js';

export function Sidebar({
  model,
  onOpen,
  onNew,
  onSettings,
  onContacts,
}: {
  model: ChatModel;
  onOpen: (id: string, seq?: number) => void;
  onNew: () => void;
  onSettings: () => void;
  onContacts: () => void;
}) {
  const [query, setQuery] = useState('');
  const [showArchived, setShowArchived] = useState(false);
  const q = query.trim().toLowerCase();
  const all = model.conversations.filter(
    (c) => c.membership.state === 'active' || model.messagesOf(c.id).length > 0 || c.id === model.openId,
  );
  // Archived chats live in their own folder; a search looks everywhere.
  const archived = all.filter((c) => model.isArchived(c));
  const list = q ? all : showArchived ? archived : all.filter((c) => !model.isArchived(c));
  const shown = q ? list.filter((c) => model.titleOf(c).toLowerCase().includes(q)) : list;
  // Messages matching the query (server-side search), after a short pause in typing.
  const [hits, setHits] = useState<Message[]>([]);
  useEffect(() => {
    const term = query.trim();
    if (term.length < 2) {
      setHits([]);
      return;
    }
    const timer = setTimeout(() => {
      model.client.search(term, { limit: 20 }).then(
        (r) => setHits(r.messages),
        () => setHits([]),
      );
    }, 300);
    return () => clearTimeout(timer);
  }, [query]);
  const me = model.user(model.me);
  const myName = me ? (me.displayName ?? me.username) : '';

  return (
    <nav class="sidebar" aria-label="Conversations">
      <header class="sidebar-head">
        <div class="me">
          <Avatar id={model.me} name={myName || '?'} size={32} />
          <span class="me-name">{myName}</span>
        </div>
        <div class="head-actions">
          <button class="icon-button" onClick={onNew} aria-label="New chat" title="New chat">
            <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
              <path fill="currentColor" d="M19 13h-6v6h-2v-6H5v-2h6V5h2v6h6z" />
            </svg>
          </button>
          <button class="icon-button" onClick={onContacts} aria-label="Contacts" title="Contacts">
            <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
              <path
                fill="currentColor"
                d="M16 11a3 3 0 1 0-3-3 3 3 0 0 0 3 3zm-8 0a3 3 0 1 0-3-3 3 3 0 0 0 3 3zm0 2c-2.3 0-7 1.2-7 3.5V19h14v-2.5C15 14.2 10.3 13 8 13zm8 0c-.3 0-.6 0-1 .1 1.2.8 2 1.9 2 3.4V19h6v-2.5c0-2.3-4.7-3.5-7-3.5z"
              />
            </svg>
          </button>
          <button class="icon-button" onClick={onSettings} aria-label="Settings" title="Settings">
            <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
              <path
                fill="currentColor"
                d="M19.4 13a7.5 7.5 0 0 0 0-2l2.1-1.6-2-3.5-2.5 1a7.6 7.6 0 0 0-1.7-1L15 3h-4l-.4 2.7a7.6 7.6 0 0 0-1.7 1l-2.5-1-2 3.5L6.5 11a7.5 7.5 0 0 0 0 2l-2.1 1.6 2 3.5 2.5-1c.5.4 1.1.8 1.7 1L11 21h4l.4-2.7c.6-.3 1.2-.6 1.7-1l2.5 1 2-3.5zM13 15.5a3.5 3.5 0 1 1 0-7 3.5 3.5 0 0 1 0 7z"
              />
            </svg>
          </button>
        </div>
      </header>
      <div class="search">
        <input
          type="search"
          placeholder="Search chats and messages"
          aria-label="Search chats and messages"
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
        />
      </div>
      <ul class="conversation-list">
        {!q && (showArchived || archived.length > 0) && (
          <li>
            <button
              class="archive-toggle"
              onClick={() => setShowArchived(!showArchived)}
              aria-pressed={showArchived}
            >
              {showArchived ? '← All chats' : `Archived (${archived.length})`}
            </button>
          </li>
        )}
        {shown.map((c) => (
          <ConversationRow key={c.id} model={model} conv={c} active={c.id === model.openId} onOpen={onOpen} />
        ))}
        {hits.length > 0 && (
          <li class="list-heading" role="presentation">
            Messages
          </li>
        )}
        {hits.map((m) => {
          const conv = model.conversations.find((c) => c.id === m.conversationId);
          return (
            <li key={m.id}>
              <button class="conversation search-hit" onClick={() => onOpen(m.conversationId, m.seq)}>
                <span class="conversation-main">
                  <span class="conversation-top">
                    <span class="conversation-title">{conv ? model.titleOf(conv) : 'Conversation'}</span>
                    <span class="conversation-time">{listTime(m.createdAt)}</span>
                  </span>
                  <span class="conversation-preview">
                    {model.nameOf(m.senderId)}: {textOf(m)}
                  </span>
                </span>
              </button>
            </li>
          );
        })}
        {shown.length === 0 && hits.length === 0 && (
          <li class="list-empty">
            {q
              ? 'No chat or message matches your search.'
              : model.synced
                ? 'No conversations yet. Start one with the + button.'
                : 'Loading…'}
          </li>
        )}
      </ul>
    </nav>
  );
}

function ConversationRow({
  model,
  conv,
  active,
  onOpen,
}: {
  model: ChatModel;
  conv: Conversation;
  active: boolean;
  onOpen: (id: string) => void;
}) {
  const title = model.titleOf(conv);
  const last = model.lastMessageOf(conv);
  const unread = model.unreadOf(conv);
  const muted = model.isMuted(conv);
  const mentioned = (conv as Conversation & { mentioned?: boolean }).mentioned === true;
  const typists = model.typistsIn(conv.id);
  const typing =
    typists.length === 0
      ? ''
      : conv.kind === 'direct'
        ? 'typing…'
        : `${model.nameOf(typists[0]!)} is typing…`;
  let preview = last ? textOf(last) : '';
  if (last && last.type === 'system') preview = systemPreview(model, last.body);
  else if (last && conv.kind === 'group' && last.senderId !== model.me)
    preview = `${model.nameOf(last.senderId)}: ${preview}`;
  else if (last && last.senderId === model.me) preview = `You: ${preview}`;
  const peer = model.peerOf(conv);
  return (
    <li>
      <button
        class={`conversation${active ? ' active' : ''}${muted ? ' muted' : ''}`}
        onClick={() => onOpen(conv.id)}
        aria-current={active ? 'true' : undefined}
        data-conversation-id={conv.id}
      >
        <span class="avatar-wrap">
          <Avatar id={peer ?? conv.id} name={title} group={conv.kind === 'group'} />
          {peer && model.presenceOf(peer)?.online && (
            <span class="presence-dot" role="img" aria-label="online" />
          )}
        </span>
        <span class="conversation-main">
          <span class="conversation-top">
            <span class="conversation-title">{title}</span>
            {model.isPinned(conv) && (
              <span class="pin-mark" role="img" aria-label="Pinned" title="Pinned">
                📌
              </span>
            )}
            <span class="conversation-time">{listTime(model.activity(conv))}</span>
          </span>
          <span class="conversation-bottom">
            <span class={`conversation-preview${typing ? ' typing' : ''}`}>
              {typing || preview || (conv.membership.state === 'left' ? 'You left this conversation' : '')}
            </span>
            {mentioned && (
              <span class="mention-badge" aria-label="You were mentioned">
                @
              </span>
            )}
            {unread > 0 && (
              <span class={`unread-badge${muted ? ' muted' : ''}`} aria-label={`${unread} unread`}>
                {unread > 99 ? '99+' : unread}
              </span>
            )}
          </span>
        </span>
      </button>
    </li>
  );
}

export function systemPreview(model: ChatModel, body: unknown): string {
  const b = body as {
    event?: string;
    by?: string;
    userId?: string;
    userIds?: string[];
    title?: string | null;
    role?: string;
  };
  const who = (id: string | undefined) => (id ? model.nameOf(id) : 'Someone');
  switch (b.event) {
    case 'conversation.created':
      return b.title ? `${who(b.by)} created “${b.title}”` : `${who(b.by)} started the conversation`;
    case 'member.joined':
      return `${who(b.by)} added ${(b.userIds ?? []).map((id) => model.nameOf(id)).join(', ')}`;
    case 'member.removed':
      return `${who(b.by)} removed ${who(b.userId)}`;
    case 'member.left':
      return `${who(b.userId)} left`;
    case 'message.recalled':
      return `${who(b.by)} recalled a message`;
    case 'message.edited':
      return `${who(b.by)} edited a message`;
    case 'reaction.added':
    case 'reaction.removed':
      return `${who(b.by)} reacted ${(b as { emoji?: string }).emoji ?? ''}`;
    case 'member.role':
      return `${who(b.by)} made ${who(b.userId)} ${b.role === 'admin' ? 'an admin' : 'a member'}`;
    default:
      return 'Conversation updated';
  }
}
