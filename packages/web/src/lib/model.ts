/**
 * The app's state, derived from the SDK, as one object the views hold: it wires the SDK's events
 * to the parts below and answers the views by asking them. Views subscribe and re-render on every
 * change (`version`); the SDK's cache stays the source of truth.
 *
 *   conversation-list.ts     the sidebar's conversations: order, titles, unread, previews
 *   message-store.ts         the messages held per conversation, in log order
 *   open-chat.ts             the open conversation: its history window and read cursor
 *   outbox.ts                sends not yet in the log: pending, stored, refused; upload progress
 *   live-signals.ts          presence, typing, receipts
 *   people.ts                profiles looked up, and the names shown for them
 *   media-urls.ts            signed media URLs, cached until near expiry
 *   conversation-actions.ts  what the user does to conversations and messages
 *   notifications.ts         desktop notifications while the tab is hidden
 */
import type {
  AuthSession,
  ConnectionState,
  Conversation,
  Message,
  NatterAuth,
  NatterClient,
  PendingSend,
  PublicUser,
} from '@natter/client';
import { ConversationActions, type MessageAction } from './conversation-actions.js';
import { ConversationList } from './conversation-list.js';
import { LiveSignals } from './live-signals.js';
import { MediaUrls } from './media-urls.js';
import { MessageStore } from './message-store.js';
import { notify } from './notifications.js';
import { OpenChat } from './open-chat.js';
import { Outbox, type FailedSend } from './outbox.js';
import { People } from './people.js';

export class ChatModel {
  version = 0;
  state: ConnectionState = { status: 'idle' };
  /** True once the first sync after start finished (until then the list comes from the cache). */
  synced = false;
  readonly me: string;
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribers: (() => void)[] = [];
  private readonly store = new MessageStore();
  private readonly people: People;
  private readonly list: ConversationList;
  private readonly signals: LiveSignals;
  private readonly chat: OpenChat;
  private readonly outbox: Outbox;
  private readonly media: MediaUrls;
  private readonly actions: ConversationActions;

