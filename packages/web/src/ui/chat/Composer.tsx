/**
 * Where the user writes: a text box with `@` mention suggestions (arrow keys, Enter or Tab to
 * pick), a file picker, and the reply or edit it is doing (useReplyEdit holds which).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Message } from '@natter/client';
import { textOf } from '../../lib/message-text.js';
import {
  insertMention,
  type MentionCandidate,
  mentionedIds,
  mentionQuery,
  suggestionsFor,
} from './mentions.js';

export function Composer({
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
  const suggestions = suggestionsFor(candidates, mentionQuery(text, caret));
  const open = suggestions.length > 0;

  function pick(c: MentionCandidate) {
    const next = insertMention(text, caret, c.handle);
    setText(next.text);
    setCaret(next.caret);
    setActive(0);
    requestAnimationFrame(() => {
      input.current?.focus();
      input.current?.setSelectionRange(next.caret, next.caret);
    });
  }

  function submit() {
    const t = text.trim();
    if (!t) return;
    // Mentions are who is still named in the text when it is sent.
    onSend(t, mentionedIds(candidates, t));
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
