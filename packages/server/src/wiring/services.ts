/**
 * The core services of one process over its Store, Bus and Ephemeral state, built from the
 * Config in dependency order: domain events and delivery first (everything else emits through
 * them), then rooms, accounts, messaging and the services around it, presence and media. Each is
 * given the hooks that report its failures to the log and the metrics.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SharedBus } from '../bus/shared-bus.js';
import type { Config } from '../config.js';
import { Accounts } from '../core/accounts.js';
import type { Clock } from '../core/clock.js';
import { Contacts } from '../core/contacts.js';
import { Delivery } from '../core/delivery/delivery.js';
import { DomainEvents } from '../core/events.js';
import { FairShare } from '../core/fair-share.js';
import { Groups } from '../core/groups.js';
import { MessageActions } from '../core/message-actions.js';
import { Messaging } from '../core/messaging.js';
import { PresenceService } from '../core/presence/presence.js';
import { Typing } from '../core/presence/typing.js';
import type { LoginLimiter, RegistrationLimiter } from '../core/rate-limit.js';
import { Receipts } from '../core/receipts.js';
import type { Broadcasts } from '../core/rooms/broadcasts.js';
import type { Rooms } from '../core/rooms/rooms.js';
import { MessageSearchService } from '../core/search.js';
import { Settings } from '../core/settings.js';
import { SyncTokens } from '../core/sync-token.js';
import { TokenService } from '../core/tokens.js';
import { prepareDataDir } from '../data-dir.js';
import type { Ephemeral } from '../ephemeral/ephemeral.js';
import { FlexibleLoginLimiter, FlexibleRegistrationLimiter } from '../limits/login-limiter.js';
import { FlexiblePeopleLimiter } from '../limits/people-limiter.js';
import { userBudgets } from '../limits/user-budget.js';
import type { Logger } from '../log.js';
import type { BlobStore } from '../media/blob-store.js';
import type { MediaService } from '../media/media-service.js';
import { openMedia } from '../media/open.js';
import type { Metrics } from '../metrics.js';
import { PostgresStore } from '../store/postgres/postgres-store.js';
import type { Store } from '../store/store.js';
import { startRooms } from './rooms.js';

/** The signing secret: from config, else created once and kept in DATA_DIR. */
export function loadJwtSecret(config: Config): string {
  if (config.JWT_SECRET) return config.JWT_SECRET;
  prepareDataDir(config.dataDir);
  const file = join(config.dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  return secret;
}

/** What the HTTP routes, the sessions and shutdown need of the core. */
export interface CoreServices {
  events: DomainEvents;
  delivery: Delivery;
  receipts: Receipts;
  settings: Settings;
  rooms: Rooms;
  broadcasts: Broadcasts;
  /** The rooms' own Ephemeral instance, closed after the rooms. */
  roomEphemeral: Ephemeral;
  accounts: Accounts;
  fairShare: FairShare;
  messaging: Messaging;
  contacts: Contacts;
  search: MessageSearchService;
  groups: Groups;
  messageActions: MessageActions;
  typing: Typing;
  presence: PresenceService;
  media: MediaService;
}

/** What the core is built on: the process's backends, clock, log and metrics. */
export interface ServiceBase {
  store: Store;
  bus: SharedBus;
  ephemeral: Ephemeral;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
}

/** The NatterDeps that replace a service's default part (tests pass their own limiters and blob store). */
export interface ServiceOverrides {
  limiter?: LoginLimiter;
  registrationLimiter?: RegistrationLimiter;
  blobStore?: BlobStore;
}

/** Builds and starts the core services (presence's ticks, broadcasts, the media collector). */
export async function startServices(config: Config, deps: ServiceOverrides, { store, bus, ephemeral, clock, logger, metrics }: ServiceBase): Promise<CoreServices> {
  const events = new DomainEvents();
  events.onError = (err, event) => logger.error({ err, event: event.type }, 'a domain event subscriber failed');
  const delivery = new Delivery(bus, store, clock);
  // Delivery to sockets is the first subscriber; webhooks, push and receipts come after it.
  events.subscribe((e) => delivery.publish(e));
  // Read and delivery receipts: derived from cursor moves, published through delivery.
  const receipts = new Receipts(store, events);
  events.subscribe((e) => receipts.handle(e));
  const settings = new Settings(store, events);
  let lastBusWarning = 0;
  delivery.onBusError = (err) => {
    metrics.busErrors.inc();
    // One line per few seconds is enough to tell an operator the bus is down.
    if (Date.now() - lastBusWarning > 5000) {
      lastBusWarning = Date.now();
      logger.warn({ err }, 'bus operation failed; live delivery degraded, clients will resync');
    }
  };
  const { rooms, broadcasts, roomEphemeral } = await startRooms(config, bus, store, clock, logger, metrics, delivery);
  const secret = loadJwtSecret(config);
  const tokens = new TokenService(secret, config.ACCESS_TOKEN_TTL_SECONDS);
  const limits = {
    account: config.LOGIN_ATTEMPTS_PER_ACCOUNT,
    ip: config.LOGIN_ATTEMPTS_PER_IP,
    delayBaseSeconds: config.LOGIN_DELAY_BASE_SECONDS,
    delayMaxSeconds: config.LOGIN_DELAY_MAX_SECONDS,
  };
  // In cluster mode the counters live in PostgreSQL, so every process sees every attempt.
  const pool = store instanceof PostgresStore ? store.pool : null;
  // Per-user budgets: in PostgreSQL when there is one, so a cluster counts together.
  const budget = userBudgets(pool);
  const limiter = deps.limiter ?? (pool ? FlexibleLoginLimiter.postgres(pool, limits) : FlexibleLoginLimiter.inMemory(limits));
  const registrations =
    deps.registrationLimiter ??
    (pool
      ? FlexibleRegistrationLimiter.postgres(pool, config.REGISTRATIONS_PER_IP_PER_HOUR)
      : FlexibleRegistrationLimiter.inMemory(config.REGISTRATIONS_PER_IP_PER_HOUR));
  const accounts = new Accounts(store, tokens, limiter, registrations, clock, { refreshTtlDays: config.REFRESH_TOKEN_TTL_DAYS }, async (userId, deviceIds) => {
    await events.emit({ type: 'device.revoked', userId, deviceIds });
  });
  const fairShare = new FairShare(clock, {
    userReads: { perSecond: config.USER_READS_PER_SECOND, burst: config.USER_READ_BURST },
    userWrites: { perSecond: config.USER_WRITES_PER_SECOND, burst: config.USER_WRITE_BURST },
    connectionReads: { perSecond: config.CONNECTION_READS_PER_SECOND, burst: config.CONNECTION_READ_BURST },
    connectionWrites: { perSecond: config.CONNECTION_WRITES_PER_SECOND, burst: config.CONNECTION_WRITE_BURST },
    // SQLite runs one request at a time on its thread: two reads keep it busy while a send waits
    // behind at most those two. PostgreSQL reads in parallel on the pool; half of it stays for writes.
    readConcurrency: config.STORE_READ_CONCURRENCY ?? (store instanceof PostgresStore ? Math.max(1, Math.floor(config.DATABASE_POOL_MAX / 2)) : 2),
  });
  const messaging = new Messaging(
    store,
    events,
    clock,
    {
      maxTextLength: config.MAX_TEXT_LENGTH,
      maxCustomBodyBytes: config.MAX_CUSTOM_BODY_BYTES,
      historyPageMaxBytes: config.HISTORY_PAGE_MAX_BYTES,
      retryResyncWindowMs: config.RETRY_RESYNC_WINDOW_SECONDS * 1000,
      syncTokens: new SyncTokens(secret),
      groupMaxMembers: config.GROUP_MAX_MEMBERS,
    },
    fairShare,
  );
  const peopleLimits = {
    searchesPerHour: config.USER_SEARCHES_PER_HOUR,
    lookupsPerHour: config.USER_LOOKUPS_PER_HOUR,
    friendRequestsPerDay: config.FRIEND_REQUESTS_PER_DAY,
  };
  const contacts = new Contacts(store, events, clock, new FlexiblePeopleLimiter(pool, peopleLimits), {
    discovery: config.USER_DISCOVERY,
    directMessages: config.DIRECT_MESSAGES,
    searchMinPrefix: config.USER_SEARCH_MIN_PREFIX,
    searchMinAccountAgeMs: config.USER_SEARCH_MIN_ACCOUNT_AGE_SECONDS * 1000,
  });
  messaging.relations = contacts;
  const perMinute = config.MESSAGE_SEARCHES_PER_MINUTE;
  const search = new MessageSearchService(store, budget('message_search', perMinute, 60, 'searches'));
  messaging.committer.onBatch = (n, queuedS, commitS) => {
    metrics.commitBatch.observe(n);
    metrics.commitQueue.observe(queuedS);
    metrics.commitDuration.observe(commitS);
  };
  const groups = new Groups(store, events, clock, { maxMembers: config.GROUP_MAX_MEMBERS }, budget('group_join', config.INVITE_JOIN_ATTEMPTS_PER_HOUR, 3600, 'invite codes tried'));
  const messageActions = new MessageActions(store, events, clock, {
    recallWindowMs: config.RECALL_WINDOW_SECONDS * 1000,
    maxTextLength: config.MAX_TEXT_LENGTH,
  }, {
    reactions: budget('reactions', config.REACTIONS_PER_MINUTE, 60, 'reactions'),
    hides: budget('message_hides', config.REACTIONS_PER_MINUTE, 60, 'messages deleted for you'),
  });
  messaging.cursors.hooks = { onError: (err) => logger.warn({ err }, 'delivery cursors not written; trying again') };
  const typing = new Typing(delivery, events, store, clock, {
    ttlMs: config.TYPING_TTL_MS,
    maxFrames: config.TYPING_MAX_FRAMES,
    windowMs: config.TYPING_WINDOW_MS,
  });
  let lastPresenceWarning = 0;
  const presence = new PresenceService(
    ephemeral,
    store,
    delivery,
    events,
    clock,
    { ttlMs: config.PRESENCE_TTL_MS, graceMs: config.PRESENCE_GRACE_MS, processId: randomBytes(8).toString('hex') },
    {
      onError(err, what) {
        // The Ephemeral backend down means one failure per user per tick: a line every few seconds.
        if (Date.now() - lastPresenceWarning < 5000) return;
        lastPresenceWarning = Date.now();
        logger.warn({ err }, `${what} failed; presence degraded`);
      },
    },
  );
  await presence.start();
  const media = await openMedia(config, store, clock, secret, deps.blobStore);
  messaging.media = media;
  messageActions.media = media;
  if (config.MEDIA_GC_INTERVAL_SECONDS > 0) {
    media.startCollector(config.MEDIA_GC_INTERVAL_SECONDS * 1000, (err) => logger.warn({ err }, 'media garbage collection failed; trying again later'));
  }
  return { events, delivery, receipts, settings, rooms, broadcasts, roomEphemeral, accounts, fairShare, messaging, contacts, search, groups, messageActions, typing, presence, media };
}
