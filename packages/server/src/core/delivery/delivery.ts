/**
 * Delivery to sockets, the first subscriber of domain events. On the committing process it
 * publishes each event on the Bus (publisher.ts); on every process it takes what the Bus brings
 * and writes it to the local connections it concerns — the same frame object to every
 * recipient, so the transport frames it once.
 *
 * The pieces, one job each: registry.ts (who is connected here), topics.ts (subscriptions and
 * publishes), routing.ts (which conversations reach which connection), ordering.ts (entries in
 * seq order across publishers), recovery.ts (after lost events), codec.ts (bytes).
 *
 * @example
 * const delivery = new Delivery(bus, store, systemClock);
 * events.subscribe((e) => delivery.publish(e));
 * const a = await delivery.attach(conn, userId, deviceId); // … later: await delivery.detach(a)
 */
import { CLOSE_CODES, encodeFrame, type Presence } from '@natter/protocol';
import { isReconnectingBus, type Bus } from '../../bus/bus.js';
import type { Store } from '../../store/store.js';
import type { Clock } from '../clock.js';
import { outbound, type Connection, type OutboundFrame } from '../connection.js';
import type { DomainEvent } from '../events.js';
import {
  conversationFrame,
  decodeConversationEnvelope,
  decodeUserEnvelope,
  ownCopy,
  RESYNC_FRAME,
  type EphemeralEnvelope,
  type Entry,
  type UserEnvelope,
} from './codec.js';
import { ConversationOrder } from './ordering.js';
import { Publisher } from './publisher.js';
import { Recovery } from './recovery.js';
import { joinedAfter, noteJoined, Registry, type Attachment } from './registry.js';
import { Routing } from './routing.js';
import { Topics } from './topics.js';

export type { Attachment } from './registry.js';

export class Delivery {
  private readonly registry = new Registry();
  private readonly topics: Topics;
  private readonly order: ConversationOrder;
  private readonly routing: Routing;
  private readonly recovery: Recovery;
  private readonly publisher: Publisher;

  /** Called with every failed bus operation (the bus is down); delivery carries on without it. */
  onBusError: (err: unknown) => void = () => {};
  /** Called when a presence push reached a user's connections here (the presence service watches it). */
  onPresence: (recipientId: string, presence: Presence) => void = () => {};

  constructor(
    bus: Bus,
    private readonly store: Store,
    clock: Clock,
  ) {
    this.topics = new Topics(bus, (err) => this.onBusError(err));
    this.order = new ConversationOrder(clock, {
      deliver: (id, entry, late) => this.deliver(id, entry, late),
      resync: (id) => this.resync(id),
      checkMembers: (id) => this.checkMembers(id),
    });
    this.routing = new Routing(this.registry, this.topics, this.order, store);
    this.recovery = new Recovery(this.registry, this.routing, this.topics, store);
    this.publisher = new Publisher(this.topics);
    bus.onMessage((topic, payload) => this.receive(topic, payload));
    if (isReconnectingBus(bus)) bus.onReconnect(() => void this.recovery.recover());
  }

  get connectionCount(): number {
    return this.registry.connectionCount;
  }

  /** Registers an authenticated connection; resolves once everything for its user reaches it. */
  attach(conn: Connection, userId: string, deviceId: string): Promise<Attachment> {
    return this.routing.attach(conn, userId, deviceId);
  }

  detach(a: Attachment): Promise<void> {
    return this.routing.detach(a);
  }

  /**
   * Whether `a` may ack `seq` without asking the store: it is routed to the conversation, so its
   * user is an active member whose window reaches the last entry, and this process delivered
   * entries up to `seq` or beyond there.
   */
  shown(a: Attachment, conversationId: string, seq: number): boolean {
    return a.conversations.has(conversationId) && seq <= this.order.delivered(conversationId);
  }

  /** The domain-event subscriber: carries the event to every process over the Bus. Never throws. */
  publish(event: DomainEvent): Promise<void> | void {
    // Delivery cursors are not published (receipts.ts makes receipts of them): an ack costs nothing here.
    if (event.type === 'cursor.moved' && event.cursor === 'delivered') return;
    return this.publisher.handle(event);
  }

  private receive(topic: string, payload: string): void {
    if (topic.startsWith('c:')) {
      const conversationId = topic.slice(2);
      if (!this.registry.hasConversation(conversationId)) return;
      const envelope = decodeConversationEnvelope(payload);
      if (envelope.kind === 'ephemeral') this.deliverEphemeral(conversationId, envelope);
      else if (envelope.kind === 'resync') this.resync(conversationId);
      else this.order.admit(conversationId, envelope);
      return;
    }
    if (topic.startsWith('u:')) {
      const userId = topic.slice(2);
      const set = this.registry.connectionsOf(userId);
      if (!set) return;
      const envelope = decodeUserEnvelope(payload);
      // From a newer version: what it said is in the store.
      if (envelope === null) void this.recovery.recheck(userId);
      else this.applyUserEnvelope([...set], envelope);
    }
  }

  /** Writes a frame to the user's connections on this process only. */
  sendToLocalUser(userId: string, frame: OutboundFrame): void {
    for (const a of this.registry.connectionsOf(userId) ?? []) a.conn.send(frame);
  }

