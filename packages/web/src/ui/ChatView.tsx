import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Message, PendingSend } from '@natter/client';
import { textOf } from '../lib/message-text.js';
import type { ChatModel } from '../lib/model.js';
import type { FailedSend } from '../lib/outbox.js';
import { Avatar } from './Avatar.js';
import { ConversationInfoDialog } from './ConversationInfoDialog.js';
import { formatBytes, isMedia, MediaContent } from './Media.js';
import { clockTime, dayLabel, listTime } from './format.js';
import { useModel } from './hooks.js';
import { systemPreview } from './Sidebar.js';

const ACTION_EVENTS = new Set(['message.recalled', 'message.edited', 'reaction.added', 'reaction.removed']);
const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'];
/** How long after sending the sender may recall (the server's default RECALL_WINDOW_SECONDS). */
const RECALL_WINDOW_MS = 120_000;

/** Messages put in the page at a time as the reader scrolls up. */
const WINDOW_STEP = 80;
/**
 * At most this many messages on opening, unread or not (a search result's context excepted):
 * a long unread backlog opens at its newest part and grows as the user scrolls up, as any
 * other history. Without the bound, how much a chat rendered on opening depended on how much
 * of the backlog the SDK had synced by then.
 */
const FIRST_WINDOW_MAX = 200;

/** Messages from one sender within this long of each other share one bubble group. */
const GROUP_GAP_MS = 5 * 60_000;

type Row =
  | { kind: 'day'; key: string; label: string }
  | { kind: 'system'; key: string; message: Message }
  | { kind: 'unread'; key: string }
  | { kind: 'group'; key: string; senderId: string; messages: Message[] };

