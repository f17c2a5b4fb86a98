/**
 * PostgreSQL schema migrations, numbered; applied on start-up under an advisory lock so that
 * several processes starting at once apply each exactly once. Never edit a released one.
 */
import { PG_MEDIA_MIGRATION_SQL } from './media.js';
import { PG_SEARCH_MIGRATION_SQL } from './search.js';

export const migrations: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL,
  username_key TEXT NOT NULL UNIQUE,
  password_hash TEXT,
  display_name TEXT,
  avatar_url TEXT,
  created_at BIGINT NOT NULL
);

CREATE TABLE devices (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  name TEXT,
  refresh_hash TEXT NOT NULL,
  refresh_expires_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  revoked_at BIGINT
);
CREATE INDEX devices_user ON devices(user_id);

-- Sync versions. Taken last in every writing transaction and held to commit, so versions
-- are increasing in commit order across all processes.
CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
INSERT INTO counters VALUES ('version', 0);

CREATE TABLE conversations (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('direct', 'group')),
  title TEXT,
  direct_key TEXT UNIQUE,
  last_seq BIGINT NOT NULL,
  version BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE members (
  conversation_id TEXT NOT NULL REFERENCES conversations(id),
  user_id TEXT NOT NULL REFERENCES users(id),
  role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  state TEXT NOT NULL CHECK (state IN ('active', 'left')),
  joined_seq BIGINT NOT NULL,
  left_seq BIGINT,
  read_seq BIGINT NOT NULL DEFAULT 0,
  version BIGINT NOT NULL,
  PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX members_user ON members(user_id, state);

CREATE TABLE messages (
  conversation_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  id TEXT NOT NULL UNIQUE,
  sender_id TEXT NOT NULL,
  type TEXT NOT NULL,
  body TEXT NOT NULL,
  client_msg_id TEXT,
  reply_to TEXT,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (conversation_id, seq)
);
CREATE UNIQUE INDEX messages_client_id ON messages(sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL;

CREATE TABLE device_cursors (
  device_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  acked_seq BIGINT NOT NULL,
  PRIMARY KEY (device_id, conversation_id)
);
`,
  },
  {
    version: 2,
    name: 'login rate limits shared by all processes',
    // The table layout rate-limiter-flexible's RateLimiterPostgres expects.
    sql: `
CREATE TABLE login_limits (
  key VARCHAR(255) PRIMARY KEY,
  points INTEGER NOT NULL DEFAULT 0,
  expire BIGINT
);
`,
  },
  {
    version: 3,
    name: 'remember earlier refresh hashes for reuse detection',
    sql: `ALTER TABLE devices ADD COLUMN previous_refresh_hashes TEXT[] NOT NULL DEFAULT '{}';`,
  },
  {
    version: 4,
    name: 'idempotency keys indexed client id first',
    // As SQLite's migration 3: time-ordered client ids append at the index's right edge.
    sql: `
DROP INDEX IF EXISTS messages_client_id;
CREATE UNIQUE INDEX IF NOT EXISTS messages_client_key ON messages(client_msg_id, sender_id) WHERE client_msg_id IS NOT NULL;
`,
  },
  {
    version: 5,
    name: 'sync versions from transaction ids, no shared counter',
    // Versions become transaction-id stamps (see db.ts): the counter's values mean nothing next
    // to them, so every row goes to 0 (before any new token; tokens of the old form are answered
    // with a full resync). Dropping the counter makes a process of the previous version fail to
    // write rather than stamp rows a reader of this version could skip.
    sql: `
DROP TABLE counters;
UPDATE conversations SET version = 0 WHERE version <> 0;
UPDATE members SET version = 0 WHERE version <> 0;
`,
  },
  {
    version: 6,
    name: 'exact unread counts, mentions, per-user conversation flags',
    // As SQLite's migration 5 (docs/conversation-state.md): running counts of countable entries,
    // the count at each member's read cursor, mentions, and the per-user flags.
    sql: `
ALTER TABLE messages ADD COLUMN msg_index BIGINT NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN mentions TEXT;
ALTER TABLE conversations ADD COLUMN msg_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN all_mention_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN read_index BIGINT NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN mention_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN pinned BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE members ADD COLUMN muted BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE members ADD COLUMN archived BOOLEAN NOT NULL DEFAULT false;
UPDATE messages SET msg_index = t.idx FROM (
  SELECT conversation_id, seq, sum(CASE WHEN type <> 'system' THEN 1 ELSE 0 END) OVER (PARTITION BY conversation_id ORDER BY seq) AS idx FROM messages
) AS t WHERE messages.conversation_id = t.conversation_id AND messages.seq = t.seq AND t.idx <> 0;
UPDATE conversations SET msg_count = m.msg_index FROM messages m WHERE m.conversation_id = conversations.id AND m.seq = conversations.last_seq AND m.msg_index <> 0;
UPDATE members SET read_index = x.msg_index FROM messages x WHERE x.conversation_id = members.conversation_id AND x.seq = members.read_seq AND x.msg_index <> 0;
`,
  },
  {
    version: 7,
    name: 'user settings',
    // As SQLite's migration 6: one JSON object per user with the settings they changed.
    sql: `
CREATE TABLE user_settings (
  user_id TEXT PRIMARY KEY REFERENCES users(id),
  settings JSONB NOT NULL
);
`,
  },
  {
    version: 8,
    name: 'presence visibility per user (issue 21: typing and presence)',
    // A row only for users who changed it: no row means visible. Online state is never stored.
    sql: `
CREATE TABLE presence_settings (
  user_id TEXT PRIMARY KEY REFERENCES users(id),
  visible BOOLEAN NOT NULL
);
`,
  },
  {
    version: 9,
    name: 'finding people and contacts: display-name keys, friend requests, friendships, blocks',
    // As SQLite's migration 8. Prefix search runs on text_pattern_ops indexes (LIKE 'prefix%'
    // whatever the database's collation). Existing display names are folded with PostgreSQL's
    // own NFKC and lower(); names set from now on are folded by the server (rules/usernames.ts).
    sql: `
ALTER TABLE users ADD COLUMN display_key TEXT;
UPDATE users SET display_key = lower(normalize(display_name, NFKC)) WHERE display_name IS NOT NULL;
CREATE INDEX users_username_prefix ON users (username_key text_pattern_ops);
CREATE INDEX users_display_prefix ON users (display_key text_pattern_ops) WHERE display_key IS NOT NULL;
ALTER TABLE conversations ADD COLUMN closed BOOLEAN NOT NULL DEFAULT false;
CREATE TABLE friend_requests (
  from_id TEXT NOT NULL REFERENCES users(id),
  to_id TEXT NOT NULL REFERENCES users(id),
  created_at BIGINT NOT NULL,
  PRIMARY KEY (from_id, to_id)
);
CREATE INDEX friend_requests_to ON friend_requests(to_id, created_at);
CREATE TABLE friends (
  user_id TEXT NOT NULL REFERENCES users(id),
  friend_id TEXT NOT NULL REFERENCES users(id),
  since BIGINT NOT NULL,
  PRIMARY KEY (user_id, friend_id)
);
CREATE TABLE blocks (
  blocker_id TEXT NOT NULL REFERENCES users(id),
  blocked_id TEXT NOT NULL REFERENCES users(id),
  created_at BIGINT NOT NULL,
  PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX blocks_blocked ON blocks(blocked_id, blocker_id);
`,
  },
  {
    version: 10,
    name: 'group management: profile, mutes, invite codes',
    // As SQLite's migration 9: the profile is one JSON text (NULL: the default).
    sql: `
ALTER TABLE conversations ADD COLUMN group_profile TEXT;
ALTER TABLE members ADD COLUMN muted_until BIGINT;
ALTER TABLE members ADD COLUMN left_view TEXT;
CREATE TABLE group_invites (
  code TEXT PRIMARY KEY,
  conversation_id TEXT NOT NULL REFERENCES conversations(id),
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT,
  max_uses INTEGER,
  uses INTEGER NOT NULL DEFAULT 0,
  revoked_at BIGINT
);
CREATE INDEX group_invites_conversation ON group_invites(conversation_id, created_at);
`,
  },
  {
    version: 11,
    name: 'media: uploaded blobs and the messages that carry them',
    sql: PG_MEDIA_MIGRATION_SQL,
  },
  {
    version: 12,
    name: 'live rooms (metadata only) and broadcasts stored once, with one cursor row per user',
    // Viewers, viewer counts and recent room messages are ephemeral and never stored (rooms-store.ts).
    sql: `
CREATE TABLE rooms (
  id TEXT PRIMARY KEY,
  title TEXT,
  host_id TEXT NOT NULL,
  moderators TEXT NOT NULL,
  settings TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE broadcasts (
  seq BIGINT PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  title TEXT,
  body TEXT NOT NULL,
  important INTEGER NOT NULL,
  user_ids TEXT,
  created_at BIGINT NOT NULL
);
CREATE TABLE broadcast_users (
  user_id TEXT PRIMARY KEY,
  delivered_seq BIGINT NOT NULL,
  read_seq BIGINT NOT NULL,
  window_start BIGINT NOT NULL,
  window_count INTEGER NOT NULL,
  last_at BIGINT NOT NULL
);
`,
  },
  {
    version: 13,
    name: 'disabled accounts and registration invites',
    sql: `
ALTER TABLE users ADD COLUMN IF NOT EXISTS disabled_at BIGINT;
CREATE TABLE IF NOT EXISTS invites (
  code_hash TEXT PRIMARY KEY,
  created_at BIGINT NOT NULL,
  expires_at BIGINT,
  used_at BIGINT
);
`,
  },
  {
    version: 14,
    name: 'message actions: recalled and edited markers, reactions',
    sql: `
ALTER TABLE messages ADD COLUMN IF NOT EXISTS recalled_at BIGINT;
ALTER TABLE messages ADD COLUMN IF NOT EXISTS edited_at BIGINT;
ALTER TABLE messages ADD COLUMN IF NOT EXISTS reactions TEXT;
`,
  },
  {
    version: 15,
    name: 'message search: the searched text as an expression, trigram-indexed when pg_trgm is available',
    sql: PG_SEARCH_MIGRATION_SQL,
  },
  {
    version: 16,
    name: 'delete for me: one row per message a user hid, stamped with a sync version',
    sql: `
CREATE TABLE IF NOT EXISTS hidden_messages (
  user_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  hidden_at BIGINT NOT NULL,
  -- Set when the user restored it (message.unhide): the row stays, so sync can tell their devices.
  unhidden_at BIGINT,
  version BIGINT NOT NULL,
  PRIMARY KEY (user_id, message_id)
);
CREATE INDEX IF NOT EXISTS hidden_messages_by_version ON hidden_messages (user_id, version);
`,
  },
];
