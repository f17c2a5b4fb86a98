/**
 * NatterClient: the SDK's public face. It connects and re-connects by itself, keeps an outbox
 * so sends survive disconnects, and keeps the local cache in sync — each message is emitted
 * once, in conversation order.
 *
 * @example
 * ```ts
 * import WebSocket from 'ws';
 * import { NatterClient } from '@natter/client';
 * const client = new NatterClient({ url: 'ws://localhost:8080/v1/ws', token, WebSocket });
 * client.on('message', (m) => console.log(m.conversationId, m.seq, m.body));
 * await client.connect();
 * const chat = await client.openDirect(otherUserId);
 * await client.sendText(chat.id, 'hello');
 * ```
 */
import type {
  AuthOk,
  BackoffOptions,
  BlockedUser,
  Contact,
  ContactEvent,
  Conversation,
  ConversationFlags,
  FriendRequestResult,
  FriendRequests,
  MediaMessageType,
  GroupInvite,
  GroupProfilePatch,
  HiddenMessage,
  Message,
  Presence,
  PublicUser,
  ReadersPage,
  Receipt,
  ReceiptsResult,
  RoomJoinResult,
  RoomPriority,
  SearchResult,
  SendResult,
  UserSettings,
} from '@natter/protocol/wire';
import { MemoryCache, type ClientCache, type PendingSend, type PendingUpload } from './cache.js';
import { httpBaseOf, MediaUploader, type MediaFile } from './media.js';
import type { Connection, ConnectionState, WebSocketFactory } from './connection.js';
import { createConnection } from './connection-setup.js';
import type { ConversationList, ConversationListSource } from './conversation-list.js';
import { ContactsApi } from './contacts-api.js';
import { ConversationsApi } from './conversations-api.js';
import { Emitter } from './emitter.js';
import { MediaApi } from './media-api.js';
import { GroupsApi } from './groups-api.js';
import { MessageActionsApi } from './message-actions-api.js';
import { Outbox } from './outbox.js';
import type { ConversationReceipts } from './receipts.js';
import { ReceiptsApi } from './receipts-api.js';
import type { TypingEvent } from './presence.js';
import { PresenceApi } from './presence-api.js';
import { rpcOver, type Rpc } from './rpc.js';
import { searchMessages } from './search-api.js';
import { SettingsApi } from './settings-api.js';
import { SyncEngine } from './sync.js';
import { pendingSend, type SendOptions } from './send-api.js';
import { RoomsClient, type RoomEvents } from './rooms.js';

export interface NatterClientOptions {
  /** The server's WebSocket URL, e.g. `wss://chat.example.com/v1/ws`. */
  url: string;
  /** An access token, or a function returning a fresh one (called on every connect). */
  token: string | (() => string | Promise<string>);
  /** WebSocket implementation; the global one by default (pass the `ws` package in Node 20). */
  WebSocket?: WebSocketFactory;
  /** Where conversations, messages, the sync token and the outbox are kept. */
  cache?: ClientCache;
  requestTimeoutMs?: number;
  backoff?: Partial<BackoffOptions>;
  pingIntervalMs?: number;
  /** The server's HTTP base for uploads, e.g. `https://chat.example.com`; derived from `url` by default. */
  httpUrl?: string;
}

/** Room and broadcast events (roomMessage, roomState, roomLeft, broadcast, broadcastUnread) are in rooms.ts. */
export interface ClientEvents extends Record<string, unknown>, RoomEvents {
  /** Connection state changes: connecting, online, offline (with retry delay), closed. */
  state: ConnectionState;
  /** A log entry shown for the first time, in seq order per conversation. */
  message: Message;
  /**
   * A message held in the cache was recalled, edited or reacted to, or restored after a delete for
   * me (`unhideMessage`): its new state (same id and seq).
   */
  messageUpdated: Message;
  /**
   * This user deleted a held message for themselves (`hideMessage`, here or on another of their
   * devices, live or found at sync): `message` is its tombstone (same id and seq, body `{}`,
   * `hiddenAt` set). Drop it from what you show; `messages()` leaves it out from now on.
   */
  messageHidden: { hidden: HiddenMessage; message: Message };
  /** A conversation was added, changed, or left. */
  conversation: Conversation;
  /**
   * A read or delivery receipt that moved a cursor forward (from a push, or from a
   * `fetchReceipts` answer, also the one run after each reconnect). Never goes backwards.
   */
  receipt: Receipt;
  /**
   * Something changed in this user's contacts (a friend request received, sent, accepted,
   * declined or cancelled, a friend removed, a block or unblock made on another device). Lists
   * are not cached: refetch the one concerned, or apply the event to your own copy.
   */
  contact: ContactEvent;
  /** A full sync after (re)connecting finished. */
  synced: void;
  /** A background failure (sync or delivery); the client keeps going. */
  error: unknown;
  /** Someone started typing in a conversation (`typing: true`), or stopped or it lapsed (`false`). */
  typing: TypingEvent;
  /** A user's presence changed (or was first learned): online, or offline with last seen. */
  presence: Presence;
  /** A media send's upload moved on (or began: sent 0). */
  upload: PendingSend & { upload: PendingUpload };
}

