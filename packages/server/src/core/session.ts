/**
 * One client connection's protocol state machine: it waits for `auth` (with a deadline), then
 * dispatches request frames to the services and answers each request that carries an `id`.
 * Transports hand it decoded frames; it writes frames back through the Connection.
 */
import {
  CLOSE_CODES,
  encodeFrame,
  NatterError,
  PROTOCOL_VERSION,
  toErrorBody,
  type ClientFrame,
  type DecodeResult,
  type RequestId,
} from '@natter/protocol';
import type { Accounts } from './accounts.js';
import type { Clock } from './clock.js';
import { outbound, type Connection } from './connection.js';
import type { ConnectionSlots } from './connection-caps.js';
import type { Attachment, Delivery } from './delivery/delivery.js';
import type { ConnectionBudget, RequestClass } from './fair-share.js';
import type { Groups } from './groups.js';
import type { MessageActions } from './message-actions.js';
import type { Messaging } from './messaging.js';
import type { Receipts } from './receipts.js';
import type { Settings } from './settings.js';
import type { Contacts } from './contacts.js';
import { CONTACT_REQUEST_CLASS, dispatchContactFrame } from './contact-frames.js';
import type { MessageSearchService } from './search.js';
import type { PresenceService } from './presence/presence.js';
import type { Typing } from './presence/typing.js';
import type { Broadcasts } from './rooms/broadcasts.js';
import type { Rooms } from './rooms/rooms.js';

export interface SessionHooks {
  /** Called for every frame handled, with its type and outcome (for metrics). */
  onFrame(type: string, errorCode: string | null, ms: number): void;
  /** Called for anything unexpected (logged by the server; the client sees `internal`). */
  onError(err: unknown): void;
  /**
   * Called for every frame handled on the spot by `quick` (an ack without an id): a count only,
   * no timing (it takes a microsecond or two, and comes by the ten thousand a second).
   */
  onQuickFrame(type: 'ack'): void;
}

export interface SessionDeps {
  accounts: Accounts;
  messaging: Messaging;
  receipts: Receipts;
  settings: Settings;
  /** Finding people, friend requests and blocks (core/contacts.ts). */
  contacts: Contacts;
  /** Group management frames (`group.*`). */
  groups: Groups;
  /** Recall, edit and reactions (`message.recall` …). */
  messageActions: MessageActions;
  /** Message search (`messages.search`, core/search.ts). */
  search: MessageSearchService;
  delivery: Delivery;
  clock: Clock;
  authTimeoutMs: number;
  heartbeatSeconds: number;
  /** Authenticated connections per user (WS_MAX_PER_USER). */
  userConnections: ConnectionSlots;
  hooks: SessionHooks;
  typing: Typing;
  presence: PresenceService;
  /** Live rooms and broadcasts (core/rooms/). */
  rooms: Rooms;
  broadcasts: Broadcasts;
}

type State =
  | { kind: 'awaiting_auth'; deadline: { cancel(): void } }
  | { kind: 'authenticating' }
  | { kind: 'open'; attachment: Attachment }
  | { kind: 'closed' };

export class Session {
  private state: State;
  /** Frames that arrive while `auth` is being checked wait for it, so clients may pipeline. */
  private authDone: Promise<unknown> | null = null;
  /**
   * The connection has gone or is closing: work not yet started is dropped, answers are neither
   * encoded nor sent (a flood from a socket that stopped reading ends with it).
   */
  private gone = false;
  /** This connection's token buckets, made on its first store-bound request. */
  private budget: ConnectionBudget | null = null;
  /** Requests refused for the budget since the last one admitted. */
  private refusedInARow = 0;
  /**
   * Asked by the read gate when a queued page read's turn comes. Made on the first page read:
   * an idle connection never reads one, and the closure and its context are ~100 bytes each.
   */
  private wantedFn: (() => boolean) | null = null;

  constructor(
    private readonly conn: Connection,
    private readonly deps: SessionDeps,
  ) {
    const deadline = deps.clock.setTimeout(() => {
      if (this.state.kind === 'awaiting_auth' || this.state.kind === 'authenticating') {
        this.conn.close(CLOSE_CODES.auth_timeout, 'authentication timeout');
      }
    }, deps.authTimeoutMs);
    this.state = { kind: 'awaiting_auth', deadline };
  }

  get userId(): string | null {
    return this.state.kind === 'open' ? this.state.attachment.userId : null;
  }

