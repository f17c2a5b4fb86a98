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
  BlockedUser,
  Contact,
  Conversation,
  ConversationFlags,
  FriendRequestResult,
  FriendRequests,
  GroupInvite,
  GroupProfilePatch,
  MediaMessageType,
  Message,
  Presence,
  PublicUser,
  ReadersPage,
  ReceiptsResult,
  RoomJoinResult,
  RoomPriority,
  SearchResult,
  SendResult,
  UserSettings,
} from '@natter/protocol/wire';
import type { ClientCache, PendingSend } from './cache.js';
import { assembleClient, type ClientParts } from './client-assembly.js';
import type { ClientEvents, NatterClientOptions } from './client-types.js';
import type { ConnectionState } from './connection.js';
import type { ConversationList, ConversationListSource } from './conversation-list.js';
import { Emitter } from './emitter.js';
import type { MediaFile, MediaUploader } from './media.js';
import type { ConversationReceipts } from './receipts.js';
import { searchMessages } from './search-api.js';
import { pendingSend, type SendOptions } from './send-api.js';

// This file is the lifecycle (connect, first sync, close) and the public methods, each handing
// over in one line to the part that does the work: the feature modules (*-api.ts), the sync
// engine, the outbox and rooms, all built in client-assembly.ts.

export type { NatterClientOptions, ClientEvents } from './client-types.js';
export { newClientMsgId, type SendOptions } from './send-api.js';

/** The longest pause before the catch-up after coming online is tried again (NatterClient.catchUp). */
const CATCH_UP_RETRY_MAX_MS = 10_000;

export class NatterClient extends Emitter<ClientEvents> {
  readonly cache: ClientCache;
  /** The connection, sync engine, outbox, rooms and feature modules (client-assembly.ts). */
  private readonly parts: ClientParts;
  /** Uploads files for media sends over HTTP. */
  readonly uploader: MediaUploader;
  private session: AuthOk | null = null;
  private syncedOnce = false;
  private syncWaiters: (() => void)[] = [];
  /** Counts the times online: a catch-up retried after a failure belongs to one of them only. */
  private onlineCount = 0;

  constructor(options: NatterClientOptions) {
    super();
    this.parts = assembleClient(options, {
      emit: (event, value) => this.emit(event, value),
      on: ((event: 'conversation' | 'message', listener: (v: Conversation | Message) => void) => this.on(event, listener)) as ConversationListSource['on'],
      userId: () => this.userId,
      onOnline: (session) => this.whenOnline(session),
    });
    this.cache = this.parts.cache;
    this.uploader = this.parts.uploader;
  }

  get state(): ConnectionState { return this.parts.conn.current; }
  /** The authenticated user, once online. */
  get userId(): string | null { return this.session?.userId ?? null; }
  get deviceId(): string | null { return this.session?.deviceId ?? null; }

  /** Starts connecting; resolves once online and the first sync has finished. */
  async connect(): Promise<void> {
    this.parts.conn.start();
    await this.parts.conn.waitOnline();
    await this.synced();
  }

  /** Closes the connection; pending sends stay in the cache's outbox for next time. */
  close(): void {
    const { sync, conn, outbox, presence, rooms } = this.parts;
    // What was applied but not yet acknowledged is acknowledged now, so a clean close does not
    // leave the server to send it again on the next connection.
    sync.flushAcks();
    conn.stop();
    sync.dispose();
    outbox.dispose();
    presence.dispose();
    rooms.dispose();
  }

  /** Simulates a network failure (the client reconnects by itself). For tests and demos. */
  dropConnection(): void { this.parts.conn.drop(); }

  private whenOnline(session: AuthOk): void {
    this.session = session;
    this.parts.rooms.online();
    this.catchUp(++this.onlineCount, 0);
  }