export { newClientMsgId, type SendOptions } from './send-api.js';

export class NatterClient extends Emitter<ClientEvents> {
  readonly cache: ClientCache;
  private readonly conn: Connection;
  private readonly sync: SyncEngine;
  private readonly outbox: Outbox;
  private readonly rooms: RoomsClient;
  private readonly rpc: Rpc;
  private readonly mediaApi: MediaApi;
  private readonly conversationsApi: ConversationsApi;
  private readonly groupsApi: GroupsApi;
  private readonly presenceApi: PresenceApi;
  private readonly receiptsApi: ReceiptsApi;
  private readonly settingsApi: SettingsApi;
  private readonly contactsApi: ContactsApi;
  private readonly actionsApi: MessageActionsApi;
  /** Uploads files for media sends over HTTP. */
  readonly uploader: MediaUploader;
  private session: AuthOk | null = null;
  private syncedOnce = false;
  private syncWaiters: (() => void)[] = [];

  constructor(options: NatterClientOptions) {
    super();
    this.cache = options.cache ?? new MemoryCache();
    this.conn = createConnection(options, options.token, {
      onState: (s) => this.emit('state', s),
      onPush: (frame) => {
        switch (frame.type) {
          case 'message':
            return this.sync.onPushMessage(frame.message);
          case 'conversation':
            return this.sync.onPushConversation(frame.conversation);
          case 'resync':
            return void this.sync.syncAll().catch((err: unknown) => this.emit('error', err));
          case 'receipt':
            return this.receiptsApi.onPush(frame.receipt);
          case 'contact':
            return this.emit('contact', frame.event);
          case 'message.hidden':
            return void this.sync.onHidden(frame.hidden);
          case 'message.unhidden':
            return void this.sync.onUnhidden(frame.unhidden);
          case 'typing':
            return this.presenceApi.onTypingPush(frame);
          case 'presence':
            return this.presenceApi.onPresencePush(frame.presence);
          case 'room':
          case 'room~':
          case 'room.left':
          case 'broadcast':
            return this.rooms.onPush(frame);
        }
      },
      onOnline: (session) => this.whenOnline(session),
    });
    this.sync = new SyncEngine(this.conn, this.cache, {
      message: (m) => this.emit('message', m),
      updated: (m) => this.emit('messageUpdated', m),
      hidden: (hidden, message) => this.emit('messageHidden', { hidden, message }),
      conversation: (c) => this.emit('conversation', c),
      error: (e) => this.emit('error', e),
    });
    this.outbox = new Outbox(this.conn, this.cache);
    this.rooms = new RoomsClient(
      this.conn,
      (event, value) => this.emit(event, value as ClientEvents[typeof event]),
      (err) => this.emit('error', err),
    );
    this.rpc = rpcOver(this.conn);
    const on = ((event: 'conversation' | 'message', listener: (v: Conversation | Message) => void) => this.on(event, listener)) as ConversationListSource['on'];
    this.conversationsApi = new ConversationsApi(this.rpc, this.cache, () => this.userId, on);
    this.groupsApi = new GroupsApi(this.rpc);
    this.receiptsApi = new ReceiptsApi(this.conn, this.rpc, (r) => this.emit('receipt', r), (err) => this.emit('error', err));
    this.settingsApi = new SettingsApi(this.rpc);
    this.presenceApi = new PresenceApi(this.conn, this.rpc, { typing: (e) => this.emit('typing', e), presence: (p) => this.emit('presence', p) });
    this.contactsApi = new ContactsApi(this.rpc);
    this.actionsApi = new MessageActionsApi(this.rpc, this.sync);
    const token = options.token;
    this.uploader = new MediaUploader(options.httpUrl ?? httpBaseOf(options.url), async () => (typeof token === 'string' ? token : token()));
    this.mediaApi = new MediaApi(this.cache, this.outbox, this.uploader, (item) => this.emit('upload', item));
  }

