/**
 * One validated options object. Values come from environment variables, optionally from a
 * JSON config file named by NATTER_CONFIG (environment wins). A wrong value stops start-up
 * with a message naming the variable and what it expects. Defaults are documented in
 * docs/configuration.md.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { MEDIA_SETTINGS } from './media/config.js';
import { placeholderProblem, weaknessProblem } from './secrets.js';

// A blank string is a wrong value, not 0 (which z.coerce would make of it: PORT=" " meant a random port).
const int = (min: number, max: number) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? Number.NaN : v), z.coerce.number().int().min(min).max(max));
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')]);

/** Each key is the environment variable's name; the schema gives type, range and default. */
const schema = z.object({
  PORT: int(0, 65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^(sqlite:|postgres(ql)?:\/\/)/, 'expected sqlite:<path> or postgres://…')
    .optional(),
  /** PostgreSQL connections per process (cluster mode). */
  DATABASE_POOL_MAX: int(1, 1000).default(10),
  /** PostgreSQL schema for Natter's tables (created if missing); the server's default search_path when unset. */
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case letters, digits and _')
    .optional(),
  BUS_URL: z
    .string()
    .regex(/^(memory:|redis:\/\/|rediss:\/\/|nats:\/\/)/, 'expected memory:, redis://… or nats://…')
    .optional(),
  /**
   * Names the bus channels of this deployment (Redis `<prefix>:…`, NATS `<prefix>.…`), so that
   * two deployments can share one Redis or NATS without seeing each other's traffic.
   */
  BUS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -, at most 64')
    .default('natter'),
  /**
   * Ephemeral state (presence, typing): `memory:` (one process), `redis://…` or `nats://…` (NATS
   * with JetStream). Unset: the same server as BUS_URL when that is Redis or NATS (falling back to
   * memory, with a warning, if it cannot serve it, e.g. NATS without JetStream), memory otherwise.
   */
  EPHEMERAL_URL: z
    .string()
    .regex(/^(memory:|redis:\/\/|rediss:\/\/|nats:\/\/)/, 'expected memory:, redis://… or nats://…')
    .optional(),
  /** How long a process's presence entries live unrefreshed: a killed process's users go offline within 4/3 of it. */
  PRESENCE_TTL_MS: int(300, 600_000).default(30_000),
  /** A user whose last connection closed is shown offline only if no device is back within this long. */
  PRESENCE_GRACE_MS: int(1, 600_000).default(5_000),
  /** How long a `typing` start shows at the receivers unless repeated. */
  TYPING_TTL_MS: int(500, 60_000).default(6_000),
  /** Typing frames one user may send in one conversation per TYPING_WINDOW_MS (per process). */
  TYPING_MAX_FRAMES: int(1, 1000).default(5),
  TYPING_WINDOW_MS: int(100, 600_000).default(5_000),
  /** Comma-separated origins allowed to open WebSockets; `*` allows any. Empty: only non-browser clients and same-host origins. */
  ALLOWED_ORIGINS: z.string().default(''),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `auto`: readable lines when stdout is a terminal, JSON (one object a line) otherwise. */
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  /** Admin API key for app servers; admin routes are disabled when unset. At least 24 characters. */
  ADMIN_API_KEY: z.string().min(24, 'at least 24 characters').optional(),
  /** HS256 secret for access tokens; generated and kept in DATA_DIR when unset. */
  JWT_SECRET: z.string().min(32, 'at least 32 characters').optional(),
  ACCESS_TOKEN_TTL_SECONDS: int(30, 86_400).default(900),
  REFRESH_TOKEN_TTL_DAYS: int(1, 365).default(30),
  /**
   * Who may create an account: `open`, anyone through POST /v1/auth/register; `invite`, whoever has
   * an unused invite code (created with the admin API or `natter invite create`); `closed`, only
   * the admin API (apps that manage their own users, and any public host that is not a public service).
   */
  REGISTRATION: z.enum(['open', 'invite', 'closed']).default('open'),
  /** Deprecated: REGISTRATION_OPEN=false is REGISTRATION=closed. Still accepted, with a warning. */
  REGISTRATION_OPEN: bool.optional(),
  /** `normal` survives a killed process; `full` (fsync every commit) also survives power loss. */
  DURABILITY: z.enum(['normal', 'full']).default('normal'),
  MAX_FRAME_BYTES: int(1024, 16 * 1024 * 1024).default(64 * 1024),
  MAX_TEXT_LENGTH: int(1, 1_000_000).default(4000),
  MAX_CUSTOM_BODY_BYTES: int(16, 1024 * 1024).default(16 * 1024),
  /** Active members a group may have; adding or joining beyond it: `group_full` (docs/groups.md). */
  GROUP_MAX_MEMBERS: int(2, 1_000_000).default(2000),
  /** Message actions: how long after sending a sender may recall a message (owners and admins: any time). */
  RECALL_WINDOW_SECONDS: int(0, 366 * 24 * 3600).default(120),
  /** Message actions: reactions added or removed per user per minute. */
  REACTIONS_PER_MINUTE: int(1, 100_000).default(60),
  /** Invite codes one user may try per hour (a code that works gives its attempt back). */
  INVITE_JOIN_ATTEMPTS_PER_HOUR: int(1, 100_000).default(30),
  /** Bytes queued to one socket before it is closed as a slow consumer. */
  MAX_SEND_QUEUE_BYTES: int(16 * 1024, 256 * 1024 * 1024).default(4 * 1024 * 1024),
  AUTH_TIMEOUT_MS: int(100, 120_000).default(10_000),
  HEARTBEAT_INTERVAL_MS: int(100, 600_000).default(25_000),
  WRITE_COALESCE_MAX_MS: int(0, 100).default(20),
  /**
   * Fair share of the store (issue 18): token buckets per user (all their sockets and HTTP
   * requests together) and per WebSocket connection. Reads: history and sync pages,
   * conversation lookups; writes: sends, cursors, membership. Over budget: `rate_limited`.
   */
  USER_READS_PER_SECOND: int(1, 1_000_000).default(100),
  USER_READ_BURST: int(1, 1_000_000).default(400),
  CONNECTION_READS_PER_SECOND: int(1, 1_000_000).default(50),
  CONNECTION_READ_BURST: int(1, 1_000_000).default(200),
  USER_WRITES_PER_SECOND: int(1, 1_000_000).default(1000),
  USER_WRITE_BURST: int(1, 1_000_000).default(2000),
  CONNECTION_WRITES_PER_SECOND: int(1, 1_000_000).default(500),
  CONNECTION_WRITE_BURST: int(1, 1_000_000).default(1000),
  /** History and sync page reads in the store at once per process; default 2 on SQLite, half of DATABASE_POOL_MAX on PostgreSQL. */
  STORE_READ_CONCURRENCY: int(1, 1000).optional(),
  /** A history page stops once its encoded size passes this many bytes (at least one message is returned). */
  HISTORY_PAGE_MAX_BYTES: int(16 * 1024, 64 * 1024 * 1024).default(256 * 1024),
  /** A retried send resyncs the conversation's members only within this many seconds of the original. */
  RETRY_RESYNC_WINDOW_SECONDS: int(0, 3600).default(60),
  /**
   * Password attempts per account *from one address* per 15 minutes; once spent, that address
   * waits LOGIN_DELAY_BASE_SECONDS, doubling with each further round up to LOGIN_DELAY_MAX_SECONDS.
   * Other addresses (the owner's) are not affected.
   */
  LOGIN_ATTEMPTS_PER_ACCOUNT: int(1, 10_000).default(10),
  /** Password verifications per address per 15 minutes, across accounts. */
  LOGIN_ATTEMPTS_PER_IP: int(1, 100_000).default(100),
  LOGIN_DELAY_BASE_SECONDS: int(1, 86_400).default(60),
  LOGIN_DELAY_MAX_SECONDS: int(1, 86_400).default(3600),
  /** Registrations per address per hour (each costs a password hash). */
  REGISTRATIONS_PER_IP_PER_HOUR: int(1, 1_000_000).default(20),
  /** Who can be found by username lookup and search: everyone, contacts (search lists friends only), none (docs/contacts.md). */
  USER_DISCOVERY: z.enum(['everyone', 'contacts', 'none']).default('everyone'),
  /** Whether a direct conversation needs friendship: open (anyone not blocking) or contacts. */
  DIRECT_MESSAGES: z.enum(['open', 'contacts']).default('open'),
  /** Shortest user-search prefix, in characters after normalisation. */
  USER_SEARCH_MIN_PREFIX: int(3, 32).default(3),
  /** Accounts younger than this may look users up by exact username but not search by prefix. */
  USER_SEARCH_MIN_ACCOUNT_AGE_SECONDS: int(0, 30 * 86_400).default(3600),
  /** Prefix searches per user per hour. */
  USER_SEARCHES_PER_HOUR: int(1, 1_000_000).default(60),
  /** Message searches per user per minute (docs/search.md). */
  MESSAGE_SEARCHES_PER_MINUTE: int(1, 1_000_000).default(30),
  /** Exact username lookups per user per hour. */
  USER_LOOKUPS_PER_HOUR: int(1, 1_000_000).default(120),
  /** Friend requests sent per user per day. */
  FRIEND_REQUESTS_PER_DAY: int(1, 1_000_000).default(50),
  /** Longest time to receive one whole HTTP request, headers and body (a slow body is cut). */
  HTTP_REQUEST_TIMEOUT_MS: int(1000, 600_000).default(30_000),
  /** Longest time to receive an HTTP request's headers. At most HTTP_REQUEST_TIMEOUT_MS. */
  HTTP_HEADERS_TIMEOUT_MS: int(1000, 600_000).default(10_000),
  /** An HTTP connection with no bytes moving this long is closed (WebSockets have heartbeats instead). */
  HTTP_IDLE_TIMEOUT_MS: int(1000, 600_000).default(60_000),
  /** Open TCP connections (HTTP and WebSocket) per process; 0: no cap. Keep it below the file-descriptor limit. */
  MAX_CONNECTIONS: int(0, 10_000_000).default(20_000),
  /** WebSocket connections per authenticated user per process; 0: no cap. */
  WS_MAX_PER_USER: int(0, 1_000_000).default(50),
  /** WebSocket connections per client address per process; 0: no cap. */
  WS_MAX_PER_ADDRESS: int(0, 10_000_000).default(1000),
  /** Serve /metrics on a listener of its own (METRICS_HOST:METRICS_PORT) instead of the main port. */
  METRICS_PORT: int(0, 65535).optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** When set, /metrics answers only requests with `Authorization: Bearer <METRICS_TOKEN>`. */
  METRICS_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  /** Set behind a reverse proxy so X-Forwarded-For gives the client IP. */
  TRUST_PROXY: bool.default(false),
  SHUTDOWN_GRACE_MS: int(0, 120_000).default(10_000),
  /**
   * Worker processes sharing PORT (node:cluster), to use every core of one machine. More than 1
   * needs cluster mode (DATABASE_URL=postgres://… and a BUS_URL other than memory:).
   */
  WORKERS: int(1, 256).default(1),
  /**
   * The built web app to serve at `/` (packages/web/dist of this repository when unset); `off`
   * serves none (an API-only server).
   */
  WEB_DIR: z.string().min(1).optional(),
  /**
   * Live rooms (docs/rooms.md): defaults of a new room's settings (its host may change them), the
   * wire form of room frames, and the largest room message body. Room state shared between
   * processes (mutes, kicks, send windows, recent messages) lives in the Ephemeral store named by
   * BUS_URL (memory: for one process).
   */
  ROOM_TICK_MS: int(50, 2000).default(200),
  ROOM_RETENTION: int(0, 500).default(50),
  ROOM_BUDGET_PER_VIEWER: int(1, 1000).default(20),
  ROOM_SENDS_PER_SECOND: int(1, 100_000).default(200),
  ROOM_USER_SENDS_PER_10S: int(1, 1000).default(10),
  ROOM_ANONYMOUS: bool.default(false),
  ROOM_FRAME_ENCODING: z.enum(['json', 'compact']).default('json'),
  ROOM_MAX_BODY_BYTES: int(16, 64 * 1024).default(2048),
  /** Fatigue control for broadcasts that are not `important`, per user. */
  BROADCAST_MAX_PER_WINDOW: int(1, 10_000).default(3),
  BROADCAST_WINDOW_SECONDS: int(1, 30 * 86_400).default(86_400),
  BROADCAST_MIN_INTERVAL_SECONDS: int(0, 86_400).default(600),
  ...MEDIA_SETTINGS,
});

