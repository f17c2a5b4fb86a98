/** A run of one sender's messages: avatar and name (others, in groups), then a bubble per message. */
import type { Message } from '@natter/client';
import { textOf } from '../../lib/message-text.js';
import type { ChatModel } from '../../lib/model.js';
import { Avatar } from '../Avatar.js';
import { isMedia, MediaContent } from '../Media.js';
import { clockTime } from '../format.js';
import { MessageTools, Reactions } from './MessageActions.js';

type Receipts = { read: number; delivered: number };

export function MessageGroup({
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
  /** The conversation's messages by id, for quoting what a reply answers. */
  byId: Map<string, Message>;
  group: boolean;
  onReply: (m: Message) => void;
  onEdit: (m: Message) => void;
  amAdmin: boolean;
  receipts: Receipts;
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
              <Reactions model={model} message={m} />
              {!m.recalledAt && (
                <MessageTools
                  model={model}
                  message={m}
                  senderName={name}
                  mine={mine}
                  group={group}
                  amAdmin={amAdmin}
                  onReply={onReply}
                  onEdit={onEdit}
                />
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
function Tick({ seq, receipts }: { seq: number; receipts: Receipts }) {
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
