/**
 * The app's state, derived from the SDK: the conversation list, the open chat's messages, sends
 * still in the outbox or refused, the connection state and the people we have looked up. Views
 * subscribe and re-render on every change (`version`); the SDK's cache stays the source of truth.
 */
import { newClientMsgId } from '@natter/client';
import { MediaUrls } from './media-urls.js';
import { MessageStore } from './message-store.js';
import { textOf } from './message-text.js';
import { People } from './people.js';
import type {
  AuthSession,
  ConnectionState,
  Conversation,
  Message,
  NatterAuth,
  NatterClient,
  PendingSend,
  PublicUser,
  SendResult,
} from '@natter/client';

export interface FailedSend {
  item: PendingSend;
  code: string;
  message: string;
}

/** Fields a newer server adds to Conversation (issue 21); read when present. */
type ConversationExtras = Conversation & {
  unreadCount?: number;
  muted?: boolean;
  pinned?: boolean;
  archived?: boolean;
  mentioned?: boolean;
};

export class ChatModel {
  version = 0;
  state: ConnectionState = { status: 'idle' };
  /** True once the first sync after start finished (until then the list comes from the cache). */
  synced = false;
  conversations: Conversation[] = [];
  readonly me: string;
  private readonly store = new MessageStore();
  private readonly pending = new Map<string, PendingSend>();
  private readonly failed = new Map<string, FailedSend>();
  private readonly stored = new Set<string>();
  /** Upload progress of media sends still in the outbox, by clientMsgId. */
  private readonly progress = new Map<string, { sent: number; total: number }>();
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribers: (() => void)[] = [];
  private readonly people: People;
  private readonly media: MediaUrls;
  openId: string | null = null;

  constructor(
    readonly client: NatterClient,
    readonly auth: NatterAuth,
    session: AuthSession,
  ) {
    this.me = session.userId;
    this.people = new People(this.me, client, auth, () => this.changed());
    this.media = new MediaUrls(client);
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    this.version++;
    for (const l of this.listeners) l();
  }

  async start(): Promise<void> {
    const c = this.client;
    this.unsubscribers.push(
      c.on('state', (s) => {
        this.state = s;
        this.changed();
      }),
      c.on('conversation', (conv) => {
        this.putConversation(conv);
        this.changed();
      }),
      c.on('message', (m) => {
        this.onMessage(m);
      }),
      c.on('synced', () => {
        this.synced = true;
        void this.reloadConversations().then(() => this.refreshPresence());
      }),
      c.on('receipt', () => this.changed()),
      c.on('messageUpdated', (m) => {
        this.store.replace(m);
        this.changed();
      }),
      // Deleted for me here or on another device: the tombstone keeps its place (seq), the chat skips it.
      c.on('messageHidden', ({ message: m }) => {
        this.store.replace(m);
        this.changed();
      }),
      c.on('upload', (item) => {
        this.progress.set(item.clientMsgId, { sent: item.upload.sent, total: item.upload.total });
        this.changed();
      }),
      c.on('typing', () => this.changed()),
      c.on('presence', () => this.changed()),
    );
    this.lookup(this.me);
    await this.reloadConversations();
    // Sends typed before a reload are still in the outbox: show them, and learn how they end.
    for (const item of await c.pendingSends()) this.track(item, c.waitForSend(item.clientMsgId));
    this.changed();
    void c.connect().catch(() => undefined);
  }

  stop(): void {
    for (const u of this.unsubscribers) u();
    this.client.close();
  }

  private async reloadConversations(): Promise<void> {
    const list = await this.client.conversations();
    for (const conv of list) this.putConversation(conv);
    this.changed();
  }

  private putConversation(conv: Conversation): void {
    const i = this.conversations.findIndex((x) => x.id === conv.id);
    if (i >= 0) this.conversations[i] = conv;
    else this.conversations.push(conv);
    this.sortConversations();
    for (const id of conv.members) this.lookup(id);
  }

  private sortConversations(): void {
    this.conversations.sort((a, b) => {
      const pa = (a as ConversationExtras).pinned ? 1 : 0;
      const pb = (b as ConversationExtras).pinned ? 1 : 0;
      if (pa !== pb) return pb - pa;
      return this.activity(b) - this.activity(a);
    });
  }