  /**
   * Every connection on this process that has finished attaching (its auth answered), with its
   * user: the audience of process-wide announcements (broadcasts.ts).
   */
  forEachConnection(fn: (conn: Connection, userId: string) => void): void {
    this.registry.forEachConnection((a) => {
      if (!this.routing.isLoading(a)) fn(a.conn, a.userId);
    });
  }

  /** How many connections the user has on this process, attaching ones included. */
  localConnectionCount(userId: string): number {
    return this.registry.countOf(userId);
  }

  /** Whether the user has a connection on this process. */
  hasLocalUser(userId: string): boolean {
    return this.registry.connectionsOf(userId) !== undefined;
  }

  /** Whether `a` is routed to the conversation here (its user is an active member of it). */
  routes(a: Attachment, conversationId: string): boolean {
    return a.conversations.has(conversationId);
  }

  private deliverEphemeral(conversationId: string, e: EphemeralEnvelope): void {
    if (e.frame.json === '') return;
    for (const a of this.registry.routed(conversationId) ?? []) if (a.userId !== e.exceptUserId) a.conn.send(e.frame);
  }

  private resync(conversationId: string): void {
    for (const a of this.registry.routed(conversationId) ?? []) a.conn.send(RESYNC_FRAME);
  }

  /**
   * Writes an entry to the conversation's devices here. `late`: it arrived after a later one,
   * so it goes only to those who were members when it was written. A removal stops its member's
   * routing the moment the entry that records it is delivered to them, so nothing committed
   * after it reaches them — not only once the slower 'left' user event arrives.
   */
  private deliver(conversationId: string, entry: Entry, late: boolean): void {
    const set = this.registry.routed(conversationId);
    if (!set) return;
    const { frame, senderId, clientMsgId, seq, removedUserId } = entry;
    let own: Entry['frame'] | undefined;
    for (const a of set) {
      if (late && joinedAfter(a, conversationId, seq)) continue;
      if (a.userId === senderId && clientMsgId !== null) a.conn.send((own ??= { json: ownCopy(frame.json, clientMsgId) }));
      else a.conn.send(frame);
    }
    if (removedUserId === null) return;
    for (const a of [...set]) {
      // A late removal never unroutes someone who re-joined since.
      if (a.userId === removedUserId && !joinedAfter(a, conversationId, seq)) this.routing.unroute(a, conversationId);
    }
  }

  /**
   * Unroutes the users routed to the conversation here who are not active members of it now.
   * False when the store cannot say: unreachable, or no such conversation — which an entry
   * just published for it makes a store fault, not a reason to unroute everyone.
   */
  private async checkMembers(conversationId: string): Promise<boolean> {
    let members: Set<string>;
    try {
      const state = await this.store.getConversationState(conversationId);
      if (!state) return false;
      members = new Set(state.members.map((m) => m.userId));
    } catch {
      return false;
    }
    for (const a of [...(this.registry.routed(conversationId) ?? [])]) if (!members.has(a.userId)) this.routing.unroute(a, conversationId);
    return true;
  }

  private applyUserEnvelope(attachments: Attachment[], e: UserEnvelope): void {
    switch (e.k) {
      case 'joined': {
        // Tell the client only once the subscription is active: it then fetches everything up
        // to now, and everything later arrives live — nothing falls in between. A 'left' applied
        // while the subscription was being made wins: its push went out already, and this
        // older view must not follow it.
        const frame = conversationFrame(e.conversation);
        const id = e.conversation.id;
        for (const a of attachments) {
          noteJoined(a, id, e.conversation.membership.joinedSeq);
          void this.routing.join(a, id).then(() => a.conversations.has(id) && a.conn.send(frame));
        }
        return;
      }
      case 'left': {
        const frame = conversationFrame(e.conversation);
        for (const a of attachments) {
          this.routing.unroute(a, e.conversation.id);
          a.conn.send(frame);
        }
        return;
      }
      case 'view': {
        const frame = conversationFrame(e.conversation);
        for (const a of attachments) a.conn.send(frame);
        return;
      }
      case 'revoke': {
        const ids = new Set(e.deviceIds);
        for (const a of attachments) if (ids.has(a.deviceId)) a.conn.close(CLOSE_CODES.device_revoked, 'device revoked');
        return;
      }
      case 'recheck':
        void this.recovery.recheck(attachments[0]!.userId);
        return;
      case 'receipt': {
        const frame = outbound(encodeFrame({ type: 'receipt', receipt: e.receipt }));
        for (const a of attachments) a.conn.send(frame);
        return;
      }
      case 'hidden': {
        const frame = outbound(encodeFrame({ type: 'message.hidden', hidden: e.hidden }));
        for (const a of attachments) a.conn.send(frame);
        return;
      }
      case 'unhidden': {
        const frame = outbound(encodeFrame({ type: 'message.unhidden', unhidden: e.unhidden }));
        for (const a of attachments) a.conn.send(frame);
        return;
      }
      case 'contact': {
        // One frame for all of the user's devices here.
        const frame = outbound(encodeFrame({ type: 'contact', event: e.event }));
        for (const a of attachments) a.conn.send(frame);
        return;
      }
      case 'presence': {
        const frame = outbound(encodeFrame({ type: 'presence', presence: e.presence }));
        for (const a of attachments) a.conn.send(frame);
        this.onPresence(attachments[0]!.userId, e.presence);
        return;
      }
    }
  }
}