  constructor(
    readonly client: NatterClient,
    readonly auth: NatterAuth,
    session: AuthSession,
  ) {
    this.me = session.userId;
    const changed = () => this.changed();
    this.people = new People(this.me, client, auth, changed);
    this.list = new ConversationList(this.me, this.store, this.people);
    this.signals = new LiveSignals(this.me, client, this.list, changed);
    const online = () => this.state.status === 'online';
    this.chat = new OpenChat(client, this.list, this.store, this.signals, online, changed);
    this.outbox = new Outbox(client, this.store, changed);
    this.media = new MediaUrls(client);
    this.actions = new ConversationActions(client, this.list, this.store, changed);
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
        this.list.put(conv);
        this.changed();
      }),
      c.on('message', (m) => {
        this.onMessage(m);
      }),
      c.on('synced', () => {
        this.synced = true;
        void this.reloadConversations().then(() => this.signals.refreshPresence());
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
        this.outbox.uploaded(item.clientMsgId, item.upload.sent, item.upload.total);
        this.changed();
      }),
      c.on('typing', () => this.changed()),
      c.on('presence', () => this.changed()),
    );
    this.people.lookup(this.me);
    await this.reloadConversations();
    await this.outbox.restore();
    this.changed();
    void c.connect().catch(() => undefined);
  }

  stop(): void {
    for (const u of this.unsubscribers) u();
    this.client.close();
  }

  private async reloadConversations(): Promise<void> {
    const list = await this.client.conversations();
    for (const conv of list) this.list.put(conv);
    this.changed();
  }

  private onMessage(m: Message): void {
    this.store.add(m);
    if (m.clientMsgId) this.outbox.arrived(m.clientMsgId);
    this.list.noteMessage(m);
    if (m.conversationId === this.chat.id) this.chat.markRead();
    else notify(m, this.me, this.list, this.people);
    this.changed();
  }

  // --- the conversation list ---------------------------------------------------------------
  /** Pinned first, then by latest activity; the same array for the life of the model. */
  get conversations(): Conversation[] {
    return this.list.items;
  }

  activity(conv: Conversation): number {
    return this.list.activity(conv);
  }

  titleOf(conv: Conversation): string {
    return this.list.titleOf(conv);
  }

  peerOf(conv: Conversation): string | null {
    return this.list.peerOf(conv);
  }

  unreadOf(conv: Conversation): number {
    return this.list.unreadOf(conv);
  }

  totalUnread(): number {
    return this.list.totalUnread();
  }

  lastMessageOf(conv: Conversation): Message | null {
    return this.list.lastMessageOf(conv);
  }

  isMuted(conv: Conversation): boolean {
    return this.list.isMuted(conv);
  }

  isArchived(conv: Conversation): boolean {
    return this.list.isArchived(conv);
  }

  isPinned(conv: Conversation): boolean {
    return this.list.isPinned(conv);
  }

  // --- the open chat -----------------------------------------------------------------------
  get openId(): string | null {
    return this.chat.id;
  }

  open(conversationId: string | null): Promise<void> {
    return this.chat.open(conversationId);
  }

  messagesOf(conversationId: string): Message[] {
    return this.store.of(conversationId);
  }

  hasOlder(conversationId: string): boolean {
    return this.chat.hasOlder(conversationId);
  }

  loadOlder(conversationId: string): Promise<number> {
    return this.chat.loadOlder(conversationId);
  }

  markOpenRead(): void {
    this.chat.markRead();
  }

  // --- presence, typing, receipts ----------------------------------------------------------
  presenceOf(userId: string): { online: boolean; lastSeen: number | null } | null {
    return this.signals.presenceOf(userId);
  }

  typistsIn(conversationId: string): string[] {
    return this.signals.typistsIn(conversationId);
  }

  typing(conversationId: string): void {
    this.signals.typing(conversationId);
  }

  receiptsOf(conversationId: string): { read: number; delivered: number } {
    return this.signals.receiptsOf(conversationId);
  }

  fetchReceipts(conversationId: string): void {
    this.signals.fetchReceipts(conversationId);
  }

  // --- people ------------------------------------------------------------------------------
  lookup(userId: string): void {
    this.people.lookup(userId);
  }

  user(userId: string): PublicUser | undefined {
    return this.people.user(userId);
  }

  nameOf(userId: string): string {
    return this.people.nameOf(userId);
  }

  findUser(username: string): Promise<PublicUser | null> {
    return this.people.find(username);
  }

  rememberUser(user: PublicUser): void {
    this.people.remember(user);
  }

  // --- sending -----------------------------------------------------------------------------
  send(conversationId: string, text: string, replyTo?: string, mentions: string[] = []): void {
    this.outbox.sendText(conversationId, text, replyTo, mentions);
  }

  sendFile(conversationId: string, file: File): void {
    this.outbox.sendFile(conversationId, file);
  }

  uploadProgress(clientMsgId: string): { sent: number; total: number } | null {
    return this.outbox.uploadProgress(clientMsgId);
  }

  mediaUrl(blobId: string, variant: 'original' | 'thumbnail' = 'original'): Promise<string> {
    return this.media.get(blobId, variant);
  }

  isStored(clientMsgId: string): boolean {
    return this.outbox.isStored(clientMsgId);
  }

  pendingIn(conversationId: string): PendingSend[] {
    return this.outbox.pendingIn(conversationId);
  }

  failedIn(conversationId: string): FailedSend[] {
    return this.outbox.failedIn(conversationId);
  }

  retry(clientMsgId: string): void {
    this.outbox.retry(clientMsgId);
  }

  discard(clientMsgId: string): void {
    this.outbox.discard(clientMsgId);
  }

  // --- actions -----------------------------------------------------------------------------
  applyConversation(conv: Conversation): void {
    this.actions.apply(conv);
  }

  setFlag(conversationId: string, flag: 'pinned' | 'muted' | 'archived', on: boolean): Promise<void> {
    return this.actions.setFlag(conversationId, flag, on);
  }

  startDirect(userId: string): Promise<Conversation> {
    return this.actions.startDirect(userId);
  }

  createGroup(title: string, members: string[]): Promise<Conversation> {
    return this.actions.createGroup(title, members);
  }

  joinByInvite(code: string): Promise<Conversation> {
    return this.actions.joinByInvite(code);
  }

  addMembers(conversationId: string, userIds: string[]): Promise<void> {
    return this.actions.addMembers(conversationId, userIds);
  }

  removeMember(conversationId: string, userId: string): Promise<void> {
    return this.actions.removeMember(conversationId, userId);
  }

  leave(conversationId: string): Promise<void> {
    return this.actions.leave(conversationId);
  }

  act(kind: MessageAction, m: Message, arg = ''): Promise<void> {
    return this.actions.act(kind, m, arg);
  }
}
