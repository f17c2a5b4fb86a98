/**
 * What a Session's modules share: the services a session talks to (SessionDeps), the states it
 * goes through, and the fields of a Session that session-auth.ts, session-quick.ts and
 * session-frames.ts read and change. Kept apart so that those modules and session.ts import
 * types from here rather than from each other.
 */
import type { Accounts } from './accounts.js';
import type { Clock } from './clock.js';
import type { Connection } from './connection.js';
import type { ConnectionSlots } from './connection-caps.js';
import type { Attachment, Delivery } from './delivery/delivery.js';
import type { ConnectionBudget } from './fair-share.js';
import type { Groups } from './groups.js';
import type { MessageActions } from './message-actions.js';
import type { Messaging } from './messaging.js';
import type { Receipts } from './receipts.js';
import type { Settings } from './settings.js';
import type { Contacts } from './contacts.js';
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

export type State =
  | { kind: 'awaiting_auth'; deadline: { cancel(): void } }
  | { kind: 'authenticating' }
  | { kind: 'open'; attachment: Attachment }
  | { kind: 'closed' };

/**
 * A Session as its own modules see it. Not for other callers: a transport only calls
 * `handle`, `quick`, `abandon` and `closed`.
 */
export interface SessionInternals {
  readonly conn: Connection;
  readonly deps: SessionDeps;
  state: State;
  /** Frames that arrive while `auth` is being checked wait for it, so clients may pipeline. */
  authDone: Promise<unknown> | null;
  /**
   * The connection has gone or is closing: work not yet started is dropped, answers are neither
   * encoded nor sent (a flood from a socket that stopped reading ends with it).
   */
  gone: boolean;
  /** This connection's token buckets, made on its first store-bound request. */
  budget: ConnectionBudget | null;
  /** Requests refused for the budget since the last one admitted. */
  refusedInARow: number;
  /** Whether a queued page read is still worth doing when its turn comes (the read gate asks). */
  wanted(): () => boolean;
}
