/**
 * What a user can do to a message in the list: the reaction counts under it (tap to add or take
 * back one's own) and its tools (reply, quick reactions, edit, recall, delete for me).
 */
import type { Message } from '@natter/client';
import type { ChatModel } from '../../lib/model.js';

const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'];
/** How long after sending the sender may recall (the server's default RECALL_WINDOW_SECONDS). */
const RECALL_WINDOW_MS = 120_000;

/** The message's reactions, each a toggle of the user's own; nothing when it has none. */
export function Reactions({ model, message }: { model: ChatModel; message: Message }) {
  if (!message.reactions || message.reactions.length === 0) return null;
  return (
    <span class="reactions">
      {message.reactions.map((r) => {
        const mineToo = r.userIds.includes(model.me);
        return (
          <button
            key={r.emoji}
            class={`reaction${mineToo ? ' own' : ''}`}
            aria-pressed={mineToo}
            title={r.userIds.map((id) => model.nameOf(id)).join(', ')}
            onClick={() =>
              void model.act(mineToo ? 'unreact' : 'react', message, r.emoji).catch(() => undefined)
            }
          >
            {r.emoji} {r.count}
          </button>
        );
      })}
    </span>
  );
}

/** The tools of a message not recalled; edit only for one's own text, recall for one's own (in time) or a group admin. */
export function MessageTools({
  model,
  message: m,
  senderName,
  mine,
  group,
  amAdmin,
  onReply,
  onEdit,
}: {
  model: ChatModel;
  message: Message;
  senderName: string;
  mine: boolean;
  group: boolean;
  amAdmin: boolean;
  onReply: (m: Message) => void;
  onEdit: (m: Message) => void;
}) {
  return (
    <span class="message-tools">
      <button class="tool" onClick={() => onReply(m)} aria-label={`Reply to ${senderName}`} title="Reply">
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
  );
}