  /**
   * After coming online: the outbox, then everything missed, then presence and receipts. A
   * failure while still online (a request that timed out, or stayed refused as `rate_limited` on a
   * loaded server) is tried again after a pause instead of waiting for the next reconnect: until the
   * first sync completes, `connect()` waits for it.
   */
  private catchUp(online: number, failures: number): void {
    const { outbox, sync, presence, receipts, conn } = this.parts;
    let caughtUp = false;
    void (async () => {
      try {
        await outbox.flush();
        await sync.syncAll();
        caughtUp = true;
        // Pushes missed while away: ask again about everyone this client has heard of.
        void presence.refresh().catch((err: unknown) => this.emit('error', err));
        this.syncedOnce = true;
        const w = this.syncWaiters;
        this.syncWaiters = [];
        for (const f of w) f();
        this.emit('synced', undefined);
        // Receipts pushed while offline were missed: ask again for the conversations followed.
        await receipts.refresh();
      } catch (err) {
        this.emit('error', err);
        // Disconnected mid-sync: the next online runs it again. Still online: again after a pause
        // (a failed receipts refresh after the sync is not worth a second catch-up).
        if (caughtUp) return;
        const pauseMs = Math.min(1000 * 2 ** failures, CATCH_UP_RETRY_MAX_MS);
        setTimeout(() => {
          if (this.onlineCount === online && conn.current.status === 'online') this.catchUp(online, failures + 1);
        }, pauseMs);
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
    await this.parts.conn.waitOnline();
    await this.parts.sync.syncAll();
    await this.parts.sync.idle();
  }

  /** Waits until live deliveries and gap fills already under way are applied. */
  idle(): Promise<void> { return this.parts.sync.idle(); }

  /** Sends a text message; resolves when the server has stored it (retrying across disconnects). */
  sendText(conversationId: string, text: string, options: SendOptions = {}): Promise<SendResult> { return this.parts.outbox.send(pendingSend(conversationId, 'text', { text }, options)); }
  /** Sends a custom JSON message. */
  sendCustom(conversationId: string, data: unknown, options: SendOptions = {}): Promise<SendResult> { return this.parts.outbox.send(pendingSend(conversationId, 'custom', data, options)); }

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
    return this.parts.media.sendMedia(conversationId, msgType, file, options);
  }

  /** Sends still waiting for the server. */
  pendingSends(): Promise<PendingSend[]> { return this.parts.outbox.pending(); }
  /** Resolves when a send queued earlier (possibly by a previous run) is stored. */
  waitForSend(clientMsgId: string): Promise<SendResult> { return this.parts.outbox.wait(clientMsgId); }

  openDirect(userId: string): Promise<Conversation> { return this.parts.conversations.openDirect(userId); }
  createGroup(input: { title?: string; members: string[] }): Promise<Conversation> { return this.parts.conversations.createGroup(input); }
  getConversation(conversationId: string): Promise<Conversation> { return this.parts.conversations.getConversation(conversationId); }
  addMembers(conversationId: string, userIds: string[]): Promise<Conversation> { return this.parts.conversations.addMembers(conversationId, userIds); }
  removeMember(conversationId: string, userId: string): Promise<Conversation> { return this.parts.conversations.removeMember(conversationId, userId); }
  /** The owner makes a member of a group an admin, or an admin a member again. */
  setRole(conversationId: string, userId: string, role: 'admin' | 'member'): Promise<Conversation> { return this.parts.conversations.setRole(conversationId, userId, role); }
  leave(conversationId: string): Promise<{ conversationId: string; seq: number }> { return this.parts.conversations.leave(conversationId); }

  // --- group management (docs/groups.md) ---------------------------------------------------

  /** Changes a group's title, avatar URL, description or announcement (owner and admins); null clears. */
  updateGroup(conversationId: string, patch: GroupProfilePatch): Promise<Conversation> { return this.parts.groups.updateGroup(conversationId, patch); }
  /** Hands the group to another member (owner only); the old owner becomes an admin. */
  transferOwnership(conversationId: string, userId: string): Promise<Conversation> { return this.parts.groups.transferOwnership(conversationId, userId); }
  /** Dissolves the group (owner only): it stays readable, but nobody sends or changes it again. */
  dissolveGroup(conversationId: string): Promise<Conversation> { return this.parts.groups.dissolveGroup(conversationId); }
  /** Mutes a member for `seconds` (0 lifts the mute); owner and admins. */
  muteMember(conversationId: string, userId: string, seconds: number): Promise<Conversation> { return this.parts.groups.muteMember(conversationId, userId, seconds); }
  /** Mutes (or unmutes) everyone but the owner and admins. */
  muteAll(conversationId: string, muted: boolean): Promise<Conversation> { return this.parts.groups.muteAll(conversationId, muted); }
  /** A new invite code (owner and admins), optionally expiring and with a use limit. */
  createInvite(conversationId: string, options: { expiresInSeconds?: number; maxUses?: number } = {}): Promise<GroupInvite> { return this.parts.groups.createInvite(conversationId, options); }
  listInvites(conversationId: string): Promise<GroupInvite[]> { return this.parts.groups.listInvites(conversationId); }
  revokeInvite(conversationId: string, code: string): Promise<GroupInvite> { return this.parts.groups.revokeInvite(conversationId, code); }
  /**
   * Joins the group of an invite code; every code that does not work is one `not_found`. Not
   * retried on `rate_limited`: the limit on code attempts is per hour, so the caller is told at once.
   */
  joinByInvite(code: string): Promise<Conversation> { return this.parts.groups.joinByInvite(code); }

  // --- message actions (docs/protocol.md "Message actions") --------------------------------

  /**
   * Recalls a message: the sender within RECALL_WINDOW_SECONDS (else `recall_window_passed`),
   * a group's owner and admins at any time. Every device shows it recalled (`messageUpdated`).
   */
  recall(conversationId: string, messageId: string): Promise<Message> { return this.parts.actions.recall(conversationId, messageId); }
  /** Replaces the text of one's own text message; it carries `editedAt` from then on. */
  edit(conversationId: string, messageId: string, text: string): Promise<Message> { return this.parts.actions.edit(conversationId, messageId, text); }
  /** Adds this user's reaction with `emoji` (once per emoji; again changes nothing). */
  react(conversationId: string, messageId: string, emoji: string): Promise<Message> { return this.parts.actions.react(conversationId, messageId, emoji); }
  /** Takes this user's reaction with `emoji` back. */
  unreact(conversationId: string, messageId: string, emoji: string): Promise<Message> { return this.parts.actions.unreact(conversationId, messageId, emoji); }
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
  hideMessage(conversationId: string, messageId: string): Promise<Message> { return this.parts.actions.hideMessage(conversationId, messageId); }
  /**
   * Undoes `hideMessage`: the message shows again on every device of this user (`messageUpdated`
   * with it, live or at their next sync). Not hidden: changes nothing. Returns the message.
   */
  unhideMessage(conversationId: string, messageId: string): Promise<Message> { return this.parts.actions.unhideMessage(conversationId, messageId); }

  /** Marks the conversation read up to `seq` (for this user on every device). */
  markRead(conversationId: string, seq: number): Promise<{ seq: number }> { return this.parts.conversations.markRead(conversationId, seq); }
  /**
   * Sets this user's pinned / muted / archived flags of a conversation (those given). Every
   * device of the user receives the new view (a `conversation` event), this one included.
   */
  setFlags(conversationId: string, flags: ConversationFlags): Promise<Conversation> { return this.parts.conversations.setFlags(conversationId, flags); }
  pin(conversationId: string, pinned = true): Promise<Conversation> { return this.setFlags(conversationId, { pinned }); }
  /** A muted conversation does not count toward the total badge. */
  mute(conversationId: string, muted = true): Promise<Conversation> { return this.setFlags(conversationId, { muted }); }
  archive(conversationId: string, archived = true): Promise<Conversation> { return this.setFlags(conversationId, { archived }); }
  /**
   * A conversation list that follows this client: sorted (pinned first, then latest activity),
   * with previews, exact unread counts and the total badge. Call `close()` on it when done.
   */
  conversationList(): ConversationList { return this.parts.conversations.conversationList(); }
  /** Loads older history before the oldest cached entry; returns what was added. */
  loadOlder(conversationId: string, limit = 50): Promise<Message[]> { return this.parts.conversations.loadOlder(conversationId, limit); }
  /**
   * The cached messages of a conversation, in order, without those this user deleted for
   * themselves (the cache keeps their tombstones so its log has no gap; `cache.getMessages` has them).
   */
  messages(conversationId: string): Promise<Message[]> { return this.parts.conversations.messages(conversationId); }
  conversations(): Promise<Conversation[]> { return this.parts.conversations.conversations(); }

  // --- receipts and settings -----------------------------------------------------------------

  /**
   * Asks the server for a conversation's receipts: the other member's read and delivery cursors
   * (direct conversations) and, for `seqs`, how many members other than each entry's sender have
   * read it. Cursors that moved are applied and emitted as `receipt` events; the conversation is
   * followed from then on (asked again after each reconnect).
   */
  fetchReceipts(conversationId: string, seqs?: number[]): Promise<ReceiptsResult> { return this.parts.receipts.fetchReceipts(conversationId, seqs); }
  /** The receipts known here for a conversation (from pushes and fetchReceipts); highest seq per user. */
  receipts(conversationId: string): ConversationReceipts { return this.parts.receipts.receipts(conversationId); }
  /** Who has read a message (members other than its sender), a page at a time by user id. */
  readers(conversationId: string, messageId: string, options: { after?: string; limit?: number } = {}): Promise<ReadersPage> { return this.parts.receipts.readers(conversationId, messageId, options); }
  /** The user's settings (shared by all their devices). */
  settings(): Promise<UserSettings> { return this.parts.settings.settings(); }
  /** Changes some settings; resolves with all of them. */
  updateSettings(patch: Partial<UserSettings>): Promise<UserSettings> { return this.parts.settings.updateSettings(patch); }

  // --- finding people, contacts, blocks (docs/contacts.md) ----------------------------------------

  /**
   * The user with exactly this username (case-insensitive: `Alice` finds `alice`). Fails with
   * `not_found` when there is none, `rate_limited` past the hourly budget.
   *
   * @example
   * const bob = await client.lookupUser('bob');
   * await client.sendFriendRequest(bob.id);
   */
  lookupUser(username: string): Promise<PublicUser> { return this.parts.contacts.lookupUser(username); }
  /** Users whose username or display name starts with `prefix` (at least 3 characters; at most 20 results). */
  searchUsers(prefix: string, limit?: number): Promise<PublicUser[]> { return this.parts.contacts.searchUsers(prefix, limit); }

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
    return searchMessages(this.parts.rpc, query, options);
  }

  /** Asks `userId` to be friends; `friends` when they had asked you already (that request is accepted). */
  sendFriendRequest(userId: string): Promise<FriendRequestResult> { return this.parts.contacts.sendFriendRequest(userId); }
  acceptFriendRequest(userId: string): Promise<Contact> { return this.parts.contacts.acceptFriendRequest(userId); }
  declineFriendRequest(userId: string): Promise<void> { return this.parts.contacts.declineFriendRequest(userId); }
  /** Withdraws your pending request to `userId`. */
  cancelFriendRequest(userId: string): Promise<void> { return this.parts.contacts.cancelFriendRequest(userId); }
  removeFriend(userId: string): Promise<void> { return this.parts.contacts.removeFriend(userId); }
  /** Your friends, oldest friendship first (`presence` is null until presence is served). */
  contacts(): Promise<Contact[]> { return this.parts.contacts.contacts(); }
  /** Pending friend requests to you (`incoming`) and from you (`outgoing`). */
  friendRequests(): Promise<FriendRequests> { return this.parts.contacts.friendRequests(); }
  /**
   * Blocks `userId`: ends any friendship and pending requests between you, closes your direct
   * conversation to sends both ways, and stops them finding you or adding you to groups.
   */
  block(userId: string): Promise<void> { return this.parts.contacts.block(userId); }
  unblock(userId: string): Promise<void> { return this.parts.contacts.unblock(userId); }
  blockedUsers(): Promise<BlockedUser[]> { return this.parts.contacts.blockedUsers(); }

  // --- typing and presence (docs/presence.md) ------------------------------------------------

  /**
   * Tells the conversation's other members this user is typing. Call it on every keystroke: a
   * `start` goes out at most once every 3 s (TYPING_RESEND_MS); receivers show it until a few
   * seconds after the last one, or until stopTyping. Rejects with `not_found` outside a
   * conversation the user is a member of.
   */
  typing(conversationId: string): Promise<void> { return this.parts.presence.typing(conversationId); }
  /** The user stopped typing (sent the message, cleared the box); sent only after a `start`. */
  stopTyping(conversationId: string): Promise<void> { return this.parts.presence.stopTyping(conversationId); }
  /** The users typing in the conversation now (as pushed, lapsing by themselves). */
  typists(conversationId: string): string[] { return this.parts.presence.typists(conversationId); }
  /**
   * Asks the presence of users this user shares a conversation with (others are left out of the
   * answer), and keeps it: from then on `presence` events tell changes of those who share a
   * direct conversation with this user.
   */
  getPresence(userIds: string[]): Promise<Presence[]> { return this.parts.presence.getPresence(userIds); }
  /** The last known presence of a user (from a push or getPresence), if any. */
  presenceOf(userId: string): Presence | undefined { return this.parts.presence.presenceOf(userId); }
  /** Shows or hides this user's presence to everyone (hidden: offline, no last seen). */
  setPresenceVisible(visible: boolean): Promise<{ visible: boolean }> { return this.parts.presence.setPresenceVisible(visible); }

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
  joinRoom(roomId: string): Promise<RoomJoinResult> { return this.parts.rpc(() => this.parts.rooms.join(roomId)); }
  leaveRoom(roomId: string): Promise<void> { return this.parts.rpc(() => this.parts.rooms.leave(roomId)); }
  /** Sends into a room: at most once (no outbox; a room message is worth little later). Gifts and the host's messages are high priority. */
  sendRoom(roomId: string, msgType: 'text' | 'custom' | 'gift', body: unknown): Promise<{ id: string; priority: RoomPriority; createdAt: number }> { return this.parts.rpc(() => this.parts.rooms.send(roomId, msgType, body)); }
  /** Fetches broadcasts now (the client also does after every connect and when told of new ones); they arrive as `broadcast` events. */
  syncBroadcasts(): Promise<void> { return this.parts.rpc(() => this.parts.rooms.syncBroadcasts()); }
  /** Marks broadcasts up to `seq` read; resolves with the unread count left. */
  readBroadcasts(seq: number): Promise<number> { return this.parts.rpc(() => this.parts.rooms.readBroadcasts(seq)); }
}
