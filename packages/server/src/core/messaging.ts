/**
 * Conversations and messages: send (validated, group-committed, then fanned out), history,
 * sync, delivery and read cursors, and membership changes. Every call names the authenticated
 * user; nothing is taken from the frame about who is asking.
 */
import { membershipRefusal } from './membership-refusals.js';
import { randomBytes } from 'node:crypto';
import {
  MENTION_ALL,
  NatterError,
  type ClientFrameOf,
  type Conversation,
  type ConversationFlags,
  type MessagesPage,
  type SendResult,
  type SyncResult,
} from '@natter/protocol';
import type { Clock } from './clock.js';
import type { MediaHook } from './media-hook.js';
import { Committer } from './committer.js';
import { DeliveryCursors } from './cursors.js';
import type { RelationGuard } from './contacts.js';
import type { DomainEvents, MembershipChangeKind } from './events.js';
import { FairShare } from './fair-share.js';
import { RetryResyncPolicy } from './retry-resync.js';
import { newConversationId, newMessageId } from './ids.js';
import { SyncTokens } from './sync-token.js';
import type { CreatedConversation, MembershipChange, NewConversation, NewMessage, Store } from '../store/store.js';

export interface MessagingLimits {
  maxTextLength: number;
  maxCustomBodyBytes: number;
  /**
   * Seals sync tokens so they do not reveal the server-wide version; server.ts passes one keyed by
   * the signing secret, so every process reads every token. Without it, a key of this process's own.
   */
  syncTokens?: SyncTokens;
  /** A history page stops once its encoded size passes this (default 256 KiB). */
  historyPageMaxBytes?: number;
  /** How long after a send its retry may still resync every member (RetryResyncPolicy). */
  retryResyncWindowMs?: number;
  /** Active members a group may have (GROUP_MAX_MEMBERS); no limit when absent. */
  groupMaxMembers?: number;
}

/** Who asks for a page read: false once the socket has closed or the HTTP request was aborted. */
export type Wanted = () => boolean;
const always: Wanted = () => true;

export const DEFAULT_HISTORY_PAGE_MAX_BYTES = 256 * 1024;

const DEFAULT_PAGE = 50;
const DEFAULT_SYNC_PAGE = 100;
const MAX_MENTIONS = 50;

const notFound = () => new NatterError('not_found', 'no such conversation');

export class Messaging {
  readonly committer: Committer;
  private readonly tokens: SyncTokens;
  /** Budgets and the read gate; the transports admit requests with it before calling in. */
  readonly fairShare: FairShare;
  private readonly retries: RetryResyncPolicy;
  private readonly pageMaxBytes: number;
  /** Delivery cursors acked for entries delivered here: in memory, written in batches. */
  readonly cursors: DeliveryCursors;
  /** Blocks and DIRECT_MESSAGES between users (core/contacts.ts); none: no checks. */
  relations: RelationGuard | null = null;
  /** Media sends (image/file/voice/video) go through this; without it they are refused. */
  media: MediaHook | null = null;

  constructor(
    private readonly store: Store,
    private readonly events: DomainEvents,
    private readonly clock: Clock,
    private readonly limits: MessagingLimits,
    fairShare?: FairShare,
  ) {
    this.committer = new Committer(store);
    this.tokens = limits.syncTokens ?? new SyncTokens(randomBytes(32).toString('base64'));
    this.fairShare = fairShare ?? new FairShare(clock);
    this.retries = new RetryResyncPolicy(store, clock, limits.retryResyncWindowMs);
    this.pageMaxBytes = limits.historyPageMaxBytes ?? DEFAULT_HISTORY_PAGE_MAX_BYTES;
    this.cursors = new DeliveryCursors(store, clock);
  }