function buildRows(messages: Message[], readSeq: number, me: string): Row[] {
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
      // Recall, edit and reaction entries change their target message; they are not shown themselves.
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

export function ChatView({
  model,
  conversationId,
  onBack,
  focusSeq = null,
}: {
  model: ChatModel;
  conversationId: string;
  onBack: (() => void) | null;
  /** A message to show (a search result): scrolled into view and highlighted. */
  focusSeq?: number | null;
}) {
  useModel(model);
  const conv = model.conversations.find((c) => c.id === conversationId);
  const all = model.messagesOf(conversationId);
  // Only the newest part of a long history is in the page; scrolling up shows more (then fetches).
  const [windowSize, setWindowSize] = useState(() => {
    const read = conv?.membership.readSeq ?? 0;
    const fromFocus = focusSeq ? all.filter((m) => m.seq >= focusSeq).length + 20 : 0;
    return Math.max(WINDOW_STEP, Math.min(FIRST_WINDOW_MAX, all.filter((m) => m.seq > read).length + 20), fromFocus);
  });
  const messages = all.length > windowSize ? all.slice(all.length - windowSize) : all;
  const pending = model.pendingIn(conversationId);
  const failed = model.failedIn(conversationId);
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const loadingOlder = useRef(false);
  const heightBeforeOlder = useRef<number | null>(null);
  const [replyTo, setReplyTo] = useState<Message | null>(null);
  const [editing, setEditing] = useState<Message | null>(null);
  const [info, setInfo] = useState(false);
  // The read cursor when the chat was opened: the "new messages" line stays where it was.
  const [readAtOpen] = useState(() => conv?.membership.readSeq ?? 0);

  const count = messages.length + pending.length + failed.length;
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (heightBeforeOlder.current !== null) {
      // Older history was put above: keep what the reader was looking at in place.
      el.scrollTop += el.scrollHeight - heightBeforeOlder.current;
      heightBeforeOlder.current = null;
    } else if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [count, messages[0]?.seq]);

  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    // A search result: scroll to it and mark it for a moment.
    const target = focusSeq ? el.querySelector<HTMLElement>(`.bubble[data-seq="${focusSeq}"]`) : null;
    if (target) {
      target.scrollIntoView({ block: 'center' });
      target.classList.add('found');
      atBottom.current = false;
      return;
    }
    // Open at the first unread message when there is one, else at the end.
    const marker = el.querySelector('.unread-marker');
    if (marker) {
      (marker as HTMLElement).scrollIntoView({ block: 'start' });
      atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    } else el.scrollTop = el.scrollHeight;
  }, [conversationId, messages.length > 0, focusSeq]);

  async function onScroll() {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    if (atBottom.current) model.markOpenRead();
    if (el.scrollTop >= 200 || loadingOlder.current) return;
    if (messages.length < all.length) {
      heightBeforeOlder.current = el.scrollHeight;
      setWindowSize((w) => w + WINDOW_STEP);
    } else if (model.hasOlder(conversationId)) {
      loadingOlder.current = true;
      heightBeforeOlder.current = el.scrollHeight;
      const n = await model.loadOlder(conversationId);
      if (n === 0) heightBeforeOlder.current = null;
      else setWindowSize((w) => w + n);
      loadingOlder.current = false;
    }
  }

  if (!conv) return <section class="chat empty-chat">Conversation not found.</section>;
  const title = model.titleOf(conv);
  const peer = model.peerOf(conv);
  const rows = buildRows(messages, readAtOpen, model.me);
  const byId = new Map(all.map((m) => [m.id, m]));
  const typists = model.typistsIn(conversationId);
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
  const receipts = model.receiptsOf(conversationId);
  const mentionCandidates: MentionCandidate[] =
    conv.kind !== 'group'
      ? []
      : [
          ...conv.members
            .filter((id) => id !== model.me && model.user(id))
            .map((id) => ({ id, handle: model.user(id)!.username, label: model.nameOf(id) })),
          // Only the owner and admins may mention everyone (the server refuses others with `forbidden`).
          ...(conv.membership.role === 'owner' || conv.membership.role === 'admin' ? [{ id: 'all', handle: 'all', label: 'Everyone in this group' }] : []),
        ];
  const group = conv.group;
  const mutedUntil = conv.membership.mutedUntil ?? 0;
  const amAdmin = conv.membership.role === 'owner' || conv.membership.role === 'admin';
  const blockedReason =
    conv.membership.state !== 'active'
      ? 'You are no longer a member of this conversation.'
      : group?.dissolvedAt
        ? 'This group was dissolved: it is read-only now.'
        : mutedUntil > Date.now()
          ? `You are muted in this group until ${listTime(mutedUntil)}.`
          : group?.mutedAll && !amAdmin
            ? 'Only admins can send messages in this group right now.'
            : null;
  const canSend = blockedReason === null;

  return (
    <section class="chat" aria-label={`Chat with ${title}`}>
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
          onClick={() => setInfo(true)}
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
      {group?.announcement && (
        <div class="announcement" role="note">
          <strong>Announcement</strong> {group.announcement}
        </div>
      )}
      {info && <ConversationInfoDialog model={model} conv={conv} onClose={() => setInfo(false)} />}
      <div
        class="messages"
        ref={scroller}
        onScroll={() => void onScroll()}
        role="log"
        aria-live="polite"
        aria-label="Messages"
      >
        {(messages.length < all.length || model.hasOlder(conversationId)) && (
          <div class="history-hint">Scroll up for older messages</div>
        )}
        {rows.map((row) => {
          switch (row.kind) {
            case 'day':
              return (
                <div key={row.key} class="day-separator" role="separator">
                  <span>{row.label}</span>
                </div>
              );
            case 'unread':
              return (
                <div key={row.key} class="unread-marker" role="separator">
                  <span>New messages</span>
                </div>
              );
            case 'system':
              return (
                <div key={row.key} class="system-entry">
                  {systemPreview(model, row.message.body)}
                </div>
              );
            case 'group':
              return (
                <MessageGroup
                  key={row.key}
                  model={model}
                  receipts={receipts}
                  senderId={row.senderId}
                  messages={row.messages}
                  byId={byId}
                  group={conv.kind === 'group'}
                  onReply={setReplyTo}
                  onEdit={setEditing}
                  amAdmin={amAdmin}
                />
              );
          }
        })}
        {pending.map((p) => (
          <PendingBubble
            key={p.clientMsgId}
            item={p}
            stored={model.isStored(p.clientMsgId)}
            progress={model.uploadProgress(p.clientMsgId)}
          />
        ))}
        {failed.map((f) => (
          <FailedBubble key={f.item.clientMsgId} failed={f} model={model} />
        ))}
      </div>
      {canSend ? (
        <Composer
          onTyping={() => model.typing(conversationId)}
          onFile={(f) => {
            model.sendFile(conversationId, f);
            atBottom.current = true;
          }}
          replyTo={replyTo}
          replyName={replyTo ? model.nameOf(replyTo.senderId) : ''}
          onCancelReply={() => {
            setReplyTo(null);
            setEditing(null);
          }}
          editing={editing}
          candidates={mentionCandidates}
          onSend={(text, mentions) => {
            if (editing) {
              const target = editing;
              setEditing(null);
              void model.act('edit', target, text).catch(() => undefined);
              return;
            }
            model.send(conversationId, text, replyTo?.id, mentions);
            setReplyTo(null);
            atBottom.current = true;
          }}
        />
      ) : (
        <div class="composer composer-disabled">{blockedReason}</div>
      )}
    </section>
  );
}

