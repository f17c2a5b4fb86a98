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
import type { AuthOk, Conversation, GroupInvite, GroupProfilePatch, Message, SendResult } from '@natter/protocol';
import type { BackoffOptions } from './backoff.js';
import { MemoryCache, type ClientCache, type PendingSend } from './cache.js';
import { Connection, type ConnectionState, type WebSocketFactory } from './connection.js';
import { Emitter } from './emitter.js';
import { Outbox } from './outbox.js';
import { SyncEngine } from './sync.js';

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
}

export interface ClientEvents extends Record<string, unknown> {
  /** Connection state changes: connecting, online, offline (with retry delay), closed. */
  state: ConnectionState;
  /** A log entry shown for the first time, in seq order per conversation. */
  message: Message;
  /** A conversation was added, changed, or left. */
  conversation: Conversation;
  /** A full sync after (re)connecting finished. */
  synced: void;
  /** A background failure (sync or delivery); the client keeps going. */
  error: unknown;
}

export interface SendOptions {
  /**
   * Supply your own idempotency key; generated when omitted (a UUIDv7). Keys that start with
   * the time, like the generated ones, are cheapest for the server to index.
   */
  clientMsgId?: string;
  replyTo?: string;
}

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Ids that sort by time
 * land at the end of the server's idempotency index, so a batch of sends writes a page or two
 * of it instead of a page per sender (random UUIDv4 keys scatter across the whole index).
 */
