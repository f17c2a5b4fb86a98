/**
 * The open conversation: header, announcement, message list and composer (or why the user
 * cannot send). It wires the parts in chat/ together; each part has one job.
 */
import { useState } from 'preact/hooks';
import type { ChatModel } from '../lib/model.js';
import { ChatHeader } from './chat/ChatHeader.js';
import { Composer } from './chat/Composer.js';
import { mentionCandidates } from './chat/mentions.js';
import { MessageList } from './chat/MessageList.js';
import { blockedReason, isAdmin } from './chat/send-rules.js';
import { useMessageWindow } from './chat/useMessageWindow.js';
import { useReplyEdit } from './chat/useReplyEdit.js';
import { ConversationInfoDialog } from './ConversationInfoDialog.js';
import { useModel } from './hooks.js';

export type { MentionCandidate } from './chat/mentions.js';

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
  const pending = model.pendingIn(conversationId);
  const failed = model.failedIn(conversationId);
  const view = useMessageWindow({
    model,
    conversationId,
    all,
    readSeq: conv?.membership.readSeq ?? 0,
    focusSeq,
    trailing: pending.length + failed.length,
  });
  const compose = useReplyEdit(model, conversationId, view.stickToBottom);
  const [info, setInfo] = useState(false);
  // The read cursor when the chat was opened: the "new messages" line stays where it was.
  const [readAtOpen] = useState(() => conv?.membership.readSeq ?? 0);

  if (!conv) return <section class="chat empty-chat">Conversation not found.</section>;
  const title = model.titleOf(conv);
  const group = conv.group;
  const blocked = blockedReason(conv);

  return (
    <section class="chat" aria-label={`Chat with ${title}`}>
      <ChatHeader model={model} conv={conv} onBack={onBack} onInfo={() => setInfo(true)} />
      {group?.announcement && (
        <div class="announcement" role="note">
          <strong>Announcement</strong> {group.announcement}
        </div>
      )}
      {info && <ConversationInfoDialog model={model} conv={conv} onClose={() => setInfo(false)} />}
      <MessageList
        model={model}
        conv={conv}
        messages={view.messages}
        all={all}
        readAtOpen={readAtOpen}
        pending={pending}
        failed={failed}
        olderAbove={view.olderAbove}
        scroller={view.scroller}
        onScroll={view.onScroll}
        amAdmin={isAdmin(conv)}
        onReply={compose.reply}
        onEdit={compose.edit}
      />
      {blocked === null ? (
        <Composer
          onTyping={() => model.typing(conversationId)}
          onFile={(f) => {
            model.sendFile(conversationId, f);
            view.stickToBottom();
          }}
          replyTo={compose.replyTo}
          replyName={compose.replyTo ? model.nameOf(compose.replyTo.senderId) : ''}
          onCancelReply={compose.cancel}
          editing={compose.editing}
          candidates={mentionCandidates(model, conv)}
          onSend={compose.send}
        />
      ) : (
        <div class="composer composer-disabled">{blocked}</div>
      )}
    </section>
  );
}