/** The settings' schema (names, types, ranges, defaults), for `natter serve --help`. */
export const configSchema = schema;

export type Config = z.infer<typeof schema> & {
  /** Absolute DATA_DIR. */
  dataDir: string;
  /** Parsed ALLOWED_ORIGINS: `'*'` or a list. */
  allowedOrigins: '*' | string[];
  /** Settings that work but are unsafe (weak secrets), for the server to log at start. */
  warnings: string[];
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Source = Record<string, string | number | boolean | undefined>;

/** Values never echoed in an error message (it goes to stderr and log collectors). */
const SECRETS = new Set(['ADMIN_API_KEY', 'JWT_SECRET', 'METRICS_TOKEN']);

/** Validates the given sources; throws ConfigError listing every wrong value. */
export function loadConfig(env: Source = process.env, overrides: Source = {}): Config {
  let file: Source = {};
  const path = env.NATTER_CONFIG;
  if (typeof path === 'string' && path !== '') {
    try {
      file = JSON.parse(readFileSync(path, 'utf8')) as Source;
    } catch (err) {
      throw new ConfigError(`NATTER_CONFIG: cannot read ${path} as JSON (${(err as Error).message})`);
    }
    if (typeof file !== 'object' || file === null || Array.isArray(file)) {
      throw new ConfigError(`NATTER_CONFIG: ${path} must hold a JSON object of settings`);
    }
    const unknown = Object.keys(file).filter((k) => !Object.hasOwn(schema.shape, k));
    if (unknown.length > 0) throw new ConfigError(`NATTER_CONFIG: ${path} has unknown settings: ${unknown.join(', ')}`);
  }
  const merged: Source = { ...file };
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') merged[key] = value;
  }
  Object.assign(merged, overrides);
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const key = String(i.path[0]);
      const value = merged[key];
      const got =
        SECRETS.has(key) && typeof value === 'string'
          ? `${value.length} characters`
          : JSON.stringify(typeof value === 'string' ? value.replace(/\/\/[^/@\s]*@/, '//***@') : value);
      return `  ${i.path.join('.')}: ${i.message} (got ${got})`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  // A message the limits allow must fit in one frame, or clients would be cut off (1009) and
  // retry it forever. JSON escaping can make a character take up to 6 bytes; ids and field
  // names of a send frame take under 512.
  const frameNeeded = Math.max(c.MAX_TEXT_LENGTH * 6, c.MAX_CUSTOM_BODY_BYTES) + 512;
  if (frameNeeded > c.MAX_FRAME_BYTES) {
    throw new ConfigError(
      `invalid configuration:\n  MAX_FRAME_BYTES: must be at least ${frameNeeded} to carry the largest message MAX_TEXT_LENGTH and MAX_CUSTOM_BODY_BYTES allow (got ${c.MAX_FRAME_BYTES})`,
    );
  }
  if (c.WORKERS > 1 && (!c.DATABASE_URL?.startsWith('postgres') || c.BUS_URL === undefined || c.BUS_URL.startsWith('memory:'))) {
    throw new ConfigError(
      `invalid configuration:\n  WORKERS: more than 1 worker needs DATABASE_URL=postgres://… and BUS_URL=redis://… or nats://… (got ${c.WORKERS})`,
    );
  }
  if (c.WORKERS > 1 && c.JWT_SECRET === undefined) {
    throw new ConfigError('invalid configuration:\n  JWT_SECRET: required when WORKERS > 1, so every worker accepts the same tokens');
  }
  if (c.HTTP_HEADERS_TIMEOUT_MS > c.HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError(
      `invalid configuration:\n  HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS (${c.HTTP_REQUEST_TIMEOUT_MS}) (got ${c.HTTP_HEADERS_TIMEOUT_MS})`,
    );
  }
  if (c.LOGIN_DELAY_BASE_SECONDS > c.LOGIN_DELAY_MAX_SECONDS) {
    throw new ConfigError(
      `invalid configuration:\n  LOGIN_DELAY_BASE_SECONDS: must not exceed LOGIN_DELAY_MAX_SECONDS (${c.LOGIN_DELAY_MAX_SECONDS}) (got ${c.LOGIN_DELAY_BASE_SECONDS})`,
    );
  }
  const warnings: string[] = [];
  const refused: string[] = [];
  for (const key of SECRETS) {
    const value = c[key as 'JWT_SECRET' | 'ADMIN_API_KEY' | 'METRICS_TOKEN'];
    if (value === undefined) continue;
    const placeholder = placeholderProblem(value);
    if (placeholder) refused.push(`  ${key}: ${placeholder}`);
    const weak = placeholder ? null : weaknessProblem(value);
    if (weak) warnings.push(`${key} ${weak}: anyone who guesses it ${key === 'JWT_SECRET' ? 'can sign tokens for any user' : 'gets its access'}; generate a random value (openssl rand -base64 48)`);
  }
  if (refused.length > 0) throw new ConfigError(`invalid configuration:\n${refused.join('\n')}`);
  if (c.REGISTRATION_OPEN !== undefined) {
    const implied = c.REGISTRATION_OPEN ? 'open' : 'closed';
    if (merged.REGISTRATION !== undefined && merged.REGISTRATION !== implied) {
      throw new ConfigError(
        `invalid configuration:\n  REGISTRATION_OPEN: deprecated, and says ${implied} where REGISTRATION says ${c.REGISTRATION}; remove REGISTRATION_OPEN`,
      );
    }
    c.REGISTRATION = implied;
    warnings.push(`REGISTRATION_OPEN is deprecated: set REGISTRATION=${implied} instead`);
  }
  const origins = c.ALLOWED_ORIGINS.trim();
  return {
    ...c,
    dataDir: resolve(c.DATA_DIR),
    allowedOrigins: origins === '*' ? '*' : origins.split(',').map((o) => o.trim()).filter(Boolean),
    warnings,
  };
}
