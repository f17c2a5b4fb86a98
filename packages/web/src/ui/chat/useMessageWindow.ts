/**
 * The chat's message window and scrolling: only the newest part of a long history is in the
 * page; scrolling up puts more of it in (then fetches older history), keeping what the reader
 * looks at in place. It opens at a search result, else the first unread message, else the end,
 * and follows new messages while the reader is at the bottom.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { RefObject } from 'preact';
import type { Message } from '@natter/client';
import type { ChatModel } from '../../lib/model.js';

/** Messages put in the page at a time as the reader scrolls up. */
const WINDOW_STEP = 80;
/**
 * At most this many messages on opening, unread or not (a search result's context excepted):
 * a long unread backlog opens at its newest part and grows as the user scrolls up, as any
 * other history. Without the bound, how much a chat rendered on opening depended on how much
 * of the backlog the SDK had synced by then.
 */
const FIRST_WINDOW_MAX = 200;

export interface MessageWindow {
  /** The newest part of `all` that is in the page. */
  messages: Message[];
  /** Whether there is history above the window (in memory or on the server). */
  olderAbove: boolean;
  /** The scrolling element (the message list). */
  scroller: RefObject<HTMLDivElement>;
  onScroll: () => Promise<void>;
  /** Follow the end again (after the user sends). */
  stickToBottom: () => void;
}

export function useMessageWindow({
  model,
  conversationId,
  all,
  readSeq,
  focusSeq,
  trailing,
}: {
  model: ChatModel;
  conversationId: string;
  /** Every message of the conversation the model holds, ascending. */
  all: Message[];
  /** The read cursor (sizes the first window to show the unread). */
  readSeq: number;
  /** A message to show (a search result). */
  focusSeq: number | null;
  /** How many bubbles follow the messages (pending and failed sends). */
  trailing: number;
}): MessageWindow {
  const [windowSize, setWindowSize] = useState(() => {
    const fromFocus = focusSeq ? all.filter((m) => m.seq >= focusSeq).length + 20 : 0;
    return Math.max(
      WINDOW_STEP,
      Math.min(FIRST_WINDOW_MAX, all.filter((m) => m.seq > readSeq).length + 20),
      fromFocus,
    );
  });
  const messages = all.length > windowSize ? all.slice(all.length - windowSize) : all;
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const loadingOlder = useRef(false);
  const heightBeforeOlder = useRef<number | null>(null);

  const count = messages.length + trailing;
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

  return {
    messages,
    olderAbove: messages.length < all.length || model.hasOlder(conversationId),
    scroller,
    onScroll,
    stickToBottom: () => {
      atBottom.current = true;
    },
  };
}
