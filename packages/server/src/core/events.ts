/**
 * Domain events: what the core tells the rest of the process after each commit, as typed
 * records with structured fields. Delivery to sockets is the first subscriber (delivery/);
 * receipts, webhooks, push, room aggregation and tracing subscribe the same way, without
 * touching the services that emit. Nothing downstream parses a frame to learn what happened.
 *
 * Events are emitted on the process that committed, once per commit, after the commit: a
 * subscriber that needs every process (socket delivery) carries the event over the Bus itself.
 */
import type { ContactEvent, Conversation, ConversationFlags, HiddenMessage, Message, Presence, Receipt, UnhiddenMessage, UserSettings } from '@natter/protocol';
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
/** A message was recalled, edited or reacted to (core/message-actions.ts). */
export interface MessageActed {
  type: 'message.acted';
  conversationId: string;
  /** The system entry that records the action. */
  entry: Message;
  /** The target message as it now is. */
  message: Message;
}

/**
 * A user deleted a message for themselves (delete for me, core/message-actions.ts): their own
 * devices drop its body; nobody else is told anything.
 */
export interface MessageHidden {
  type: 'message.hidden';
  userId: string;
  hidden: HiddenMessage;
}

/** A user restored a message they had deleted for themselves: their own devices show it again. */
export interface MessageUnhidden {
  type: 'message.unhidden';
  userId: string;
  unhidden: UnhiddenMessage;
}

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

/** A user set their own pinned / muted / archived flags of a conversation: their devices show the view. */
export interface ConversationFlagsChanged {
  type: 'conversation.flags';
  userId: string;
  conversationId: string;
  /** The flags set (those left out did not change). */
  flags: ConversationFlags;
  /** The user's view after the change. */
  view: Conversation;
}

/**
 * A receipt for some users' devices (core/receipts.ts derives it from `cursor.moved`): the
 * users in `to` learn that `receipt.userId` read or received the conversation up to a seq.
 */
export interface ReceiptUpdated {
  type: 'receipt.updated';
  to: string[];
  receipt: Receipt;
}

/** A user changed their settings (core/settings.ts); `settings` is all of them, after the change. */
export interface SettingsChanged {
  type: 'settings.changed';
  userId: string;
  settings: UserSettings;
}

/** Devices were revoked: their live connections must close. */
export interface DeviceRevoked {
  type: 'device.revoked';
  userId: string;
  deviceIds: string[];
}

/**
 * Something changed in one user's contacts (a friend request, a friendship, a block), told from
 * that user's side: every device of `userId` gets it (core/contacts.ts).
 */
export interface ContactChanged {
  type: 'contact.changed';
  userId: string;
  event: ContactEvent;
}

/**
 * A member started or stopped typing. Ephemeral: emitted when the frame is accepted (nothing is
 * committed, nothing stored); delivery carries it to the other members' devices.
 */
export interface TypingChanged {
  type: 'typing.changed';
  conversationId: string;
  userId: string;
  state: 'start' | 'stop';
  /** How long a `start` shows at the receivers unless repeated. */
  ttlMs: number;
}

/**
 * A user came online or went offline as others see it (core/presence/). Ephemeral: emitted by the
 * process that saw the change, never stored; `audience` are the users to tell (direct peers).
 */
export interface PresenceChanged {
  type: 'presence.changed';
  presence: Presence;
  audience: string[];
}

/**
 * Every event the core emits: a new member makes `switch (event.type)` in each subscriber fail to
 * compile until handled.
 */
export type DomainEvent =
  | MessageStored
  | MessageRetried
  | MembershipChanged
  | MessageActed
  | MessageHidden
  | MessageUnhidden
  | CursorMoved
  | ConversationFlagsChanged
  | DeviceRevoked
  | ReceiptUpdated
  | SettingsChanged
  | ContactChanged
  | TypingChanged
  | PresenceChanged;

const DONE: Promise<void> = Promise.resolve();

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

  emit(event: DomainEvent): Promise<void> {
    // Handlers run now, in order; only those that return a promise are waited for, so an event
    // most subscribers pass over (an ack's cursor move: tens of thousands a second) costs no
    // promise per subscriber.
    let pending: Promise<void> | Promise<void>[] | null = null;
    for (const handler of this.handlers) {
      let r: Promise<void> | void;
      try {
        r = handler(event);
      } catch (err) {
        this.onError(err, event);
        continue;
      }
      if (r === undefined) continue;
      const p = r.then(undefined, (err: unknown) => this.onError(err, event));
      pending = pending === null ? p : Array.isArray(pending) ? (pending.push(p), pending) : [pending, p];
    }
    if (pending === null) return DONE;
    return Array.isArray(pending) ? Promise.all(pending).then(() => undefined) : pending;
  }
}
