/**
 * Domain events: what the core tells the rest of the process after each commit, as typed
 * records with structured fields. Delivery to sockets is the first subscriber (delivery/);
 * receipts, webhooks, push, room aggregation and tracing subscribe the same way, without
 * touching the services that emit. Nothing downstream parses a frame to learn what happened.
 *
 * Events are emitted on the process that committed, once per commit, after the commit: a
 * subscriber that needs every process (socket delivery) carries the event over the Bus itself.
 */
import type { Conversation, Message } from '@natter/protocol';
import type { MemberView, NewMessage } from '../store/store.js';

/** A message sent by a member was stored at `seq`. */
export interface MessageStored {
  type: 'message.stored';
  /** As sent, with the body as stored (JSON text); `clientMsgId` is the sender's own. */
  message: NewMessage;
  seq: number;
}

/**
 * A send was retried with a clientMsgId that was already stored: its first attempt may have
 * died between commit and delivery, so the conversation's devices may never have had it live.
 */
export interface MessageRetried {
  type: 'message.retried';
  conversationId: string;
  messageId: string;
  seq: number;
}

/**
 * How membership changed: a conversation created with its members, members added, removed,
 * leaving, or a role; and group management (core/groups.ts): a join by invite code, the
 * profile, ownership handed over, a member's or everyone's mute, the group dissolved.
 */
export type MembershipChangeKind =
  | 'created'
  | 'added'
  | 'removed'
  | 'left'
  | 'role'
  | 'joined'
  | 'profile'
  | 'owner'
  | 'muted'
  | 'dissolved';

/** Membership changed, recorded by the system entry `entry` in the conversation's log. */
export interface MembershipChanged {
  type: 'membership.changed';
  conversationId: string;
  change: MembershipChangeKind;
  /** The log entry that records the change. */
  entry: Message;
  /** Users who became members (their views start at the entry). */
  joined: MemberView[];
  /** Users whose membership ended at the entry. */
  left: MemberView[];
  /** Users still members whose view changed (a new role, or ownership inherited). */
  updated: MemberView[];
}

/** A user's read cursor (all devices) or a device's delivery cursor moved forward. */
export interface CursorMoved {
  type: 'cursor.moved';
  cursor: 'read' | 'delivered';
  userId: string;
  /** The device, for a delivery cursor; null for a read cursor. */
  deviceId: string | null;
  conversationId: string;
  seq: number;
  /** The user's view after the move, when it was read (read cursors: the other devices show it). */
  view: Conversation | null;
}

/** Devices were revoked: their live connections must close. */
export interface DeviceRevoked {
  type: 'device.revoked';
  userId: string;
  deviceIds: string[];
}

/**
 * Every event the core emits. Typing, presence and receipts join this union when they are built:
 * a new member makes `switch (event.type)` in each subscriber fail to compile until handled.
 */
export type DomainEvent = MessageStored | MessageRetried | MembershipChanged | CursorMoved | DeviceRevoked;

/** A subscriber: runs after the commit; must not throw (its failures are its own to handle). */
export type EventHandler = (event: DomainEvent) => Promise<void> | void;

/**
 * The process's event stream. `emit` resolves once every subscriber has taken the event, so a
 * service answers its caller only after delivery has published (a sender's devices see the
 * push no later than the answer, as before).
 */
export class DomainEvents {
  private readonly handlers: EventHandler[] = [];

  /** Called with what a subscriber threw; the other subscribers still get the event. */
  onError: (err: unknown, event: DomainEvent) => void = () => {};

  subscribe(handler: EventHandler): void {
    this.handlers.push(handler);
  }

  async emit(event: DomainEvent): Promise<void> {
    // One subscriber (delivery) is the common case: no array of promises per message.
    if (this.handlers.length === 1) return this.run(this.handlers[0]!, event);
    await Promise.all(this.handlers.map((h) => this.run(h, event)));
  }

  private async run(handler: EventHandler, event: DomainEvent): Promise<void> {
    try {
      await handler(event);
    } catch (err) {
      this.onError(err, event);
    }
  }
}
