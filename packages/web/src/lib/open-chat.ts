/**
 * The conversation on screen: which one it is, its history loaded from the SDK's cache on first
 * open and page by page further back as the reader scrolls up, and the read cursor moved to its end
 * while the tab is visible.
 */
import type { NatterClient } from '@natter/client';
import type { ConversationList } from './conversation-list.js';
import type { LiveSignals } from './live-signals.js';
import type { MessageStore } from './message-store.js';

/** Fewer messages than this after the cache is merged in: a page of older history is fetched at once. */
const FIRST_SCREEN = 30;
/** How many older messages one scroll to the top asks the server for. */
const PAGE = 50;

export class OpenChat {
  /** The open conversation, or null when none is. */
  id: string | null = null;

  constructor(
    private readonly client: NatterClient,
    private readonly list: ConversationList,
    private readonly store: MessageStore,
    private readonly signals: LiveSignals,
    private readonly online: () => boolean,
    private readonly changed: () => void,
  ) {}

  async open(conversationId: string | null): Promise<void> {
    this.id = conversationId;
    this.changed();
    if (!conversationId) return;
    const conv = this.list.find(conversationId);
    if (conv?.kind === 'direct' && conv.membership.state === 'active')
      this.signals.fetchReceipts(conversationId);
    if (!this.store.isLoaded(conversationId)) {
      const size = this.store.mergeCached(conversationId, await this.client.messages(conversationId));
      this.changed();
      if (size < FIRST_SCREEN) await this.loadOlder(conversationId);
    }
    this.markRead();
  }

  /** Whether older history than what is loaded exists. */
  hasOlder(conversationId: string): boolean {
    const conv = this.list.find(conversationId);
    const first = this.store.first(conversationId);
    if (!conv) return false;
    const start = Math.max(1, conv.membership.joinedSeq);
    return first ? first.seq > start : conv.lastSeq >= start;
  }

  /** Loads a page of older messages; how many came (0 offline, at the start, or on an error). */
  async loadOlder(conversationId: string): Promise<number> {
    if (!this.online()) return 0;
    try {
      const older = await this.client.loadOlder(conversationId, PAGE);
      if (older.length === 0) return 0;
      this.store.prepend(conversationId, older);
      this.changed();
      return older.length;
    } catch {
      return 0;
    }
  }

  /** Marks the open conversation read when the tab is visible. */
  markRead(): void {
    const id = this.id;
    if (!id || (typeof document !== 'undefined' && document.hidden)) return;
    const conv = this.list.find(id);
    if (!conv || conv.membership.state !== 'active') return;
    const last = this.store.last(id)?.seq ?? conv.lastSeq;
    if (last <= conv.membership.readSeq) return;
    this.list.markReadUpTo(conv, last);
    this.changed();
    this.client.markRead(id, last).catch(() => undefined);
  }
}