export function newClientMsgId(now = Date.now()): string {
  const b = new Uint8Array(16);
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  if (c?.getRandomValues) c.getRandomValues(b);
  else for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
  // Milliseconds fit in 48 bits until the year 10889; split because bitwise ops are 32-bit.
  const hi = Math.floor(now / 2 ** 16);
  b[0] = (hi >>> 24) & 0xff;
  b[1] = (hi >>> 16) & 0xff;
  b[2] = (hi >>> 8) & 0xff;
  b[3] = hi & 0xff;
  b[4] = (now >>> 8) & 0xff;
  b[5] = now & 0xff;
  b[6] = (b[6]! & 0x0f) | 0x70; // version 7
  b[8] = (b[8]! & 0x3f) | 0x80; // variant 10
  let hex = '';
  for (const x of b) hex += x.toString(16).padStart(2, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export class NatterClient extends Emitter<ClientEvents> {
  readonly cache: ClientCache;
  private readonly conn: Connection;
  private readonly sync: SyncEngine;
  private readonly outbox: Outbox;
  private session: AuthOk | null = null;
  private syncedOnce = false;
  private syncWaiters: (() => void)[] = [];

  constructor(options: NatterClientOptions) {
    super();
    const WS = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketFactory }).WebSocket;
    if (!WS) throw new Error('no WebSocket implementation: pass options.WebSocket (e.g. the ws package in Node)');
    this.cache = options.cache ?? new MemoryCache();
    this.conn = new Connection({
      url: options.url,
      token: options.token,
      WebSocket: WS,
      backoff: { initialMs: 250, maxMs: 10_000, ...options.backoff },
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      ...(options.pingIntervalMs !== undefined && { pingIntervalMs: options.pingIntervalMs }),
      onState: (s) => this.emit('state', s),
      onPush: (frame) => {
        switch (frame.type) {
          case 'message':
            return this.sync.onPushMessage(frame.message);
          case 'conversation':
            return this.sync.onPushConversation(frame.conversation);
          case 'resync':
            return void this.sync.syncAll().catch((err: unknown) => this.emit('error', err));
        }
      },
      onOnline: (session) => this.whenOnline(session),
    });
    this.sync = new SyncEngine(this.conn, this.cache, {
      message: (m) => this.emit('message', m),
      conversation: (c) => this.emit('conversation', c),
      error: (e) => this.emit('error', e),
    });
    this.outbox = new Outbox(this.conn, this.cache);
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
    this.conn.stop();
    this.sync.dispose();
    this.outbox.dispose();
  }

  /** Simulates a network failure (the client reconnects by itself). For tests and demos. */
  dropConnection(): void {
    this.conn.drop();
  }

  private whenOnline(session: AuthOk): void {
    this.session = session;
    void (async () => {
      try {
        await this.outbox.flush();
        await this.sync.syncAll();
        this.syncedOnce = true;
        const w = this.syncWaiters;
        this.syncWaiters = [];
        for (const f of w) f();
        this.emit('synced', undefined);
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
  sendText(conversationId: string, text: string, options: SendOptions & { mentions?: string[] } = {}): Promise<SendResult> {
    const body = options.mentions ? { text, mentions: options.mentions } : { text };
    return this.send(conversationId, 'text', body, options);
  }

  /** Sends a custom JSON message. */
  sendCustom(conversationId: string, data: unknown, options: SendOptions = {}): Promise<SendResult> {
    return this.send(conversationId, 'custom', data, options);
  }

  private send(conversationId: string, msgType: 'text' | 'custom', body: unknown, options: SendOptions): Promise<SendResult> {
    const item: PendingSend = {
      clientMsgId: options.clientMsgId ?? newClientMsgId(),
      conversationId,
      msgType,
      body,
      createdAt: Date.now(),
      ...(options.replyTo !== undefined && { replyTo: options.replyTo }),
    };
    return this.outbox.send(item);
  }

  /** Sends still waiting for the server. */
  pendingSends(): Promise<PendingSend[]> {
    return this.outbox.pending();
  }

  /** Resolves when a send queued earlier (possibly by a previous run) is stored. */
  waitForSend(clientMsgId: string): Promise<SendResult> {
    return this.outbox.wait(clientMsgId);
  }

  private async rpc<T>(f: () => Promise<T>): Promise<T> {
    await this.conn.waitOnline();
    return f();
  }

  openDirect(userId: string): Promise<Conversation> {
    return this.rpc(() => this.conn.request({ type: 'conversation.direct', userId }));
  }

  createGroup(input: { title?: string; members: string[] }): Promise<Conversation> {
    return this.rpc(() => this.conn.request({ type: 'conversation.create', ...input }));
  }

  getConversation(conversationId: string): Promise<Conversation> {
    return this.rpc(() => this.conn.request({ type: 'conversation.get', conversationId }));
  }

  addMembers(conversationId: string, userIds: string[]): Promise<Conversation> {
    return this.rpc(() => this.conn.request({ type: 'conversation.addMembers', conversationId, userIds }));
  }

  removeMember(conversationId: string, userId: string): Promise<Conversation> {
    return this.rpc(() => this.conn.request({ type: 'conversation.removeMember', conversationId, userId }));
  }

  /** The owner makes a member of a group an admin, or an admin a member again. */
  setRole(conversationId: string, userId: string, role: 'admin' | 'member'): Promise<Conversation> {
    return this.rpc(() => this.conn.request({ type: 'conversation.setRole', conversationId, userId, role }));
  }

  leave(conversationId: string): Promise<{ conversationId: string; seq: number }> {
    return this.rpc(() => this.conn.request({ type: 'conversation.leave', conversationId }));
  }

  // --- group management (docs/groups.md) ---------------------------------------------------

  /** Changes a group's title, avatar URL, description or announcement (owner and admins); null clears. */
  updateGroup(conversationId: string, patch: GroupProfilePatch): Promise<Conversation> {
    return this.rpc(() => this.conn.request({ type: 'group.update', conversationId, patch }));
  }

  /** Hands the group to another member (owner only); the old owner becomes an admin. */
  transferOwnership(conversationId: string, userId: string): Promise<Conversation> {
    return this.rpc(() => this.conn.request({ type: 'group.transfer', conversationId, userId }));
  }

  /** Dissolves the group (owner only): it stays readable, but nobody sends or changes it again. */
  dissolveGroup(conversationId: string): Promise<Conversation> {
    return this.rpc(() => this.conn.request({ type: 'group.dissolve', conversationId }));
  }

  /** Mutes a member for `seconds` (0 lifts the mute); owner and admins. */
  muteMember(conversationId: string, userId: string, seconds: number): Promise<Conversation> {
    return this.rpc(() => this.conn.request({ type: 'group.mute', conversationId, userId, seconds }));
  }

  /** Mutes (or unmutes) everyone but the owner and admins. */
  muteAll(conversationId: string, muted: boolean): Promise<Conversation> {
    return this.rpc(() => this.conn.request({ type: 'group.muteAll', conversationId, muted }));
  }

  /** A new invite code (owner and admins), optionally expiring and with a use limit. */
  createInvite(conversationId: string, options: { expiresInSeconds?: number; maxUses?: number } = {}): Promise<GroupInvite> {
    return this.rpc(() => this.conn.request({ type: 'group.invite.create', conversationId, ...options }));
  }

  async listInvites(conversationId: string): Promise<GroupInvite[]> {
    return (await this.rpc(() => this.conn.request({ type: 'group.invite.list', conversationId }))).invites;
  }

  revokeInvite(conversationId: string, code: string): Promise<GroupInvite> {
    return this.rpc(() => this.conn.request({ type: 'group.invite.revoke', conversationId, code }));
  }

  /**
   * Joins the group of an invite code; every code that does not work is one `not_found`. Not
   * retried on `rate_limited`: the limit on code attempts is per hour, so the caller is told at once.
   */
  joinByInvite(code: string): Promise<Conversation> {
    return this.rpc(() => this.conn.request({ type: 'group.join', code }, { retryRateLimited: false }));
  }

  /** Marks the conversation read up to `seq` (for this user on every device). */
  markRead(conversationId: string, seq: number): Promise<{ seq: number }> {
    return this.rpc(() => this.conn.request({ type: 'read', conversationId, seq }));
  }

  /** Loads older history before the oldest cached entry; returns what was added. */
  async loadOlder(conversationId: string, limit = 50): Promise<Message[]> {
    const have = await this.cache.getMessages(conversationId);
    const before = have[0]?.seq ?? (await this.cache.getLastSeq(conversationId)) + 1;
    const page = await this.rpc(() => this.conn.request({ type: 'messages', conversationId, before, limit }));
    await this.cache.prependMessages(conversationId, page.messages);
    return page.messages;
  }

  /** The cached messages of a conversation, in order. */
  messages(conversationId: string): Promise<Message[]> {
    return this.cache.getMessages(conversationId);
  }

  conversations(): Promise<Conversation[]> {
    return this.cache.listConversations();
  }
}
