/**
 * The conversation list as the sidebar shows it: pinned first, then by latest activity; titles,
 * unread counts and previews worked out from the conversation views the server sends and the
 * messages we hold. Every conversation put here gets its members' profiles looked up.
 */
import type { Conversation, Message } from '@natter/client';
import type { MessageStore } from './message-store.js';
import type { People } from './people.js';

/** Fields a newer server adds to Conversation (issue 21); read when present. */
export type ConversationExtras = Conversation & {
  unreadCount?: number;
  muted?: boolean;
  pinned?: boolean;
  archived?: boolean;
  mentioned?: boolean;
};

/** The newest message a conversation view carries, when the server includes one. */
const previewOf = (conv: Conversation) =>
  (conv as Conversation & { lastMessage?: Message | null }).lastMessage;

export class ConversationList {
  /** Sorted in place: the array itself stays the same for the life of the model. */
  readonly items: Conversation[] = [];

  constructor(
    private readonly me: string,
    private readonly store: MessageStore,
    private readonly people: People,
  ) {}

  find(conversationId: string): Conversation | undefined {
    return this.items.find((c) => c.id === conversationId);
  }

  /** Adds or replaces a conversation's view, keeps the order, and looks its members up. */
  put(conv: Conversation): void {
    const i = this.items.findIndex((x) => x.id === conv.id);
    if (i >= 0) this.items[i] = conv;
    else this.items.push(conv);
    this.sort();
    for (const id of conv.members) this.people.lookup(id);
  }

  /**
   * A message arrived: its conversation moves up, and past the last seq it knew it learns the new
   * seq (and one more unread when the server counts them and it is someone else's).
   */
  noteMessage(m: Message): void {
    const conv = this.find(m.conversationId);
    if (conv && m.seq > conv.lastSeq) {
      const own = m.senderId === this.me;
      const updated: Conversation = { ...conv, lastSeq: m.seq };
      const ex = updated as ConversationExtras;
      if (typeof ex.unreadCount === 'number' && !own && m.type !== 'system') ex.unreadCount += 1;
      this.put(updated);
    } else if (conv) {
      this.sort();
    }
  }

  /** Moves our read cursor locally (the server is told separately); unread drops to zero. */
  markReadUpTo(conv: Conversation, seq: number): void {
    const updated = { ...conv, membership: { ...conv.membership, readSeq: seq } } as ConversationExtras;
    if (typeof updated.unreadCount === 'number') updated.unreadCount = 0;
    this.put(updated);
  }

  private sort(): void {
    this.items.sort((a, b) => {
      const pa = (a as ConversationExtras).pinned ? 1 : 0;
      const pb = (b as ConversationExtras).pinned ? 1 : 0;
      if (pa !== pb) return pb - pa;
      return this.activity(b) - this.activity(a);
    });
  }

  /** When the conversation last changed: its newest message we hold, else its creation. */
  activity(conv: Conversation): number {
    const last = this.store.last(conv.id);
    const preview = previewOf(conv);
    return Math.max(last?.createdAt ?? 0, preview?.createdAt ?? 0, conv.createdAt);
  }

  titleOf(conv: Conversation): string {
    if (conv.title) return conv.title;
    const others = conv.members.filter((id) => id !== this.me);
    if (conv.kind === 'direct') return others[0] ? this.people.nameOf(others[0]) : 'Just you';
    if (others.length === 0) return 'Just you';
    return others.map((id) => this.people.nameOf(id)).join(', ');
  }

  /** The other person of a direct conversation. */
  peerOf(conv: Conversation): string | null {
    if (conv.kind !== 'direct') return null;
    return conv.members.find((id) => id !== this.me) ?? null;
  }

  unreadOf(conv: Conversation): number {
    const ex = conv as ConversationExtras;
    if (typeof ex.unreadCount === 'number') return ex.unreadCount;
    if (conv.membership.state !== 'active') return 0;
    // Before exact counts: the entries after the read cursor that are someone else's messages.
    const list = this.store.of(conv.id);
    const loaded = list.filter((m) => m.seq > conv.membership.readSeq);
    const firstLoaded = list[0]?.seq ?? conv.lastSeq + 1;
    const notLoaded = Math.max(0, Math.min(firstLoaded - 1, conv.lastSeq) - conv.membership.readSeq);
    return notLoaded + loaded.filter((m) => m.senderId !== this.me && m.type !== 'system').length;
  }

  /** Unread messages over every conversation that is not muted (the tab title's count). */
  totalUnread(): number {
    let n = 0;
    for (const c of this.items) if (!this.isMuted(c)) n += this.unreadOf(c);
    return n;
  }

  lastMessageOf(conv: Conversation): Message | null {
    const last = this.store.last(conv.id) ?? null;
    const preview = previewOf(conv) ?? null;
    if (preview && (!last || preview.seq > last.seq)) return preview;
    return last;
  }

  isMuted(conv: Conversation): boolean {
    return (conv as ConversationExtras).muted === true;
  }

  isArchived(conv: Conversation): boolean {
    return (conv as ConversationExtras).archived === true;
  }

  isPinned(conv: Conversation): boolean {
    return (conv as ConversationExtras).pinned === true;
  }
}
