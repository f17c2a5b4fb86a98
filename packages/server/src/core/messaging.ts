/**
 * Conversations and messages: send (validated, group-committed, then fanned out), history,
 * sync, delivery and read cursors, and membership changes. Every call names the authenticated
 * user; nothing is taken from the frame about who is asking.
 */
import {
  encodeFrame,
  NatterError,
  type ClientFrameOf,
  type Conversation,
  type Message,
  type MessagesPage,
  type SendResult,
  type SyncResult,
} from '@natter/protocol';
import type { Clock } from './clock.js';
import { Committer } from './committer.js';
import { logEntry } from './entry-payload.js';
import { RESYNC_FRAME, type Hub } from './hub.js';
import { newConversationId, newMessageId } from './ids.js';
import type { ConversationState, MembershipChange, NewConversation, NewMessage, Store } from '../store/store.js';

export interface MessagingLimits {
  maxTextLength: number;
  maxCustomBodyBytes: number;
}

const DEFAULT_PAGE = 50;
const DEFAULT_SYNC_PAGE = 100;
const MAX_MENTIONS = 50;

const notFound = () => new NatterError('not_found', 'no such conversation');

/** Sync tokens are opaque to clients: `v1.<version>`. */
export function encodeSyncToken(version: number): string {
  return `v1.${version}`;
}
export function decodeSyncToken(token: string | null | undefined): number {
  if (token === null || token === undefined || token === '') return 0;
  const m = /^v1\.(\d{1,15})$/.exec(token);
  if (!m) throw new NatterError('invalid_request', 'since: not a sync token from this server');
  return Number(m[1]);
}

/** Encodes a log entry as the `message` frame every recipient gets, once. */
export function messageFrame(message: Message): string {
  return encodeFrame({ type: 'message', message });
}

const str = JSON.stringify;

/**
 * The `message` frame of a send stored at `seq`: byte for byte messageFrame(storedMessage(m,
 * seq)), but with the body's stored JSON text spliced in rather than parsed only to be written
 * out again (the body is JSON.stringify output, which re-encodes to itself). `clientMsgId`:
 * null for the copy of members other than the sender.
 */
export function storedMessageFrame(m: NewMessage, seq: number, clientMsgId: string | null = m.clientMsgId): string {
  return (
    `{"type":"message","message":{"id":${str(m.id)},"conversationId":${str(m.conversationId)},"seq":${seq},` +
    `"senderId":${str(m.senderId)},"type":${str(m.type)},"body":${m.body},"clientMsgId":${str(clientMsgId)},` +
    `"replyTo":${m.replyTo === null ? 'null' : str(m.replyTo)},"createdAt":${m.createdAt}}}`
  );
}

export class Messaging {
  readonly committer: Committer;

  constructor(
    private readonly store: Store,
    private readonly hub: Hub,
    private readonly clock: Clock,
    private readonly limits: MessagingLimits,
  ) {
    this.committer = new Committer(store);
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
    const message: NewMessage = {
      id: newMessageId(),
      conversationId: f.conversationId,
      senderId: userId,
      type: f.msgType,
      body: this.validateBody(f.msgType, f.body),
      clientMsgId: f.clientMsgId,
      replyTo: f.replyTo ?? null,
      createdAt: this.clock.now(),
    };
    const outcome = await this.committer.submit(message);
    switch (outcome.kind) {
      case 'stored': {
        // The clientMsgId is the sender's own: their devices get it, other members get null.
        const frame = storedMessageFrame(message, outcome.seq, null);
        const own = message.clientMsgId === null ? undefined : { senderId: userId, clientMsgId: message.clientMsgId };
        await this.hub.publishEntry(message.conversationId, logEntry(outcome.seq, frame, own));
        return { id: message.id, seq: outcome.seq, createdAt: message.createdAt };
      }
      case 'duplicate':
        // A retry: the first attempt may have died between commit and publish, so members may
        // never have had it live. Ask the conversation's devices to sync rather than re-send
        // the entry (which would also reach members who joined after it).
        await this.hub.publishEntry(outcome.message.conversationId, RESYNC_FRAME);
        return { id: outcome.message.id, seq: outcome.message.seq, createdAt: outcome.message.createdAt };
      case 'conflict':
        throw new NatterError('client_msg_id_conflict', 'clientMsgId was already used for a different message');
      case 'not_found':
        throw notFound();
      case 'bad_reply':
        throw new NatterError('invalid_request', 'replyTo: no such message in this conversation');
    }
  }

  async messages(userId: string, f: ClientFrameOf<'messages'>): Promise<MessagesPage> {
    if (f.after !== undefined && f.before !== undefined) {
      throw new NatterError('invalid_request', 'give after or before, not both');
    }
    const query = { limit: f.limit ?? DEFAULT_PAGE, ...(f.after !== undefined && { after: f.after }), ...(f.before !== undefined && { before: f.before }) };
    const page = await this.store.getMessages(f.conversationId, userId, query);
    if (!page) throw notFound();
    // As live: a clientMsgId only in the sender's own copies. (The page is this call's own.)
    for (const m of page.messages) if (m.senderId !== userId) m.clientMsgId = null;
    return page;
  }