  /** When the conversation last changed: its newest message we hold, else its creation. */
  activity(conv: Conversation): number {
    const last = this.store.last(conv.id);
    const preview = (conv as Conversation & { lastMessage?: Message | null }).lastMessage;
    return Math.max(last?.createdAt ?? 0, preview?.createdAt ?? 0, conv.createdAt);
  }

  private onMessage(m: Message): void {
    this.store.add(m);
    if (m.clientMsgId) {
      this.pending.delete(m.clientMsgId);
      this.stored.delete(m.clientMsgId);
    }
    const conv = this.conversations.find((c) => c.id === m.conversationId);
    if (conv && m.seq > conv.lastSeq) {
      const own = m.senderId === this.me;
      const updated: Conversation = { ...conv, lastSeq: m.seq };
      const ex = updated as ConversationExtras;
      if (typeof ex.unreadCount === 'number' && !own && m.type !== 'system') ex.unreadCount += 1;
      this.putConversation(updated);
    } else if (conv) {
      this.sortConversations();
    }
    if (m.conversationId === this.openId) this.markOpenRead();
    else this.notify(m);
    this.changed();
  }

  /** A desktop notification for a message from someone else while the tab is hidden. */
  private notify(m: Message): void {
    if (m.senderId === this.me || m.type === 'system') return;
    if (typeof document === 'undefined' || !document.hidden) return;
    if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
    const conv = this.conversations.find((c) => c.id === m.conversationId);
    if (!conv || (conv as ConversationExtras).muted) return;
    const body = textOf(m);
    new Notification(this.titleOf(conv), { body: `${this.nameOf(m.senderId)}: ${body}`, tag: conv.id });
  }

  // --- presence, typing, receipts -------------------------------------------------------
  /** Asks the presence of everyone we share a direct conversation with (pushes keep it fresh). */
  private async refreshPresence(): Promise<void> {
    const peers = this.conversations.map((c) => this.peerOf(c)).filter((p): p is string => p !== null);
    if (peers.length === 0) return;
    try {
      await this.client.getPresence([...new Set(peers)]);
      this.changed();
    } catch {
      // Offline again: asked on the next sync.
    }
  }

  /** Online, last seen, or unknown (hidden, or not shared with us). */
  presenceOf(userId: string): { online: boolean; lastSeen: number | null } | null {
    const p = this.client.presenceOf(userId);
    return p ? { online: p.online, lastSeen: p.lastSeen } : null;
  }

  /** Who is typing in a conversation, other than us. */
  typistsIn(conversationId: string): string[] {
    return this.client.typists(conversationId).filter((id) => id !== this.me);
  }

  typing(conversationId: string): void {
    this.client.typing(conversationId).catch(() => undefined);
  }

  /**
   * How far the other member of a direct conversation has got with our messages: read up to,
   * received (on at least one device) up to. Zeros in groups or when receipts are off.
   */
  receiptsOf(conversationId: string): { read: number; delivered: number } {
    const conv = this.conversations.find((c) => c.id === conversationId);
    const peer = conv ? this.peerOf(conv) : null;
    if (!peer) return { read: 0, delivered: 0 };
    const r = this.client.receipts(conversationId);
    const read = r.read.get(peer) ?? 0;
    return { read, delivered: Math.max(read, r.delivered.get(peer) ?? 0) };
  }

  fetchReceipts(conversationId: string): void {
    this.client.fetchReceipts(conversationId).then(
      () => this.changed(),
      () => undefined,
    );
  }

  async setFlag(conversationId: string, flag: 'pinned' | 'muted' | 'archived', on: boolean): Promise<void> {
    this.putConversation(await this.client.setFlags(conversationId, { [flag]: on }));
    this.changed();
  }

  isArchived(conv: Conversation): boolean {
    return (conv as ConversationExtras).archived === true;
  }

  isPinned(conv: Conversation): boolean {
    return (conv as ConversationExtras).pinned === true;
  }

  // --- people ---------------------------------------------------------------------------
  lookup(userId: string): void {
    this.people.lookup(userId);
  }

  user(userId: string): PublicUser | undefined {
    return this.people.user(userId);
  }

  nameOf(userId: string): string {
    return this.people.nameOf(userId);
  }

  /** Looks a user up by username; null when there is no such (discoverable) user. */
  findUser(username: string): Promise<PublicUser | null> {
    return this.people.find(username);
  }