  private validateBody(type: 'text' | 'custom', body: unknown): string {
    if (type === 'text') {
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new NatterError('invalid_request', 'body: a text message body is { text, mentions? }');
      }
      const { text, mentions, ...rest } = body as Record<string, unknown>;
      if (Object.keys(rest).length > 0) throw new NatterError('invalid_request', `body: unknown field ${Object.keys(rest)[0]}`);
      if (typeof text !== 'string' || text.trim().length === 0) throw new NatterError('invalid_request', 'body.text: a non-empty string');
      if (text.length > this.limits.maxTextLength) {
        throw new NatterError('too_large', `body.text: at most ${this.limits.maxTextLength} characters`);
      }
      if (mentions !== undefined) {
        if (!Array.isArray(mentions) || mentions.length > MAX_MENTIONS || !mentions.every((m) => typeof m === 'string' && m.length <= 64)) {
          throw new NatterError('invalid_request', `body.mentions: up to ${MAX_MENTIONS} user ids`);
        }
        return JSON.stringify({ text, mentions });
      }
      return JSON.stringify({ text });
    }
    if (body === undefined) throw new NatterError('invalid_request', 'body: required');
    const json = JSON.stringify(body);
    if (Buffer.byteLength(json) > this.limits.maxCustomBodyBytes) {
      throw new NatterError('too_large', `body: at most ${this.limits.maxCustomBodyBytes} bytes of JSON`);
    }
    return json;
  }

  async send(userId: string, f: ClientFrameOf<'send'>): Promise<SendResult> {
    let body: string;
    let blobId: string | null = null;
    if (f.msgType === 'text' || f.msgType === 'custom') body = this.validateBody(f.msgType, f.body);
    else {
      if (!this.media) throw new NatterError('invalid_request', 'msgType: media messages are not enabled on this server');
      ({ json: body, blobId } = await this.media.prepare(userId, f.msgType, f.body));
    }
    const message: NewMessage = {
      id: newMessageId(),
      conversationId: f.conversationId,
      senderId: userId,
      type: f.msgType,
      body,
      clientMsgId: f.clientMsgId,
      replyTo: f.replyTo ?? null,
      createdAt: this.clock.now(),
    };
    const mentions = validMentions(f.mentions, userId);
    if (mentions) message.mentions = mentions;
    const outcome = await this.committer.submit(message);
    switch (outcome.kind) {
      case 'stored':
        // Before the answer: a sender told "stored" knows its recipients may fetch the blob.
        if (blobId !== null) await this.media!.stored(blobId, message.conversationId, message.id, outcome.seq);
        await this.events.emit({ type: 'message.stored', message, seq: outcome.seq });
        return { id: message.id, seq: outcome.seq, createdAt: message.createdAt };
      case 'duplicate': {
        // A retry: the first attempt may have died between commit and delivery, if it was lately.
        const m = outcome.message;
        // The first attempt may have died before recording the blob's reference.
        if (blobId !== null) await this.media!.stored(blobId, m.conversationId, m.id, m.seq);
        if (await this.retries.shouldResync(userId, m)) {
          await this.events.emit({ type: 'message.retried', conversationId: m.conversationId, messageId: m.id, seq: m.seq });
        }
        return { id: m.id, seq: m.seq, createdAt: m.createdAt };
      }
      case 'conflict':
        throw new NatterError('client_msg_id_conflict', 'clientMsgId was already used for a different message');
      case 'not_found':
        throw notFound();
      case 'bad_reply':
        throw new NatterError('invalid_request', 'replyTo: no such message in this conversation');
      case 'bad_mention':
        throw new NatterError('invalid_request', 'mentions: only active members of this conversation (or "all")');
      case 'mention_all_forbidden':
        throw new NatterError('forbidden', 'mentions: only the group\'s owner and admins may mention "all"');
      case 'muted':
        throw new NatterError('muted', 'you are muted in this group');
      case 'dissolved':
        throw new NatterError('group_dissolved', 'this group was dissolved');
    }
  }

  /** A history page; `wanted` is asked when its turn in the read gate comes (FairShare.read). */
  async messages(userId: string, f: ClientFrameOf<'messages'>, wanted: Wanted = always): Promise<MessagesPage> {
    if (f.after !== undefined && f.before !== undefined) {
      throw new NatterError('invalid_request', 'give after or before, not both');
    }
    const query = {
      limit: f.limit ?? DEFAULT_PAGE,
      maxBytes: this.pageMaxBytes,
      ...(f.after !== undefined && { after: f.after }),
      ...(f.before !== undefined && { before: f.before }),
    };
    const page = await this.fairShare.read(userId, wanted, () => this.store.getMessages(f.conversationId, userId, query));
    if (!page) throw notFound();
    // As live: a clientMsgId only in the sender's own copies. (The page is this call's own.)
    for (const m of page.messages) if (m.senderId !== userId) m.clientMsgId = null;
    return page;
  }

  async sync(userId: string, since: string | null | undefined, limit: number | undefined, wanted: Wanted = always): Promise<SyncResult> {
    const kind = this.store.syncVersions ?? 'counter';
    const version = this.tokens.decode(userId, since, kind);
    const page = await this.fairShare.read(userId, wanted, () => this.store.changesSince(userId, version, limit ?? DEFAULT_SYNC_PAGE));
    return {
      conversations: page.conversations,
      token: this.tokens.encode(userId, page.version, kind),
      hasMore: page.hasMore,
      totalUnread: page.totalUnread,
      // Left out when none, so an answer without hides is what it was before delete for me.
      ...(page.hidden.length > 0 ? { hidden: page.hidden } : {}),
      ...(page.unhidden.length > 0 ? { unhidden: page.unhidden } : {}),
    };
  }

  /**
   * `shown`: this process delivered the device an entry at `seq` or later in the conversation
   * and routes it to the device still (Delivery.shown), so the device may ack `seq` and the ack
   * is kept in memory and written with others (cursors.ts); the answer is the cursor as this
   * process knows it. Any other ack is checked and written by the store at once.
   */
  async ack(userId: string, deviceId: string, conversationId: string, seq: number, shown = false): Promise<{ seq: number }> {
    if (shown) return { seq: this.ackShown(userId, deviceId, conversationId, seq) };
    const before = this.cursors.latest(deviceId, conversationId);
    const r = await this.store.ackDelivered(deviceId, userId, conversationId, seq);
    if (r.kind === 'not_found') throw notFound();
    if (r.kind === 'invalid_position') throw new NatterError('invalid_position', `seq: at most ${r.lastSeq}`);
    if (r.kind === 'not_member') throw notFound();
    const now = this.cursors.stored(deviceId, conversationId, r.seq);
    this.cursorMoved(userId, deviceId, conversationId, before, now);
    return { seq: now };
  }

  /**
   * The ack of an entry this process delivered to the device (Delivery.shown, checked by the
   * caller): moved in memory only, at once, no promise (Session.quick takes this path for the
   * acks clients send by the ten thousand a second). Returns the cursor as this process knows it.
   */
  ackShown(userId: string, deviceId: string, conversationId: string, seq: number): number {
    const before = this.cursors.latest(deviceId, conversationId);
    const now = this.cursors.ack(deviceId, conversationId, seq);
    this.cursorMoved(userId, deviceId, conversationId, before, now);
    return now;
  }

  /** Delivery receipts (receipts.ts) follow a forward move; the ack's answer does not wait for them. */
  private cursorMoved(userId: string, deviceId: string, conversationId: string, before: number, now: number): void {
    if (now > before) void this.events.emit({ type: 'cursor.moved', cursor: 'delivered', userId, deviceId, conversationId, seq: now, view: null });
  }

  async read(userId: string, conversationId: string, seq: number): Promise<{ seq: number }> {
    const r = await this.store.markRead(userId, conversationId, seq);
    if (r.kind === 'not_found') throw notFound();
    if (r.kind === 'invalid_position') throw new NatterError('invalid_position', `seq: at most ${r.lastSeq}`);
    if (r.kind === 'not_member') throw new NatterError('forbidden', 'you are no longer a member of this conversation');
    if (r.seq === seq) {
      // The user's other devices show the new unread state: the event carries the view.
      const view = await this.store.getConversationForUser(conversationId, userId);
      await this.events.emit({ type: 'cursor.moved', cursor: 'read', userId, deviceId: null, conversationId, seq, view });
    }
    return { seq: r.seq };
  }

  /**
   * Sets the user's pinned / muted / archived flags of a conversation (those given; at least
   * one). Every device of the user learns the new view: pushed now, and in its next sync.
   */
  async setFlags(userId: string, conversationId: string, flags: ConversationFlags): Promise<Conversation> {
    const given: ConversationFlags = {};
    if (flags.pinned !== undefined) given.pinned = flags.pinned;
    if (flags.muted !== undefined) given.muted = flags.muted;
    if (flags.archived !== undefined) given.archived = flags.archived;
    if (Object.keys(given).length === 0) throw new NatterError('invalid_request', 'give pinned, muted or archived');
    const view = await this.store.setConversationFlags(userId, conversationId, given);
    if (!view) throw notFound();
    await this.events.emit({ type: 'conversation.flags', userId, conversationId, flags: given, view });
    return view;
  }

  async getConversation(userId: string, conversationId: string): Promise<Conversation> {
    const c = await this.store.getConversationForUser(conversationId, userId);
    if (!c) throw notFound();
    return c;
  }

  private newConversation(kind: 'direct' | 'group', createdBy: string, title: string | null, members: NewConversation['members']): NewConversation {
    return { id: newConversationId(), kind, title, createdBy, members, createdMessageId: newMessageId(), createdAt: this.clock.now() };
  }

  async openDirect(userId: string, otherId: string): Promise<Conversation> {
    if (otherId === userId) throw new NatterError('invalid_request', 'userId: a direct conversation needs another user');
    const exists = await this.store.existingUserIds([otherId]);
    if (exists.length === 0) throw new NatterError('not_found', 'no such user');
    await this.relations?.directAllowed(userId, otherId);
    const { state, created } = await this.store.openDirect(userId, otherId, () =>
      this.newConversation('direct', userId, null, [
        { userId, role: 'member' },
        { userId: otherId, role: 'member' },
      ]),
    );
    if (!created) return this.getConversation(userId, state.id);
    await this.relations?.directCreated(userId, otherId);
    await this.announceCreated(created);
    return viewOf(created.views, userId);
  }

  async createGroup(userId: string, title: string | null, memberIds: string[]): Promise<Conversation> {
    const others = [...new Set(memberIds)].filter((id) => id !== userId);
    const max = this.limits.groupMaxMembers;
    if (max !== undefined && others.length + 1 > max) throw new NatterError('group_full', `a group has at most ${max} members`, { maxMembers: max });
    const existing = new Set(await this.store.existingUserIds(others));
    const missing = others.find((id) => !existing.has(id));
    if (missing) throw new NatterError('not_found', `no such user: ${missing}`);
    await this.relations?.addAllowed(userId, others);
    const created = await this.store.createConversation(
      this.newConversation('group', userId, title, [{ userId, role: 'owner' }, ...others.map((id) => ({ userId: id, role: 'member' as const }))]),
    );
    await this.announceCreated(created);
    return viewOf(created.views, userId);
  }

  private announceCreated(created: CreatedConversation): Promise<void> {
    return this.events.emit({
      type: 'membership.changed',
      conversationId: created.state.id,
      change: 'created',
      entry: created.entry,
      joined: created.views,
      left: [],
      updated: [],
    });
  }

  async changeMembership(conversationId: string, change: MembershipChange): Promise<Conversation | { conversationId: string; seq: number }> {
    if (change.kind === 'add' && this.limits.groupMaxMembers !== undefined) change = { ...change, maxMembers: this.limits.groupMaxMembers };
    if (change.kind === 'add') {
      const existing = new Set(await this.store.existingUserIds(change.userIds));
      const missing = change.userIds.find((id) => !existing.has(id));
      if (missing) throw new NatterError('not_found', `no such user: ${missing}`);
      await this.relations?.addAllowed(change.by, change.userIds);
    }
    const actor = change.kind === 'leave' ? change.userId : change.by;
    const outcome = await this.store.changeMembership(conversationId, change, newMessageId(), this.clock.now());
    if (outcome.kind === 'noop') return this.getConversation(actor, conversationId);
    if (outcome.kind !== 'ok') throw membershipRefusal(outcome.kind, this.limits.groupMaxMembers, 'conversation');
    const affected = new Set(outcome.affected);
    const views = outcome.views;
    await this.events.emit({
      type: 'membership.changed',
      conversationId,
      change: CHANGE_KINDS[change.kind],
      entry: outcome.entry,
      joined: change.kind === 'add' ? views.filter((v) => affected.has(v.userId)) : [],
      left: change.kind === 'remove' || change.kind === 'leave' ? views.filter((v) => affected.has(v.userId)) : [],
      updated: change.kind === 'role' ? views : views.filter((v) => v.userId === outcome.newOwner),
    });
    if (change.kind === 'leave') return { conversationId, seq: outcome.entry.seq };
    // The actor's own view: among those returned when the change was theirs, else read.
    return views.find((v) => v.userId === actor)?.conversation ?? this.getConversation(actor, conversationId);
  }
}

/**
 * A send's mentions: distinct, at most LIMITS.mentionsPerMessage (the frame's schema checks ids
 * and count); the sender's own id is dropped (one does not notify oneself). Null for none.
 */
function validMentions(mentions: readonly string[] | undefined, senderId: string): string[] | null {
  if (!mentions || mentions.length === 0) return null;
  const out = [...new Set(mentions)].filter((u) => u !== senderId);
  if (out.length > MAX_MENTIONS) throw new NatterError('invalid_request', `mentions: up to ${MAX_MENTIONS} entries`);
  // "all" first, then ids in the order given: a stable form to store and compare.
  return out.length === 0 ? null : out.includes(MENTION_ALL) ? [MENTION_ALL, ...out.filter((u) => u !== MENTION_ALL)] : out;
}

const CHANGE_KINDS: Record<MembershipChange['kind'], MembershipChangeKind> = { add: 'added', remove: 'removed', leave: 'left', role: 'role' };

/** The user's view among those a store call returned (the user is always among them). */
function viewOf(views: { userId: string; conversation: Conversation }[], userId: string): Conversation {
  const v = views.find((x) => x.userId === userId);
  if (!v) throw new Error(`the store returned no view for ${userId}`);
  return v.conversation;
}