  /** Handles one decoded frame. Never throws. */
  async handle(decoded: DecodeResult): Promise<void> {
    if (this.state.kind === 'closed' || this.gone) return;
    if (!decoded.ok) {
      this.deps.hooks.onFrame('invalid', decoded.error.code, 0);
      this.reply(decoded.id, decoded.error);
      return;
    }
    const frame = decoded.frame;
    const started = performance.now();
    let code: string | null = null;
    try {
      const data = await this.dispatch(frame);
      if (this.gone) {
        code = 'dropped';
        return;
      }
      if (frame.id !== undefined && data !== undefined) {
        const json = encodeFrame({ type: 'result', id: frame.id, data });
        const userId = this.userId;
        if (userId !== null && this.budget) this.deps.messaging.fairShare.chargeAnswer(userId, json.length, this.budget);
        this.conn.send(outbound(json));
      }
    } catch (err) {
      if (this.gone) {
        code = 'dropped';
        return;
      }
      if (!(err instanceof NatterError)) this.deps.hooks.onError(err);
      const body = toErrorBody(err);
      code = body.code;
      this.conn.send(outbound(encodeFrame(frame.id === undefined ? { type: 'error', error: body } : { type: 'error', id: frame.id, error: body })));
      // A failed auth ends the connection, once the client has been told why.
      if (frame.type === 'auth' && (this.state as State).kind === 'closed') {
        this.conn.close(authCloseCode(body.code), body.code);
      }
    } finally {
      this.deps.hooks.onFrame(frame.type, code, performance.now() - started);
    }
  }

  /**
   * Handles at once, without a promise, a frame that needs no answer and no store: an `ack`
   * without an id of an entry this process delivered to the device (what the SDK sends after
   * every message it applies). The checks are those of the full path: the connection is open,
   * the device was shown `seq` (Delivery.shown: else the store checks the ack, on the full
   * path), a write token is there (else the full path refuses it, counted as before); the
   * cursor only moves forward (DeliveryCursors.ack). Returns false, having done nothing, for
   * any other frame: the caller then hands it to `handle`.
   */
  quick(decoded: DecodeResult): boolean {
    if (!decoded.ok) return false;
    const frame = decoded.frame;
    if (frame.type !== 'ack' || frame.id !== undefined) return false;
    const state = this.state;
    if (state.kind !== 'open' || this.gone) return false;
    const a = state.attachment;
    if (!this.deps.delivery.shown(a, frame.conversationId, frame.seq)) return false;
    const m = this.deps.messaging;
    this.budget ??= m.fairShare.newConnectionBudget();
    if (m.fairShare.tryAdmit(a.userId, REQUEST_CLASS.ack, this.budget) > 0) return false;
    this.refusedInARow = 0;
    m.ackShown(a.userId, a.deviceId, frame.conversationId, frame.seq);
    this.deps.hooks.onQuickFrame('ack');
    return true;
  }

  private wanted(): () => boolean {
    return (this.wantedFn ??= () => !this.gone);
  }

  private reply(id: RequestId | undefined, error: NatterError): void {
    const body = error.toBody();
    this.conn.send(outbound(encodeFrame(id === undefined ? { type: 'error', error: body } : { type: 'error', id, error: body })));
  }

  private async dispatch(frame: ClientFrame): Promise<unknown> {
    const state = this.state;
    if (frame.type === 'auth') {
      const pending = this.authenticate(frame.token);
      this.authDone = pending.catch(() => undefined);
      return pending;
    }
    if (state.kind === 'authenticating' && this.authDone) await this.authDone;
    return this.dispatchAuthenticated(frame);
  }

