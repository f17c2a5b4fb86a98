/**
 * The scrolling message log: a hint when there is older history, the laid-out rows (day
 * separators, the unread line, system entries, bubble groups), then the user's pending and
 * failed sends. Scrolling itself is useMessageWindow's job; this only renders.
 */
import type { Conversation, Message, PendingSend } from '@natter/client';
import type { RefObject } from 'preact';
import type { ChatModel } from '../../lib/model.js';
import type { FailedSend } from '../../lib/outbox.js';
import { systemPreview } from '../Sidebar.js';
import { MessageGroup } from './MessageGroup.js';
import { FailedBubble, PendingBubble } from './OutgoingBubbles.js';
import { buildRows } from './rows.js';

export function MessageList({
  model,
  conv,
  messages,
  all,
  readAtOpen,
  pending,
  failed,
  olderAbove,
  scroller,
  onScroll,
  amAdmin,
  onReply,
  onEdit,
}: {
  model: ChatModel;
  conv: Conversation;
  /** The messages in the page (the window), ascending. */
  messages: Message[];
  /** Every message the model holds, for quoting replies beyond the window. */
  all: Message[];
  /** Where the "new messages" line goes: the read cursor when the chat was opened. */
  readAtOpen: number;
  pending: PendingSend[];
  failed: FailedSend[];
  olderAbove: boolean;
  scroller: RefObject<HTMLDivElement>;
  onScroll: () => Promise<void>;
  amAdmin: boolean;
  onReply: (m: Message) => void;
  onEdit: (m: Message) => void;
}) {
  const rows = buildRows(messages, readAtOpen, model.me);
  const byId = new Map(all.map((m) => [m.id, m]));
  const receipts = model.receiptsOf(conv.id);
  return (
    <div
      class="messages"
      ref={scroller}
      onScroll={() => void onScroll()}
      role="log"
      aria-live="polite"
      aria-label="Messages"
    >
      {olderAbove && <div class="history-hint">Scroll up for older messages</div>}
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
                onReply={onReply}
                onEdit={onEdit}
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
  );
}