  get state(): ConnectionState {
    return this.conn.current;
  }

  /** The authenticated user, once online. */
  get userId(): string | null {
    return this.session?.userId ?? null;
  }

  get deviceId(): string | null {
    return this.session?.deviceId ?? null;
  }

  /** Starts connecting; resolves once online and the first sync has finished. */
  async connect(): Promise<void> {
    this.conn.start();
    await this.conn.waitOnline();
    await this.synced();
  }

  /** Closes the connection; pending sends stay in the cache's outbox for next time. */
  close(): void {
    // What was applied but not yet acknowledged is acknowledged now, so a clean close does not
    // leave the server to send it again on the next connection.
    this.sync.flushAcks();
    this.conn.stop();
    this.sync.dispose();
    this.outbox.dispose();
    this.presenceApi.dispose();
    this.rooms.dispose();
  }

  /** Simulates a network failure (the client reconnects by itself). For tests and demos. */
  dropConnection(): void {
    this.conn.drop();
  }

  private whenOnline(session: AuthOk): void {
    this.session = session;
    this.rooms.online();
    void (async () => {
      try {
        await this.outbox.flush();
        await this.sync.syncAll();
        // Pushes missed while away: ask again about everyone this client has heard of.
        void this.presenceApi.refresh().catch((err: unknown) => this.emit('error', err));
        this.syncedOnce = true;
        const w = this.syncWaiters;
        this.syncWaiters = [];
        for (const f of w) f();
        this.emit('synced', undefined);
        // Receipts pushed while offline were missed: ask again for the conversations followed.
        await this.receiptsApi.refresh();
      } catch (err) {
        // Disconnected mid-sync: the next online runs it again.
        this.emit('error', err);
      }
    })();
  }

