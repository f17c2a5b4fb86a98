/**
 * What the composer is doing besides writing a new message: replying to one, or editing one of
 * the user's own; and sending accordingly.
 */
import { useState } from 'preact/hooks';
import type { Message } from '@natter/client';
import type { ChatModel } from '../../lib/model.js';

export interface ReplyEdit {
  replyTo: Message | null;
  editing: Message | null;
  reply: (m: Message) => void;
  edit: (m: Message) => void;
  /** Stops replying and editing. */
  cancel: () => void;
  /** Sends the text as an edit of the message being edited, else as a new message (a reply, if replying). */
  send: (text: string, mentions: string[]) => void;
}

export function useReplyEdit(model: ChatModel, conversationId: string, onSent: () => void): ReplyEdit {
  const [replyTo, setReplyTo] = useState<Message | null>(null);
  const [editing, setEditing] = useState<Message | null>(null);
  return {
    replyTo,
    editing,
    reply: setReplyTo,
    edit: setEditing,
    cancel: () => {
      setReplyTo(null);
      setEditing(null);
    },
    send: (text, mentions) => {
      if (editing) {
        const target = editing;
        setEditing(null);
        void model.act('edit', target, text).catch(() => undefined);
        return;
      }
      model.send(conversationId, text, replyTo?.id, mentions);
      setReplyTo(null);
      onSent();
    },
  };
}
