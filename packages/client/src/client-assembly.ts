/**
 * What a NatterClient is made of, built in one place: the connection, the sync engine, the
 * outbox, rooms and the feature modules, and which of them each pushed frame goes to.
 * NatterClient keeps the lifecycle (connect, first sync, close) and the public methods, which
 * delegate to these parts.
 */
import type { AuthOk } from '@natter/protocol/wire';
import { MemoryCache, type ClientCache } from './cache.js';
import type { ClientEvents, NatterClientOptions } from './client-types.js';
import type { Connection, ConnectionOptions } from './connection.js';
import { createConnection } from './connection-setup.js';
import type { ConversationListSource } from './conversation-list.js';
import { ContactsApi } from './contacts-api.js';
import { ConversationsApi } from './conversations-api.js';
import { GroupsApi } from './groups-api.js';
import { httpBaseOf, MediaUploader } from './media.js';
import { MediaApi } from './media-api.js';
import { MessageActionsApi } from './message-actions-api.js';
import { Outbox } from './outbox.js';
import { PresenceApi } from './presence-api.js';
import { ReceiptsApi } from './receipts-api.js';
import { RoomsClient } from './rooms.js';
import { rpcOver, type Rpc } from './rpc.js';
import { SettingsApi } from './settings-api.js';
import { SyncEngine } from './sync.js';

export type Emit = <K extends keyof ClientEvents>(event: K, value: ClientEvents[K]) => void;

/** What the parts need of the client that holds them. */
export interface ClientHost {
  emit: Emit;
  on: ConversationListSource['on'];
  /** The authenticated user, read when asked (it is known once online). */
  userId(): string | null;
  onOnline(session: AuthOk): void;
}

export interface ClientParts {
  readonly cache: ClientCache;
  readonly conn: Connection;
  readonly sync: SyncEngine;
  readonly outbox: Outbox;
  readonly rooms: RoomsClient;
  /** Requests that wait until online (rpc.ts). */
  readonly rpc: Rpc;
  readonly uploader: MediaUploader;
  readonly media: MediaApi;
  readonly conversations: ConversationsApi;
  readonly groups: GroupsApi;
  readonly actions: MessageActionsApi;
  readonly receipts: ReceiptsApi;
  readonly settings: SettingsApi;
  readonly contacts: ContactsApi;
  readonly presence: PresenceApi;
}

type Push = Parameters<ConnectionOptions['onPush']>[0];

export function assembleClient(options: NatterClientOptions, host: ClientHost): ClientParts {
  const { emit } = host;
  const onError = (err: unknown) => emit('error', err);
  const cache = options.cache ?? new MemoryCache();
  // The connection calls these only once started, by when `parts` below is complete.
  const conn = createConnection<AuthOk>(options, options.token, {
    onState: (s) => emit('state', s),
    onPush: (frame) => routePush(frame, parts, emit),
    onOnline: (session) => host.onOnline(session),
  });
  const sync = new SyncEngine(conn, cache, {
    message: (m) => emit('message', m),
    updated: (m) => emit('messageUpdated', m),
    hidden: (hidden, message) => emit('messageHidden', { hidden, message }),
    conversation: (c) => emit('conversation', c),
    error: (e) => emit('error', e),
  });
  const outbox = new Outbox(conn, cache);
  const rooms = new RoomsClient(conn, (event, value) => emit(event, value as ClientEvents[typeof event]), onError);
  const rpc = rpcOver(conn);
  const token = options.token;
  const uploader = new MediaUploader(options.httpUrl ?? httpBaseOf(options.url), async () => (typeof token === 'string' ? token : token()));
  const parts: ClientParts = {
    cache,
    conn,
    sync,
    outbox,
    rooms,
    rpc,
    uploader,
    media: new MediaApi(cache, outbox, uploader, (item) => emit('upload', item)),
    conversations: new ConversationsApi(rpc, cache, host.userId, host.on),
    groups: new GroupsApi(rpc),
    actions: new MessageActionsApi(rpc, sync),
    receipts: new ReceiptsApi(conn, rpc, (r) => emit('receipt', r), onError),
    settings: new SettingsApi(rpc),
    contacts: new ContactsApi(rpc),
    presence: new PresenceApi(conn, rpc, { typing: (e) => emit('typing', e), presence: (p) => emit('presence', p) }),
  };
  return parts;
}

/** Hands a pushed frame to the part it concerns. */
function routePush(frame: Push, parts: ClientParts, emit: Emit): void {
  switch (frame.type) {
    case 'message':
      return parts.sync.onPushMessage(frame.message);
    case 'conversation':
      return parts.sync.onPushConversation(frame.conversation);
    case 'resync':
      return void parts.sync.syncAll().catch((err: unknown) => emit('error', err));
    case 'receipt':
      return parts.receipts.onPush(frame.receipt);
    case 'contact':
      return emit('contact', frame.event);
    case 'message.hidden':
      return void parts.sync.onHidden(frame.hidden);
    case 'message.unhidden':
      return void parts.sync.onUnhidden(frame.unhidden);
    case 'typing':
      return parts.presence.onTypingPush(frame);
    case 'presence':
      return parts.presence.onPresencePush(frame.presence);
    case 'room':
    case 'room~':
    case 'room.left':
    case 'broadcast':
      return parts.rooms.onPush(frame);
  }
}