function MessageGroup({
  model,
  senderId,
  messages,
  byId,
  group,
  onReply,
  onEdit,
  amAdmin,
  receipts,
}: {
  model: ChatModel;
  senderId: string;
  messages: Message[];
  byId: Map<string, Message>;
  group: boolean;
  onReply: (m: Message) => void;
  onEdit: (m: Message) => void;
  amAdmin: boolean;
  receipts: { read: number; delivered: number };
}) {
  const mine = senderId === model.me;
  const name = model.nameOf(senderId);
  return (
    <div class={`message-group${mine ? ' mine' : ''}`}>
      {!mine && group && <Avatar id={senderId} name={name} size={32} />}
      <div class="bubbles">
        {!mine && group && <div class="sender-name">{name}</div>}
        {messages.map((m) => {
          const quoted = m.replyTo ? byId.get(m.replyTo) : undefined;
          return (
            <div key={m.id} class="bubble" data-seq={m.seq}>
              {m.replyTo && (
                <div class="quote">
                  <span class="quote-name">{quoted ? model.nameOf(quoted.senderId) : 'Reply'}</span>
                  <span class="quote-text">{quoted ? textOf(quoted) : 'an earlier message'}</span>
                </div>
              )}
              {m.recalledAt ? (
                <span class="text recalled">
                  {mine ? 'You recalled this message' : 'This message was recalled'}
                </span>
              ) : isMedia(m) ? (
                <MediaContent model={model} message={m} />
              ) : (
                <span class="text">{withMentions(m)}</span>
              )}
              <span class="meta">
                {m.editedAt && !m.recalledAt && <span class="edited">edited</span>}
                <time dateTime={new Date(m.createdAt).toISOString()}>{clockTime(m.createdAt)}</time>
                {mine && <Tick seq={m.seq} receipts={receipts} />}
              </span>
              {m.reactions && m.reactions.length > 0 && (
                <span class="reactions">
                  {m.reactions.map((r) => {
                    const mineToo = r.userIds.includes(model.me);
                    return (
                      <button
                        key={r.emoji}
                        class={`reaction${mineToo ? ' own' : ''}`}
                        aria-pressed={mineToo}
                        title={r.userIds.map((id) => model.nameOf(id)).join(', ')}
                        onClick={() =>
                          void model.act(mineToo ? 'unreact' : 'react', m, r.emoji).catch(() => undefined)
                        }
                      >
                        {r.emoji} {r.count}
                      </button>
                    );
                  })}
                </span>
              )}
              {!m.recalledAt && (
                <span class="message-tools">
                  <button
                    class="tool"
                    onClick={() => onReply(m)}
                    aria-label={`Reply to ${name}`}
                    title="Reply"
                  >
                    ↩
                  </button>
                  {QUICK_REACTIONS.slice(0, 3).map((e) => (
                    <button
                      key={e}
                      class="tool"
                      onClick={() => void model.act('react', m, e).catch(() => undefined)}
                      aria-label={`React ${e}`}
                      title={`React ${e}`}
                    >
                      {e}
                    </button>
                  ))}
                  {mine && m.type === 'text' && (
                    <button class="tool" onClick={() => onEdit(m)} aria-label="Edit" title="Edit">
                      ✎
                    </button>
                  )}
                  {((mine && Date.now() - m.createdAt < RECALL_WINDOW_MS) || (group && amAdmin)) && (
                    <button
                      class="tool"
                      onClick={() => void model.act('recall', m).catch(() => undefined)}
                      aria-label="Recall"
                      title="Recall"
                    >
                      ⌫
                    </button>
                  )}
                  <button
                    class="tool"
                    onClick={() => void model.act('hide', m).catch(() => undefined)}
                    aria-label="Delete for me"
                    title="Delete for me"
                  >
                    🗑
                  </button>
                </span>
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}

/** The text with `@name` mentions set off (only in messages that carry mentions). */
function withMentions(m: Message) {
  const text = textOf(m);
  if (!m.mentions || m.mentions.length === 0) return text;
  return text
    .split(/(@[\p{L}\p{N}_.-]+)/u)
    .map((part, i) => (i % 2 === 1 ? <span class="mention">{part}</span> : part));
}

/** ✓ stored; ✓✓ on at least one of their devices; blue ✓✓ read (direct conversations). */
function Tick({ seq, receipts }: { seq: number; receipts: { read: number; delivered: number } }) {
  if (receipts.read >= seq)
    return (
      <span class="tick read" aria-label="Read" title="Read">
        ✓✓
      </span>
    );
  if (receipts.delivered >= seq)
    return (
      <span class="tick" aria-label="Delivered" title="Delivered">
        ✓✓
      </span>
    );
  return (
    <span class="tick" aria-label="Sent" title="Sent">
      ✓
    </span>
  );
}

function typingLine(names: string[]): string {
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return 'Several people are typing…';
}

function PendingBubble({
  item,
  stored,
  progress,
}: {
  item: PendingSend;
  stored: boolean;
  progress: { sent: number; total: number } | null;
}) {
  const media = item.msgType !== 'text' && item.msgType !== 'custom';
  const name = (item.body as { name?: string; text?: string }).name ?? 'file';
  return (
    <div class="message-group mine">
      <div class="bubbles">
        <div class="bubble pending" data-client-msg-id={item.clientMsgId}>
          {media ? (
            <span class="upload">
              <span>{name}</span>
              {progress && !stored && (
                <progress max={progress.total} value={progress.sent} aria-label={`Uploading ${name}`}>
                  {formatBytes(progress.sent)} of {formatBytes(progress.total)}
                </progress>
              )}
            </span>
          ) : (
            <span class="text">{(item.body as { text?: string }).text ?? ''}</span>
          )}
          <span class="meta">
            {stored ? (
              <span class="tick" aria-label="Sent" title="Sent">
                ✓
              </span>
            ) : (
              <span class="clock" role="img" aria-label="Waiting to send" title="Waiting to send">
                <svg viewBox="0 0 24 24" width="12" height="12" aria-hidden="true">
                  <path
                    fill="currentColor"
                    d="M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 18a8 8 0 1 1 0-16 8 8 0 0 1 0 16zm.5-13H11v6l5.2 3.2.8-1.3-4.5-2.7z"
                  />
                </svg>
              </span>
            )}
          </span>
        </div>
      </div>
    </div>
  );
}

function FailedBubble({ failed, model }: { failed: FailedSend; model: ChatModel }) {
  return (
    <div class="message-group mine">
      <div class="bubbles">
        <div class="bubble failed" role="alert">
          <span class="text">{(failed.item.body as { text?: string }).text ?? ''}</span>
          <span class="failure">
            Not sent: {failed.message}
            <button class="link" onClick={() => model.retry(failed.item.clientMsgId)}>
              Retry
            </button>
            <button class="link" onClick={() => model.discard(failed.item.clientMsgId)}>
              Delete
            </button>
          </span>
        </div>
      </div>
    </div>
  );
}

/** Someone who can be mentioned: a member (by username), or everyone in a group. */
export interface MentionCandidate {
  id: string;
  handle: string;
  label: string;
}

function Composer({
  editing,
  onFile,
  onTyping,
  onSend,
  replyTo,
  replyName,
  onCancelReply,
  candidates,
}: {
  editing: Message | null;
  onFile: (file: File) => void;
  onTyping: () => void;
  onSend: (text: string, mentions: string[]) => void;
  replyTo: Message | null;
  replyName: string;
  onCancelReply: () => void;
  candidates: MentionCandidate[];
}) {
  const [text, setText] = useState('');
  const [caret, setCaret] = useState(0);
  const [active, setActive] = useState(0);
  const input = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    if (replyTo) input.current?.focus();
  }, [replyTo]);
  useEffect(() => {
    if (!editing) return;
    const t = (editing.body as { text?: string }).text ?? '';
    setText(t);
    setCaret(t.length);
    input.current?.focus();
  }, [editing]);

  // An `@word` being typed right before the caret opens the suggestions.
  const partial = /(?:^|\s)@([\p{L}\p{N}_.-]*)$/u.exec(text.slice(0, caret));
  const query = partial ? partial[1]!.toLowerCase() : null;
  const suggestions =
    query === null
      ? []
      : candidates
          .filter((c) => c.handle.toLowerCase().startsWith(query) || c.label.toLowerCase().startsWith(query))
          .slice(0, 6);
  const open = suggestions.length > 0;

  function pick(c: MentionCandidate) {
    const before = text.slice(0, caret).replace(/@[\p{L}\p{N}_.-]*$/u, `@${c.handle} `);
    const next = before + text.slice(caret);
    setText(next);
    setCaret(before.length);
    setActive(0);
    requestAnimationFrame(() => {
      input.current?.focus();
      input.current?.setSelectionRange(before.length, before.length);
    });
  }

  function submit() {
    const t = text.trim();
    if (!t) return;
    // Mentions are who is still named in the text when it is sent.
    const mentions = candidates
      .filter((c) =>
        new RegExp(`(^|\\s)@${c.handle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=$|[\\s,.!?:;])`, 'u').test(
          t,
        ),
      )
      .map((c) => c.id);
    onSend(t, mentions);
    setText('');
    setCaret(0);
  }
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      {editing && (
        <div class="replying">
          <span>Editing your message</span>
          <button
            type="button"
            class="icon-button"
            onClick={() => {
              onCancelReply();
              setText('');
            }}
            aria-label="Cancel editing"
          >
            ✕
          </button>
        </div>
      )}
      {replyTo && (
        <div class="replying">
          <span>
            Replying to <strong>{replyName}</strong>: {textOf(replyTo)}
          </span>
          <button type="button" class="icon-button" onClick={onCancelReply} aria-label="Cancel reply">
            ✕
          </button>
        </div>
      )}
      {open && (
        <ul class="mention-list" role="listbox" aria-label="Mention someone" id="mention-list">
          {suggestions.map((c, i) => (
            <li
              key={c.id}
              role="option"
              id={`mention-${c.id}`}
              aria-selected={i === active}
              class={i === active ? 'active' : ''}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(c);
              }}
            >
              <strong>@{c.handle}</strong> <span class="hint">{c.label}</span>
            </li>
          ))}
        </ul>
      )}
      <div class="composer-row">
        <label class="attach icon-button" title="Send a picture or file">
          <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
            <path
              fill="currentColor"
              d="M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6h-1.5z"
            />
          </svg>
          <input
            type="file"
            class="visually-hidden"
            aria-label="Attach a file"
            onChange={(e) => {
              const f = e.currentTarget.files?.[0];
              if (f) onFile(f);
              e.currentTarget.value = '';
            }}
          />
        </label>
        <textarea
          ref={input}
          rows={1}
          placeholder="Write a message"
          aria-label="Message"
          aria-autocomplete="list"
          aria-controls={open ? 'mention-list' : undefined}
          aria-activedescendant={open ? `mention-${suggestions[active]?.id}` : undefined}
          value={text}
          maxLength={8000}
          onInput={(e) => {
            setText(e.currentTarget.value);
            setCaret(e.currentTarget.selectionStart ?? e.currentTarget.value.length);
            setActive(0);
            if (e.currentTarget.value.trim()) onTyping();
          }}
          onKeyUp={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
          onClick={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
          onKeyDown={(e) => {
            if (open && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
              e.preventDefault();
              setActive((active + (e.key === 'ArrowDown' ? 1 : suggestions.length - 1)) % suggestions.length);
            } else if (open && (e.key === 'Enter' || e.key === 'Tab') && !e.shiftKey) {
              e.preventDefault();
              pick(suggestions[active]!);
            } else if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              submit();
            } else if (e.key === 'Escape') {
              if (open) setCaret(0);
              else if (replyTo) onCancelReply();
            }
          }}
        />
        <button class="send" type="submit" aria-label="Send" disabled={!text.trim()}>
          <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
            <path fill="currentColor" d="M2 21l21-9L2 3v7l15 2-15 2z" />
          </svg>
        </button>
      </div>
    </form>
  );
}