  // --- conversations --------------------------------------------------------------------
  titleOf(conv: Conversation): string {
    if (conv.title) return conv.title;
    const others = conv.members.filter((id) => id !== this.me);
    if (conv.kind === 'direct') return others[0] ? this.nameOf(others[0]) : 'Just you';
    if (others.length === 0) return 'Just you';
    return others.map((id) => this.nameOf(id)).join(', ');
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

  isMuted(conv: Conversation): boolean {
    return (conv as ConversationExtras).muted === true;
  }

  totalUnread(): number {
    let n = 0;
    for (const c of this.conversations) if (!this.isMuted(c)) n += this.unreadOf(c);
    return n;
  }

  lastMessageOf(conv: Conversation): Message | null {
    const last = this.store.last(conv.id) ?? null;
    const preview = (conv as Conversation & { lastMessage?: Message | null }).lastMessage ?? null;
    if (preview && (!last || preview.seq > last.seq)) return preview;
    return last;
  }

  async open(conversationId: string | null): Promise<void> {
    this.openId = conversationId;
    this.changed();
    if (!conversationId) return;
    const conv = this.conversations.find((c) => c.id === conversationId);
    if (conv?.kind === 'direct' && conv.membership.state === 'active') this.fetchReceipts(conversationId);
    if (!this.store.isLoaded(conversationId)) {
      const size = this.store.mergeCached(conversationId, await this.client.messages(conversationId));
      this.changed();
      if (size < 30) await this.loadOlder(conversationId);
    }
    this.markOpenRead();
  }

  messagesOf(conversationId: string): Message[] {
    return this.store.of(conversationId);
  }

  /** Whether older history than what is loaded exists. */
  hasOlder(conversationId: string): boolean {
    const conv = this.conversations.find((c) => c.id === conversationId);
    const first = this.store.first(conversationId);
    if (!conv) return false;
    const start = Math.max(1, conv.membership.joinedSeq);
    return first ? first.seq > start : conv.lastSeq >= start;
  }

  async loadOlder(conversationId: string): Promise<number> {
    if (this.state.status !== 'online') return 0;
    try {
      const older = await this.client.loadOlder(conversationId, 50);
      if (older.length === 0) return 0;
      this.store.prepend(conversationId, older);
      this.changed();
      return older.length;
    } catch {
      return 0;
    }
  }

  /** Marks the open conversation read when the tab is visible. */
  markOpenRead(): void {
    const id = this.openId;
    if (!id || (typeof document !== 'undefined' && document.hidden)) return;
    const conv = this.conversations.find((c) => c.id === id);
    if (!conv || conv.membership.state !== 'active') return;
    const last = this.store.last(id)?.seq ?? conv.lastSeq;
    if (last <= conv.membership.readSeq) return;
    const updated = { ...conv, membership: { ...conv.membership, readSeq: last } } as ConversationExtras;
    if (typeof updated.unreadCount === 'number') updated.unreadCount = 0;
    this.putConversation(updated);
    this.changed();
    this.client.markRead(id, last).catch(() => undefined);
  }

  // --- sending --------------------------------------------------------------------------
  send(conversationId: string, text: string, replyTo?: string, mentions: string[] = []): void {
    this.client.stopTyping(conversationId).catch(() => undefined);
    const clientMsgId = newClientMsgId();
    const item: PendingSend = {
      clientMsgId,
      conversationId,
      msgType: 'text',
      body: { text },
      createdAt: Date.now(),
      ...(replyTo && { replyTo }),
    };
    this.track(
      item,
      this.client.sendText(conversationId, text, {
        clientMsgId,
        ...(replyTo && { replyTo }),
        ...(mentions.length > 0 && { mentions }),
      }),
    );
    this.changed();
  }

  /** Sends a picture, voice note, video or any other file; it shows at once with its upload's progress. */
  sendFile(conversationId: string, file: File): void {
    const type = file.type || 'application/octet-stream';
    const msgType = type.startsWith('image/')
      ? 'image'
      : type.startsWith('audio/')
        ? 'voice'
        : type.startsWith('video/')
          ? 'video'
          : 'file';
    const clientMsgId = newClientMsgId();
    const item: PendingSend = {
      clientMsgId,
      conversationId,
      msgType: msgType as PendingSend['msgType'],
      body: { name: file.name },
      createdAt: Date.now(),
    };
    this.progress.set(clientMsgId, { sent: 0, total: file.size });
    this.track(
      item,
      this.client.sendMedia(conversationId, msgType, { data: file, type, name: file.name }, { clientMsgId }),
    );
    this.changed();
  }

  uploadProgress(clientMsgId: string): { sent: number; total: number } | null {
    return this.progress.get(clientMsgId) ?? null;
  }

  /** A URL for `<img>`/`<audio>`/download of a blob this user may see (signed, short-lived, cached). */
  mediaUrl(blobId: string, variant: 'original' | 'thumbnail' = 'original'): Promise<string> {
    return this.media.get(blobId, variant);
  }

  private track(item: PendingSend, done: Promise<SendResult>): void {
    this.pending.set(item.clientMsgId, item);
    done.then(
      (result) => {
        // Stored. Its log entry may still be on its way: keep showing the bubble until it is in.
        const have = this.store.hasSeq(item.conversationId, result.seq);
        if (have || !this.pending.has(item.clientMsgId)) this.pending.delete(item.clientMsgId);
        else this.stored.add(item.clientMsgId);
        this.changed();
      },
      (err: { code?: string; message?: string }) => {
        this.pending.delete(item.clientMsgId);
        this.failed.set(item.clientMsgId, {
          item,
          code: err.code ?? 'error',
          message: err.message ?? String(err),
        });
        this.changed();
      },
    );
  }

  /** Whether a pending send is already stored (its entry not yet received). */
  isStored(clientMsgId: string): boolean {
    return this.stored.has(clientMsgId);
  }

  pendingIn(conversationId: string): PendingSend[] {
    return [...this.pending.values()]
      .filter((p) => p.conversationId === conversationId)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  failedIn(conversationId: string): FailedSend[] {
    return [...this.failed.values()].filter((f) => f.item.conversationId === conversationId);
  }

  retry(clientMsgId: string): void {
    const f = this.failed.get(clientMsgId);
    if (!f) return;
    this.failed.delete(clientMsgId);
    const text = (f.item.body as { text?: string }).text ?? '';
    this.send(f.item.conversationId, text, f.item.replyTo);
  }

  discard(clientMsgId: string): void {
    this.failed.delete(clientMsgId);
    this.changed();
  }

  async startDirect(userId: string): Promise<Conversation> {
    const conv = await this.client.openDirect(userId);
    this.putConversation(conv);
    this.changed();
    return conv;
  }

  /** A conversation view an action answered with (the push may come later). */
  applyConversation(conv: Conversation): void {
    this.putConversation(conv);
    this.changed();
  }

  async joinByInvite(code: string): Promise<Conversation> {
    const conv = await this.client.joinByInvite(code.trim());
    this.applyConversation(conv);
    return conv;
  }

  /**
   * Recall, edit, reactions and delete for me (`hide`): the answer is applied at once; every
   * device gets the log entry (a hide: the user's own devices get a push).
   */
  async act(kind: 'recall' | 'edit' | 'react' | 'unreact' | 'hide', m: Message, arg = ''): Promise<void> {
    const c = this.client;
    const updated =
      kind === 'hide'
        ? await c.hideMessage(m.conversationId, m.id)
        : kind === 'recall'
          ? await c.recall(m.conversationId, m.id)
          : kind === 'edit'
            ? await c.edit(m.conversationId, m.id, arg)
            : kind === 'react'
              ? await c.react(m.conversationId, m.id, arg)
              : await c.unreact(m.conversationId, m.id, arg);
    this.store.replace(updated);
    this.changed();
  }

  rememberUser(user: PublicUser): void {
    this.people.remember(user);
  }

  async addMembers(conversationId: string, userIds: string[]): Promise<void> {
    this.putConversation(await this.client.addMembers(conversationId, userIds));
    this.changed();
  }

  async removeMember(conversationId: string, userId: string): Promise<void> {
    this.putConversation(await this.client.removeMember(conversationId, userId));
    this.changed();
  }

  async leave(conversationId: string): Promise<void> {
    await this.client.leave(conversationId);
    this.putConversation(await this.client.getConversation(conversationId));
    this.changed();
  }

  async createGroup(title: string, members: string[]): Promise<Conversation> {
    const conv = await this.client.createGroup({ ...(title && { title }), members });
    this.putConversation(conv);
    this.changed();
    return conv;
  }
}