  async sync(userId: string, since: string | null | undefined, limit: number | undefined): Promise<SyncResult> {
    const version = decodeSyncToken(since);
    const page = await this.store.changesSince(userId, version, limit ?? DEFAULT_SYNC_PAGE);
    return { conversations: page.conversations, token: encodeSyncToken(page.version), hasMore: page.hasMore };
  }

  async ack(userId: string, deviceId: string, conversationId: string, seq: number): Promise<{ seq: number }> {
    const r = await this.store.ackDelivered(deviceId, userId, conversationId, seq);
    if (r.kind === 'not_found') throw notFound();
    if (r.kind === 'invalid_position') throw new NatterError('invalid_position', `seq: at most ${r.lastSeq}`);
    return { seq: r.seq };
  }

  async read(userId: string, conversationId: string, seq: number): Promise<{ seq: number }> {
    const r = await this.store.markRead(userId, conversationId, seq);
    if (r.kind === 'not_found') throw notFound();
    if (r.kind === 'invalid_position') throw new NatterError('invalid_position', `seq: at most ${r.lastSeq}`);
    if (r.seq === seq) {
      // The user's other devices update their unread state at once.
      const view = await this.store.getConversationForUser(conversationId, userId);
      if (view) await this.hub.publishToUser(userId, { k: 'frame', frame: encodeFrame({ type: 'conversation', conversation: view }) });
    }
    return { seq: r.seq };
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
    let created = false;
    const state = await this.store.openDirect(userId, otherId, () => {
      created = true;
      return this.newConversation('direct', userId, null, [
        { userId, role: 'member' },
        { userId: otherId, role: 'member' },
      ]);
    });
    if (created) await this.announceCreated(state);
    return this.getConversation(userId, state.id);
  }

  async createGroup(userId: string, title: string | null, memberIds: string[]): Promise<Conversation> {
    const others = [...new Set(memberIds)].filter((id) => id !== userId);
    const existing = new Set(await this.store.existingUserIds(others));
    const missing = others.find((id) => !existing.has(id));
    if (missing) throw new NatterError('not_found', `no such user: ${missing}`);
    const state = await this.store.createConversation(
      this.newConversation('group', userId, title, [{ userId, role: 'owner' }, ...others.map((id) => ({ userId: id, role: 'member' as const }))]),
    );
    await this.announceCreated(state);
    return this.getConversation(userId, state.id);
  }

  private async announceCreated(state: ConversationState): Promise<void> {
    for (const m of state.members) {
      const view = await this.store.getConversationForUser(state.id, m.userId);
      if (view) await this.hub.publishToUser(m.userId, { k: 'joined', conversation: view });
    }
    const first = await this.store.getMessages(state.id, state.members[0]!.userId, { after: 0, limit: 1 });
    if (first?.messages[0]) await this.hub.publishEntry(state.id, logEntry(first.messages[0].seq, messageFrame(first.messages[0])));
  }

  async changeMembership(conversationId: string, change: MembershipChange): Promise<Conversation | { conversationId: string; seq: number }> {
    if (change.kind === 'add') {
      const existing = new Set(await this.store.existingUserIds(change.userIds));
      const missing = change.userIds.find((id) => !existing.has(id));
      if (missing) throw new NatterError('not_found', `no such user: ${missing}`);
    }
    const actor = change.kind === 'leave' ? change.userId : change.by;
    const outcome = await this.store.changeMembership(conversationId, change, newMessageId(), this.clock.now());
    switch (outcome.kind) {
      case 'not_found':
        throw notFound();
      case 'forbidden':
        throw new NatterError('forbidden', 'your role does not allow this');
      case 'not_member':
        throw new NatterError('invalid_request', 'userId: not an active member of this conversation');
      case 'noop':
        return this.getConversation(actor, conversationId);
      case 'ok':
        break;
    }
    const entry = logEntry(outcome.entry.seq, messageFrame(outcome.entry));
    const pushView = async (userId: string) => {
      const view = await this.store.getConversationForUser(conversationId, userId);
      if (view) await this.hub.publishToUser(userId, { k: 'frame', frame: encodeFrame({ type: 'conversation', conversation: view }) });
    };
    if (change.kind === 'role') {
      // Everyone sees the entry; the member whose role changed also gets their new view.
      await this.hub.publishEntry(conversationId, entry);
      await pushView(change.userId);
    } else if (change.kind === 'add') {
      // New members' processes must subscribe before the entry is published, so they get it live.
      for (const userId of outcome.affected) {
        const view = await this.store.getConversationForUser(conversationId, userId);
        if (view) await this.hub.publishToUser(userId, { k: 'joined', conversation: view });
      }
      await this.hub.publishEntry(conversationId, entry);
    } else {
      // Removed members get the entry that removed them, then nothing more.
      await this.hub.publishEntry(conversationId, entry);
      for (const userId of outcome.affected) {
        const view = await this.store.getConversationForUser(conversationId, userId);
        if (view) await this.hub.publishToUser(userId, { k: 'left', conversation: view });
      }
      // The heir's view changed (their role): their devices learn it now, not at their next sync.
      if (outcome.newOwner !== null) await pushView(outcome.newOwner);
    }
    if (change.kind === 'leave') return { conversationId, seq: outcome.entry.seq };
    return this.getConversation(actor, conversationId);
  }
}