  private async dispatchAuthenticated(frame: Exclude<ClientFrame, { type: 'auth' }>): Promise<unknown> {
    const state = this.state;
    if (frame.type === 'ping') return { time: this.deps.clock.now() };
    // Rooms that allow it are watched without authenticating (Rooms.join checks the room).
    if (state.kind === 'awaiting_auth' && (frame.type === 'room.join' || frame.type === 'room.leave')) return this.watchAnonymously(state, frame);
    if (state.kind !== 'open') throw new NatterError('not_authenticated', 'send auth first');
    const { userId, deviceId } = state.attachment;
    const m = this.deps.messaging;
    this.budget ??= m.fairShare.newConnectionBudget();
    try {
      m.fairShare.admit(userId, REQUEST_CLASS[frame.type], this.budget);
      this.refusedInARow = 0;
    } catch (err) {
      // A client that honours retryAfterMs meets a few refusals; one that keeps flooding costs
      // a decode and an answer per frame for nothing: it is cut off and may come back later.
      if (++this.refusedInARow > MAX_REFUSED_IN_A_ROW) this.conn.close(CLOSE_CODES.rate_limited, 'rate limited');
      throw err;
    }
    switch (frame.type) {
      case 'send':
        return m.send(userId, frame);
      case 'ack':
        return m.ack(userId, deviceId, frame.conversationId, frame.seq, this.deps.delivery.shown(state.attachment, frame.conversationId, frame.seq));
      case 'read':
        return m.read(userId, frame.conversationId, frame.seq);
      case 'sync':
        return m.sync(userId, frame.since, frame.limit, this.wanted());
      case 'messages':
        return m.messages(userId, frame, this.wanted());
      case 'conversation.direct':
        return m.openDirect(userId, frame.userId);
      case 'conversation.create':
        return m.createGroup(userId, frame.title ?? null, frame.members);
      case 'conversation.get':
        return m.getConversation(userId, frame.conversationId);
      case 'conversation.addMembers':
        return m.changeMembership(frame.conversationId, { kind: 'add', userIds: frame.userIds, by: userId });
      case 'conversation.removeMember':
        return m.changeMembership(frame.conversationId, { kind: 'remove', userId: frame.userId, by: userId });
      case 'conversation.leave':
        return m.changeMembership(frame.conversationId, { kind: 'leave', userId });
      case 'conversation.setRole':
        return m.changeMembership(frame.conversationId, { kind: 'role', userId: frame.userId, role: frame.role, by: userId });
      case 'conversation.setFlags':
        return m.setFlags(userId, frame.conversationId, frame);
      case 'receipts.get':
        return this.deps.receipts.get(userId, frame.conversationId, frame.seqs);
      case 'receipts.readers':
        return this.deps.receipts.readers(userId, frame);
      case 'settings.get':
        return this.deps.settings.get(userId);
      case 'settings.update':
        return this.deps.settings.update(userId, frame.settings);
      case 'users.lookup':
      case 'users.search':
      case 'contacts.list':
      case 'contacts.requests':
      case 'contacts.blocks':
      case 'contacts.request':
      case 'contacts.accept':
      case 'contacts.decline':
      case 'contacts.cancel':
      case 'contacts.remove':
      case 'contacts.block':
      case 'contacts.unblock':
        return dispatchContactFrame(this.deps.contacts, userId, frame);
      case 'typing':
        return this.deps.typing.typing(state.attachment, frame.conversationId, frame.state);
      case 'messages.search':
        return this.deps.search.search(userId, frame.query, frame);
      case 'presence.get':
        return { users: await this.deps.presence.query(userId, frame.userIds) };
      case 'presence.setVisible':
        return this.deps.presence.setVisible(userId, frame.visible);
      case 'room.create':
        return this.deps.rooms.create(userId, frame);
      case 'room.update':
        return this.deps.rooms.update(userId, frame);
      case 'room.join':
        return this.deps.rooms.join(this.conn, userId, frame);
      case 'room.leave':
        return this.deps.rooms.leave(this.conn, frame.roomId);
      case 'room.send':
        return this.deps.rooms.send(userId, frame);
      case 'room.mute':
        return this.deps.rooms.mute(userId, frame);
      case 'room.kick':
        return this.deps.rooms.kick(userId, frame);
      case 'broadcast.sync':
        return this.deps.broadcasts.sync(userId, frame.after);
      case 'broadcast.read':
        return this.deps.broadcasts.read(userId, frame.seq);
      case 'group.update':
      case 'group.transfer':
      case 'group.dissolve':
      case 'group.mute':
      case 'group.muteAll':
      case 'group.invite.create':
      case 'group.invite.list':
      case 'group.invite.revoke':
      case 'group.join':
        return this.deps.groups.dispatch(userId, frame);
      case 'message.recall':
      case 'message.edit':
      case 'message.react':
      case 'message.unreact':
      case 'message.hide':
      case 'message.unhide':
        return this.deps.messageActions.dispatch(userId, frame);
    }
  }

  /**
   * An anonymous viewer: the room decides whether it may watch. Watching stops the auth
   * deadline (the connection may still authenticate later, to send).
   */
  private async watchAnonymously(
    state: Extract<State, { kind: 'awaiting_auth' }>,
    frame: Extract<ClientFrame, { type: 'room.join' | 'room.leave' }>,
  ): Promise<unknown> {
    if (frame.type === 'room.leave') return this.deps.rooms.leave(this.conn, frame.roomId);
    const result = await this.deps.rooms.join(this.conn, null, frame);
    state.deadline.cancel();
    return result;
  }

