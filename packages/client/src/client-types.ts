/**
 * NatterClient's options and the events it emits (client.ts re-exports both; the room and
 * broadcast events are rooms.ts's).
 */
import type { BackoffOptions, ContactEvent, Conversation, HiddenMessage, Message, Presence, Receipt } from '@natter/protocol/wire';
import type { ClientCache, PendingSend, PendingUpload } from './cache.js';
import type { ConnectionState, WebSocketFactory } from './connection.js';
import type { TypingEvent } from './presence.js';
import type { RoomEvents } from './rooms.js';

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
