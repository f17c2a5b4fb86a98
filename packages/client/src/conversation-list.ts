/**
 * The ready-made conversation list: every conversation of the user with its preview, exact
 * unread count and `mentioned` flag, sorted pinned first, then by latest activity, with the
 * total badge (unread over active, unmuted conversations). It follows the client's events:
 * each `conversation` view (sync, pushes, answers) is the server's exact state; each `message`
 * after it is counted here as the server counts it (docs/conversation-state.md): entries from
 * others after the read cursor count, system entries never, and one's own message moves the
 * read cursor to it. A view older than what this device has applied since (it raced a live
 * message) is replaced by a fresh one from the server, so the list never drifts.
 *
 * @example
 * const list = client.conversationList();
 * list.on('change', () => render(list.items, list.totalUnread));
 */
import type { Conversation, Message } from '@natter/protocol/wire';
import { MENTION_ALL } from '@natter/protocol/wire';
import { Emitter } from './emitter.js';

/** One row of the list: the server's view of the conversation, kept current by live messages. */
export type ConversationListItem = Conversation;

export interface ConversationListEvents extends Record<string, unknown> {
  /** The list changed: read `items` and `totalUnread` again. */
  change: void;
}

/** What the list needs of the client: its events, who the user is, and a fresh view on demand. */
export interface ConversationListSource {
  readonly userId: string | null;
  on(event: 'conversation', listener: (c: Conversation) => void): () => void;
  on(event: 'message', listener: (m: Message) => void): () => void;
  getConversation(conversationId: string): Promise<Conversation>;
  conversations(): Promise<Conversation[]>;
  /** The newest seq this device holds of the conversation's log. */
  lastAppliedSeq(conversationId: string): Promise<number>;
}

/** Pinned first, then newest activity first; ties by id so the order is stable. */
export function compareListItems(a: ConversationListItem, b: ConversationListItem): number {
  if (a.pinned !== b.pinned) return a.pinned ? -1 : 1;
  if (a.lastActivityAt !== b.lastActivityAt) return b.lastActivityAt - a.lastActivityAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The total badge of a set of conversations: unread over active, unmuted ones. */
export function totalUnreadOf(items: Iterable<ConversationListItem>): number {
  let total = 0;
  for (const c of items) if (c.membership.state === 'active' && !c.muted) total += c.unreadCount;
  return total;
}

export class ConversationList extends Emitter<ConversationListEvents> {
  private readonly byId = new Map<string, ConversationListItem>();
  private readonly refreshing = new Set<string>();
  private readonly unsubscribe: (() => void)[] = [];
  private sortedCache: ConversationListItem[] | null = null;
  private closed = false;

  constructor(private readonly source: ConversationListSource) {
    super();
    this.unsubscribe.push(
      source.on('conversation', (c) => this.onView(c)),
      source.on('message', (m) => this.onMessage(m)),
    );
    void this.loadCached();
  }

  /** The conversations, pinned first, then by latest activity. Archived ones included (filter on `archived`). */
  get items(): ConversationListItem[] {
    this.sortedCache ??= [...this.byId.values()].sort(compareListItems);
    return this.sortedCache;
  }

  /** The total badge: unread over active, unmuted conversations (archived ones count). */
  get totalUnread(): number {
    return totalUnreadOf(this.byId.values());
  }

  get(conversationId: string): ConversationListItem | undefined {
    return this.byId.get(conversationId);
  }

  /** Stops following the client. */
  close(): void {
    this.closed = true;
    for (const u of this.unsubscribe) u();
  }

  /** Waits until views being refreshed have arrived (tests, and UIs that want a settled list). */
  async settled(): Promise<void> {
    while (this.refreshing.size > 0) await new Promise((r) => setTimeout(r, 10));
  }

  private async loadCached(): Promise<void> {
    for (const c of await this.source.conversations()) {
      if (this.byId.has(c.id)) continue;
      this.put(c);
      // The cache's view may be older than the log the cache holds: ask for a fresh one.
      if ((await this.source.lastAppliedSeq(c.id)) > c.lastSeq) this.refresh(c.id);
    }
    this.changed();
  }

  /** `fresh`: the view was just asked for, so it is the newest the server has: taken as it is. */
  private onView(c: Conversation, fresh = false): void {
    const mine = this.byId.get(c.id);
    // A view taken before what this device has already applied (it raced a live message or a
    // read on another device) would undo it: ask the server for the current one instead.
    const stale =
      mine !== undefined &&
      (c.lastSeq < mine.lastSeq ||
        (c.membership.joinedSeq === mine.membership.joinedSeq && c.membership.state === mine.membership.state && c.membership.readSeq < mine.membership.readSeq));
    if (stale && !fresh) {
      this.refresh(c.id);
      return;
    }
    this.put(c);
    this.changed();
  }

  private onMessage(m: Message): void {
    const c = this.byId.get(m.conversationId);
    if (!c) {
      this.refresh(m.conversationId);
      return;
    }
    // Entries up to the view's lastSeq are in its counts already.
    if (m.seq <= c.lastSeq || c.membership.state !== 'active') return;
    const me = this.source.userId;
    const next: ConversationListItem = { ...c, lastSeq: m.seq, lastMessage: { ...m, clientMsgId: null }, lastActivityAt: m.createdAt };
    if (m.senderId === me && m.type !== 'system') {
      // Sending moves one's read cursor to one's message, as the server does.
      next.membership = { ...c.membership, readSeq: m.seq };
      next.unreadCount = 0;
      next.mentioned = false;
    } else if (m.type !== 'system' && m.seq > c.membership.readSeq) {
      next.unreadCount = c.unreadCount + 1;
      if (m.mentions?.includes(MENTION_ALL) || (me !== null && m.mentions?.includes(me))) next.mentioned = true;
    }
    this.put(next);
    this.changed();
  }

  private put(c: ConversationListItem): void {
    this.byId.set(c.id, c);
    this.sortedCache = null;
  }

  private refresh(conversationId: string): void {
    if (this.refreshing.has(conversationId) || this.closed) return;
    this.refreshing.add(conversationId);
    void this.source
      .getConversation(conversationId)
      .then(
        (fresh) => {
          this.refreshing.delete(conversationId);
          if (!this.closed) this.onView(fresh, true);
        },
        () => {
          // Offline or gone: the next sync brings the view.
          this.refreshing.delete(conversationId);
        },
      );
  }

  private changed(): void {
    if (!this.closed) this.emit('change', undefined);
  }
}