  private async authenticate(token: string): Promise<unknown> {
    if (this.state.kind !== 'awaiting_auth') throw new NatterError('already_authenticated', 'this connection is already authenticated');
    const deadline = this.state.deadline;
    this.state = { kind: 'authenticating' };
    let claims;
    try {
      claims = await this.deps.accounts.authenticate(token);
    } catch (err) {
      deadline.cancel();
      this.state = { kind: 'closed' };
      // handle() answers with the error (so it is counted like any other) and then closes.
      throw err;
    }
    deadline.cancel();
    // A slot is taken before attaching, and given back by whichever path ends the session. Nothing
    // may be awaited between acquire() and attach(): the server's cap counts what attach registers.
    if (!this.deps.userConnections.acquire(claims.userId)) {
      this.state = { kind: 'closed' };
      throw new NatterError('rate_limited', 'this user has too many open connections; close some and retry');
    }
    let attachment: Attachment;
    try {
      attachment = await this.deps.delivery.attach(this.conn, claims.userId, claims.deviceId);
    } catch (err) {
      this.deps.userConnections.release(claims.userId);
      this.state = { kind: 'closed' };
      throw err;
    }
    if ((this.state as State).kind === 'closed') {
      this.deps.userConnections.release(claims.userId);
      await this.deps.delivery.detach(attachment);
      return undefined;
    }
    this.state = { kind: 'open', attachment };
    // Not awaited: the answer does not wait for presence (it never throws).
    void this.deps.presence.connected(claims.userId);
    // Nothing waits for auth any more: do not keep its promise (and result) per connection.
    this.authDone = null;
    return { userId: claims.userId, deviceId: claims.deviceId, heartbeatSeconds: this.deps.heartbeatSeconds, protocolVersion: PROTOCOL_VERSION };
  }

  /**
   * The transport calls this when it starts closing the connection (a slow consumer, a
   * protocol violation), before the socket is gone: nothing more is worth doing for it.
   */
  abandon(): void {
    this.gone = true;
  }

  /** The transport calls this once when the connection is gone. */
  async closed(): Promise<void> {
    this.gone = true;
    const state = this.state;
    this.state = { kind: 'closed' };
    this.deps.rooms.leaveAll(this.conn);
    if (state.kind === 'awaiting_auth') state.deadline.cancel();
    if (state.kind === 'open') {
      this.deps.userConnections.release(state.attachment.userId);
      void this.deps.presence.disconnected(state.attachment.userId);
      await this.deps.delivery.detach(state.attachment);
      // What the device acked reaches the store now, not a timer's tick later.
      await this.deps.messaging.cursors.deviceGone(state.attachment.deviceId);
    }
  }
}

/** Refusals in a row (`rate_limited`) after which a connection is closed with 3006. */
const MAX_REFUSED_IN_A_ROW = 100;

/** Which budget each store-bound request spends (FairShare). */
const REQUEST_CLASS: Record<Exclude<ClientFrame['type'], 'auth' | 'ping'>, RequestClass> = {
  sync: 'read',
  messages: 'read',
  'conversation.get': 'read',
  send: 'write',
  ack: 'write',
  read: 'write',
  'conversation.direct': 'write',
  'conversation.create': 'write',
  'conversation.addMembers': 'write',
  'conversation.removeMember': 'write',
  'conversation.leave': 'write',
  'conversation.setRole': 'write',
  'conversation.setFlags': 'write',
  'receipts.get': 'read',
  'receipts.readers': 'read',
  'settings.get': 'read',
  'settings.update': 'write',
  ...CONTACT_REQUEST_CLASS,
  'messages.search': 'read',
  // Typing reads the store only for a conversation not routed here; its own limit is in Typing.
  typing: 'write',
  'presence.get': 'read',
  'presence.setVisible': 'write',
  'room.join': 'read',
  'room.leave': 'read',
  'room.send': 'write',
  'room.create': 'write',
  'room.update': 'write',
  'room.mute': 'write',
  'room.kick': 'write',
  'broadcast.sync': 'read',
  'broadcast.read': 'write',
  'message.recall': 'write',
  'message.edit': 'write',
  'message.react': 'write',
  'message.unreact': 'write',
  'message.hide': 'write',
  'message.unhide': 'write',
  'group.update': 'write',
  'group.transfer': 'write',
  'group.dissolve': 'write',
  'group.mute': 'write',
  'group.muteAll': 'write',
  'group.invite.create': 'write',
  'group.invite.list': 'read',
  'group.invite.revoke': 'write',
  'group.join': 'write',
};

/** Token problems mean "do not come back with this token"; anything else is worth a retry. */
function authCloseCode(code: string): number {
  switch (code) {
    case 'device_revoked':
      return CLOSE_CODES.device_revoked;
    case 'invalid_token':
    case 'token_expired':
      return CLOSE_CODES.auth_failed;
    case 'unavailable':
      return CLOSE_CODES.unavailable;
    case 'rate_limited':
      return CLOSE_CODES.too_many_connections;
    default:
      return CLOSE_CODES.internal;
  }
}