  /** Resolves once the first sync has completed. */
  private synced(): Promise<void> {
    if (this.syncedOnce) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** Pulls everything that changed and waits until it is applied. */
  async syncNow(): Promise<void> {
    await this.conn.waitOnline();
    await this.sync.syncAll();
    await this.sync.idle();
  }

  /** Waits until live deliveries and gap fills already under way are applied. */
  idle(): Promise<void> {
    return this.sync.idle();
  }

  /** Sends a text message; resolves when the server has stored it (retrying across disconnects). */
  sendText(conversationId: string, text: string, options: SendOptions = {}): Promise<SendResult> { return this.outbox.send(pendingSend(conversationId, 'text', { text }, options)); }
  /** Sends a custom JSON message. */
  sendCustom(conversationId: string, data: unknown, options: SendOptions = {}): Promise<SendResult> { return this.outbox.send(pendingSend(conversationId, 'custom', data, options)); }

  /**
   * Sends an image, file, voice note or video: shows at once among `pendingSends()` (with its
   * upload's progress, also emitted as `upload` events), uploads the file in chunks (resuming
   * after network failures), then sends the message — retried across reconnects like any send.
   * Resolves when the server has stored the message.
   *
   * @example
   * await client.sendMedia(chat.id, 'image', { data: bytes, type: 'image/jpeg', name: 'cat.jpg' }, { caption: 'our cat' });
   */
  sendMedia(
    conversationId: string,
    msgType: MediaMessageType,
    file: MediaFile,
    options: SendOptions & { caption?: string; chunkBytes?: number } = {},
  ): Promise<SendResult> {
    return this.mediaApi.sendMedia(conversationId, msgType, file, options);
  }

  /** Sends still waiting for the server. */
  pendingSends(): Promise<PendingSend[]> {
    return this.outbox.pending();
  }

  /** Resolves when a send queued earlier (possibly by a previous run) is stored. */
  waitForSend(clientMsgId: string): Promise<SendResult> {
    return this.outbox.wait(clientMsgId);
  }

  openDirect(userId: string): Promise<Conversation> { return this.conversationsApi.openDirect(userId); }
  createGroup(input: { title?: string; members: string[] }): Promise<Conversation> { return this.conversationsApi.createGroup(input); }
  getConversation(conversationId: string): Promise<Conversation> { return this.conversationsApi.getConversation(conversationId); }
  addMembers(conversationId: string, userIds: string[]): Promise<Conversation> { return this.conversationsApi.addMembers(conversationId, userIds); }
  removeMember(conversationId: string, userId: string): Promise<Conversation> { return this.conversationsApi.removeMember(conversationId, userId); }
  /** The owner makes a member of a group an admin, or an admin a member again. */
  setRole(conversationId: string, userId: string, role: 'admin' | 'member'): Promise<Conversation> { return this.conversationsApi.setRole(conversationId, userId, role); }
  leave(conversationId: string): Promise<{ conversationId: string; seq: number }> { return this.conversationsApi.leave(conversationId); }

  // --- group management (docs/groups.md) ---------------------------------------------------

  /** Changes a group's title, avatar URL, description or announcement (owner and admins); null clears. */
  updateGroup(conversationId: string, patch: GroupProfilePatch): Promise<Conversation> { return this.groupsApi.updateGroup(conversationId, patch); }
  /** Hands the group to another member (owner only); the old owner becomes an admin. */
  transferOwnership(conversationId: string, userId: string): Promise<Conversation> { return this.groupsApi.transferOwnership(conversationId, userId); }
  /** Dissolves the group (owner only): it stays readable, but nobody sends or changes it again. */
  dissolveGroup(conversationId: string): Promise<Conversation> { return this.groupsApi.dissolveGroup(conversationId); }
  /** Mutes a member for `seconds` (0 lifts the mute); owner and admins. */
  muteMember(conversationId: string, userId: string, seconds: number): Promise<Conversation> { return this.groupsApi.muteMember(conversationId, userId, seconds); }
  /** Mutes (or unmutes) everyone but the owner and admins. */
  muteAll(conversationId: string, muted: boolean): Promise<Conversation> { return this.groupsApi.muteAll(conversationId, muted); }
  /** A new invite code (owner and admins), optionally expiring and with a use limit. */
  createInvite(conversationId: string, options: { expiresInSeconds?: number; maxUses?: number } = {}): Promise<GroupInvite> { return this.groupsApi.createInvite(conversationId, options); }
  listInvites(conversationId: string): Promise<GroupInvite[]> { return this.groupsApi.listInvites(conversationId); }
  revokeInvite(conversationId: string, code: string): Promise<GroupInvite> { return this.groupsApi.revokeInvite(conversationId, code); }
  /**
   * Joins the group of an invite code; every code that does not work is one `not_found`. Not
   * retried on `rate_limited`: the limit on code attempts is per hour, so the caller is told at once.
   */
  joinByInvite(code: string): Promise<Conversation> { return this.groupsApi.joinByInvite(code); }

  // --- message actions (docs/protocol.md "Message actions") --------------------------------

  /**
   * Recalls a message: the sender within RECALL_WINDOW_SECONDS (else `recall_window_passed`),
   * a group's owner and admins at any time. Every device shows it recalled (`messageUpdated`).
   */
  recall(conversationId: string, messageId: string): Promise<Message> { return this.actionsApi.recall(conversationId, messageId); }
  /** Replaces the text of one's own text message; it carries `editedAt` from then on. */
  edit(conversationId: string, messageId: string, text: string): Promise<Message> { return this.actionsApi.edit(conversationId, messageId, text); }
  /** Adds this user's reaction with `emoji` (once per emoji; again changes nothing). */
  react(conversationId: string, messageId: string, emoji: string): Promise<Message> { return this.actionsApi.react(conversationId, messageId, emoji); }
  /** Takes this user's reaction with `emoji` back. */
  unreact(conversationId: string, messageId: string, emoji: string): Promise<Message> { return this.actionsApi.unreact(conversationId, messageId, emoji); }
  /**
   * Deletes a message for this user only ("delete for me"): any message they can see, their own
   * or another member's. Stored before the answer; every device of theirs drops its body — the
   * others at once if connected, else at their next sync — and emits `messageHidden`. Other
   * members see nothing change. Again changes nothing. Unknown or not visible: `not_found`.
   * Returns the tombstone (body `{}`, `hiddenAt` set).
   *
   * @example
   * await client.hideMessage(conversationId, message.id);
   * (await client.messages(conversationId)).some((m) => m.id === message.id); // false
   */
  hideMessage(conversationId: string, messageId: string): Promise<Message> { return this.actionsApi.hideMessage(conversationId, messageId); }
  /**
   * Undoes `hideMessage`: the message shows again on every device of this user (`messageUpdated`
   * with it, live or at their next sync). Not hidden: changes nothing. Returns the message.
   */
  unhideMessage(conversationId: string, messageId: string): Promise<Message> { return this.actionsApi.unhideMessage(conversationId, messageId); }

  /** Marks the conversation read up to `seq` (for this user on every device). */
  markRead(conversationId: string, seq: number): Promise<{ seq: number }> { return this.conversationsApi.markRead(conversationId, seq); }
  /**
   * Sets this user's pinned / muted / archived flags of a conversation (those given). Every
   * device of the user receives the new view (a `conversation` event), this one included.
   */
  setFlags(conversationId: string, flags: ConversationFlags): Promise<Conversation> { return this.conversationsApi.setFlags(conversationId, flags); }
  pin(conversationId: string, pinned = true): Promise<Conversation> { return this.setFlags(conversationId, { pinned }); }
  /** A muted conversation does not count toward the total badge. */
  mute(conversationId: string, muted = true): Promise<Conversation> { return this.setFlags(conversationId, { muted }); }
  archive(conversationId: string, archived = true): Promise<Conversation> { return this.setFlags(conversationId, { archived }); }
  /**
   * A conversation list that follows this client: sorted (pinned first, then latest activity),
   * with previews, exact unread counts and the total badge. Call `close()` on it when done.
   */
  conversationList(): ConversationList { return this.conversationsApi.conversationList(); }
  /** Loads older history before the oldest cached entry; returns what was added. */
  loadOlder(conversationId: string, limit = 50): Promise<Message[]> { return this.conversationsApi.loadOlder(conversationId, limit); }
  /**
   * The cached messages of a conversation, in order, without those this user deleted for
   * themselves (the cache keeps their tombstones so its log has no gap; `cache.getMessages` has them).
   */
  messages(conversationId: string): Promise<Message[]> { return this.conversationsApi.messages(conversationId); }
  conversations(): Promise<Conversation[]> { return this.conversationsApi.conversations(); }

  // --- receipts and settings -----------------------------------------------------------------

  /**
   * Asks the server for a conversation's receipts: the other member's read and delivery cursors
   * (direct conversations) and, for `seqs`, how many members other than each entry's sender have
   * read it. Cursors that moved are applied and emitted as `receipt` events; the conversation is
   * followed from then on (asked again after each reconnect).
   */
  fetchReceipts(conversationId: string, seqs?: number[]): Promise<ReceiptsResult> { return this.receiptsApi.fetchReceipts(conversationId, seqs); }
  /** The receipts known here for a conversation (from pushes and fetchReceipts); highest seq per user. */
  receipts(conversationId: string): ConversationReceipts { return this.receiptsApi.receipts(conversationId); }
  /** Who has read a message (members other than its sender), a page at a time by user id. */
  readers(conversationId: string, messageId: string, options: { after?: string; limit?: number } = {}): Promise<ReadersPage> { return this.receiptsApi.readers(conversationId, messageId, options); }
  /** The user's settings (shared by all their devices). */
  settings(): Promise<UserSettings> { return this.settingsApi.settings(); }
  /** Changes some settings; resolves with all of them. */
  updateSettings(patch: Partial<UserSettings>): Promise<UserSettings> { return this.settingsApi.updateSettings(patch); }

  // --- finding people, contacts, blocks (docs/contacts.md) ----------------------------------------

  /**
   * The user with exactly this username (case-insensitive: `Alice` finds `alice`). Fails with
   * `not_found` when there is none, `rate_limited` past the hourly budget.
   *
   * @example
   * const bob = await client.lookupUser('bob');
   * await client.sendFriendRequest(bob.id);
   */
  lookupUser(username: string): Promise<PublicUser> { return this.contactsApi.lookupUser(username); }
  /** Users whose username or display name starts with `prefix` (at least 3 characters; at most 20 results). */
  searchUsers(prefix: string, limit?: number): Promise<PublicUser[]> { return this.contactsApi.searchUsers(prefix, limit); }

  /**
   * Messages you may see whose text (or media caption) contains every whitespace-separated term
   * of `query`, newest first (docs/search.md). Chinese and other unspaced text is matched by
   * substring. Pass the result's `nextCursor` as `cursor` for the next, older page (null: no more).
   * `before`/`after`: creation times in ms (exclusive); `limit`: at most 50 (default 20).
   */
  search(
    query: string,
    options: { conversationId?: string; senderId?: string; before?: number; after?: number; limit?: number; cursor?: string } = {},
  ): Promise<SearchResult> {
    return searchMessages(this.rpc, query, options);
  }

  /** Asks `userId` to be friends; `friends` when they had asked you already (that request is accepted). */
  sendFriendRequest(userId: string): Promise<FriendRequestResult> { return this.contactsApi.sendFriendRequest(userId); }
  acceptFriendRequest(userId: string): Promise<Contact> { return this.contactsApi.acceptFriendRequest(userId); }
  declineFriendRequest(userId: string): Promise<void> { return this.contactsApi.declineFriendRequest(userId); }
  /** Withdraws your pending request to `userId`. */
  cancelFriendRequest(userId: string): Promise<void> { return this.contactsApi.cancelFriendRequest(userId); }
  removeFriend(userId: string): Promise<void> { return this.contactsApi.removeFriend(userId); }
  /** Your friends, oldest friendship first (`presence` is null until presence is served). */
  contacts(): Promise<Contact[]> { return this.contactsApi.contacts(); }
  /** Pending friend requests to you (`incoming`) and from you (`outgoing`). */
  friendRequests(): Promise<FriendRequests> { return this.contactsApi.friendRequests(); }
  /**
   * Blocks `userId`: ends any friendship and pending requests between you, closes your direct
   * conversation to sends both ways, and stops them finding you or adding you to groups.
   */
  block(userId: string): Promise<void> { return this.contactsApi.block(userId); }
  unblock(userId: string): Promise<void> { return this.contactsApi.unblock(userId); }
  blockedUsers(): Promise<BlockedUser[]> { return this.contactsApi.blockedUsers(); }

  // --- typing and presence (docs/presence.md) ------------------------------------------------

  /**
   * Tells the conversation's other members this user is typing. Call it on every keystroke: a
   * `start` goes out at most once every 3 s (TYPING_RESEND_MS); receivers show it until a few
   * seconds after the last one, or until stopTyping. Rejects with `not_found` outside a
   * conversation the user is a member of.
   */
  typing(conversationId: string): Promise<void> { return this.presenceApi.typing(conversationId); }
  /** The user stopped typing (sent the message, cleared the box); sent only after a `start`. */
  stopTyping(conversationId: string): Promise<void> { return this.presenceApi.stopTyping(conversationId); }
  /** The users typing in the conversation now (as pushed, lapsing by themselves). */
  typists(conversationId: string): string[] { return this.presenceApi.typists(conversationId); }
  /**
   * Asks the presence of users this user shares a conversation with (others are left out of the
   * answer), and keeps it: from then on `presence` events tell changes of those who share a
   * direct conversation with this user.
   */
  getPresence(userIds: string[]): Promise<Presence[]> { return this.presenceApi.getPresence(userIds); }
  /** The last known presence of a user (from a push or getPresence), if any. */
  presenceOf(userId: string): Presence | undefined { return this.presenceApi.presenceOf(userId); }
  /** Shows or hides this user's presence to everyone (hidden: offline, no last seen). */
  setPresenceVisible(visible: boolean): Promise<{ visible: boolean }> { return this.presenceApi.setPresenceVisible(visible); }

  // --- live rooms and broadcasts (docs/rooms.md) ----------------------------------------------

  /**
   * Starts watching a live room: its messages arrive as `roomMessage` events (each once), its
   * viewer count as `roomState`. Watched rooms are joined again after a reconnect, with what was
   * missed of high priority. `recent` holds the room's recent messages (also emitted).
   *
   * @example
   * client.on('roomMessage', (m) => show(m.senderId, m.body));
   * await client.joinRoom(roomId);
   * await client.sendRoom(roomId, 'gift', { gift: 'rose' });
   */
  joinRoom(roomId: string): Promise<RoomJoinResult> {
    return this.rpc(() => this.rooms.join(roomId));
  }

  leaveRoom(roomId: string): Promise<void> {
    return this.rpc(() => this.rooms.leave(roomId));
  }

  /** Sends into a room: at most once (no outbox; a room message is worth little later). Gifts and the host's messages are high priority. */
  sendRoom(roomId: string, msgType: 'text' | 'custom' | 'gift', body: unknown): Promise<{ id: string; priority: RoomPriority; createdAt: number }> {
    return this.rpc(() => this.rooms.send(roomId, msgType, body));
  }

  /** Fetches broadcasts now (the client also does after every connect and when told of new ones); they arrive as `broadcast` events. */
  syncBroadcasts(): Promise<void> {
    return this.rpc(() => this.rooms.syncBroadcasts());
  }

  /** Marks broadcasts up to `seq` read; resolves with the unread count left. */
  readBroadcasts(seq: number): Promise<number> {
    return this.rpc(() => this.rooms.readBroadcasts(seq));
  }
}
