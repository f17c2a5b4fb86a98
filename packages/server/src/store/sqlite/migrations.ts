/**
 * SQLite schema migrations, numbered and applied in order on start-up inside one transaction
 * each. Never edit a released migration: add the next number.
 */
import { MEDIA_MIGRATION_SQL } from './media.js';
import { SEARCH_MIGRATION_SQL } from './search.js';
import { SEARCH_QUEUE_MIGRATION_SQL } from './search-indexer.js';

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
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE devices (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  name TEXT,
  refresh_hash TEXT NOT NULL,
  refresh_expires_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  revoked_at INTEGER
) STRICT;
CREATE INDEX devices_user ON devices(user_id);

-- One counter for sync versions; bumped once per conversation change.
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
INSERT INTO counters VALUES ('version', 0);

CREATE TABLE conversations (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('direct', 'group')),
  title TEXT,
  direct_key TEXT UNIQUE,
  last_seq INTEGER NOT NULL,
  version INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE members (
  conversation_id TEXT NOT NULL REFERENCES conversations(id),
  user_id TEXT NOT NULL REFERENCES users(id),
  role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  state TEXT NOT NULL CHECK (state IN ('active', 'left')),
  joined_seq INTEGER NOT NULL,
  left_seq INTEGER,
  read_seq INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX members_user ON members(user_id, state);

CREATE TABLE messages (
  conversation_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  id TEXT NOT NULL UNIQUE,
  sender_id TEXT NOT NULL,
  type TEXT NOT NULL,
  body TEXT NOT NULL,
  client_msg_id TEXT,
  reply_to TEXT,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, seq)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX messages_client_id ON messages(sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL;

CREATE TABLE device_cursors (
  device_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  acked_seq INTEGER NOT NULL,
  PRIMARY KEY (device_id, conversation_id)
) STRICT, WITHOUT ROWID;
`,
  },
  {
    version: 2,
    name: 'remember earlier refresh hashes for reuse detection',
    sql: `ALTER TABLE devices ADD COLUMN previous_refresh_hashes TEXT NOT NULL DEFAULT '[]';`,
  },
  {
    version: 3,
    name: 'idempotency keys indexed client id first',
    // The same uniqueness, keyed so that time-ordered client ids (the SDK's UUIDv7) land at the
    // index's right edge: a batch's keys share a page or two instead of dirtying a page per
    // sender (measured in bench/src/micro/append.ts: 15.4 → 9.9 KB written per message).
    sql: `
DROP INDEX IF EXISTS messages_client_id;
CREATE UNIQUE INDEX IF NOT EXISTS messages_client_key ON messages(client_msg_id, sender_id) WHERE client_msg_id IS NOT NULL;
`,
  },
  {
    version: 4,
    name: 'messages appended in arrival order, found by (conversation, seq) through an index',
    // Clustered on (conversation_id, seq), every message stored into another conversation than
    // the one before dirtied a full page of its own and split pages in the middle of the tree
    // (about 2.4 pages per message in the direct shape). A rowid table appends rows at its right
    // edge, where a batch's rows share pages; only the small (conversation_id, seq) index entry
    // lands in the conversation's part of the tree. Measured in bench/src/micro/append.ts
    // (alternating): 9.96 -> 6.28 KB written and about 20 % less CPU per stored message.
    // Upgrading copies the table once, inside the migration's transaction, in the old order so
    // that history stored before stays together on disk.
    sql: `
CREATE TABLE messages_by_arrival (
  conversation_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  id TEXT NOT NULL UNIQUE,
  sender_id TEXT NOT NULL,
  type TEXT NOT NULL,
  body TEXT NOT NULL,
  client_msg_id TEXT,
  reply_to TEXT,
  created_at INTEGER NOT NULL
) STRICT;
INSERT INTO messages_by_arrival (conversation_id, seq, id, sender_id, type, body, client_msg_id, reply_to, created_at)
  SELECT conversation_id, seq, id, sender_id, type, body, client_msg_id, reply_to, created_at FROM messages ORDER BY conversation_id, seq;
DROP TABLE messages;
ALTER TABLE messages_by_arrival RENAME TO messages;
CREATE UNIQUE INDEX messages_conversation_seq ON messages(conversation_id, seq);
CREATE UNIQUE INDEX messages_client_key ON messages(client_msg_id, sender_id) WHERE client_msg_id IS NOT NULL;
`,
  },
  {
    version: 5,
    name: 'exact unread counts, mentions, per-user conversation flags',
    // Read diffusion (docs/conversation-state.md): a running count of countable entries per
    // conversation and per entry, the count at each member's read cursor, mentions, and the
    // member's pinned / muted / archived flags. Existing rows are counted once here.
    sql: `
ALTER TABLE messages ADD COLUMN msg_index INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN mentions TEXT;
ALTER TABLE conversations ADD COLUMN msg_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN all_mention_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN read_index INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN mention_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN muted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;
UPDATE messages SET msg_index = t.idx FROM (
  SELECT rowid AS r, sum(CASE WHEN type <> 'system' THEN 1 ELSE 0 END) OVER (PARTITION BY conversation_id ORDER BY seq) AS idx FROM messages
) AS t WHERE messages.rowid = t.r;
UPDATE conversations SET msg_count = coalesce((SELECT msg_index FROM messages WHERE conversation_id = conversations.id AND seq = conversations.last_seq), 0);
UPDATE members SET read_index = coalesce((SELECT msg_index FROM messages WHERE conversation_id = members.conversation_id AND seq = members.read_seq), 0);
`,
  },
  {
    version: 6,
    name: 'user settings',
    // One JSON object per user with the settings they changed; defaults are filled in by
    // rules/settings.ts, so a new setting needs no migration. No row: every default.
    sql: `
CREATE TABLE user_settings (
  user_id TEXT PRIMARY KEY REFERENCES users(id),
  settings TEXT NOT NULL
) STRICT, WITHOUT ROWID;
`,
  },
  {
    version: 7,
    name: 'presence visibility per user (issue 21: typing and presence)',
    // A row only for users who changed it: no row means visible. Online state is never stored.
    sql: `
CREATE TABLE presence_settings (
  user_id TEXT PRIMARY KEY REFERENCES users(id),
  visible INTEGER NOT NULL CHECK (visible IN (0, 1))
) STRICT, WITHOUT ROWID;
`,
  },
  {
    version: 8,
    name: 'finding people and contacts: display-name keys, friend requests, friendships, blocks',
    // display_key is the display name folded like a username key (store/rules/usernames.ts), for
    // prefix search; natter_fold is that function, registered on the connection (sqlite-store.ts).
    // Username keys are not recomputed: every name earlier versions accepted was ASCII, whose key
    // (toLowerCase) the new rule leaves unchanged. `closed` marks a direct conversation with a
    // block between its members: sends into it are refused.
    sql: `
ALTER TABLE users ADD COLUMN display_key TEXT;
UPDATE users SET display_key = natter_fold(display_name) WHERE display_name IS NOT NULL;
CREATE INDEX users_display_key ON users(display_key) WHERE display_key IS NOT NULL;
ALTER TABLE conversations ADD COLUMN closed INTEGER NOT NULL DEFAULT 0;
CREATE TABLE friend_requests (
  from_id TEXT NOT NULL REFERENCES users(id),
  to_id TEXT NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (from_id, to_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX friend_requests_to ON friend_requests(to_id, created_at);
-- Two rows per friendship, one per direction, so each side lists its friends by its own id.
CREATE TABLE friends (
  user_id TEXT NOT NULL REFERENCES users(id),
  friend_id TEXT NOT NULL REFERENCES users(id),
  since INTEGER NOT NULL,
  PRIMARY KEY (user_id, friend_id)
) STRICT, WITHOUT ROWID;
CREATE TABLE blocks (
  blocker_id TEXT NOT NULL REFERENCES users(id),
  blocked_id TEXT NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (blocker_id, blocked_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX blocks_blocked ON blocks(blocked_id, blocker_id);
`,
  },
  {
    version: 9,
    name: 'group management: profile, mutes, invite codes',
    // The profile is one JSON text (rules/groups.ts; NULL: the default) read with the
    // conversation's row; a member's mute is read with their row on every send.
    sql: `
ALTER TABLE conversations ADD COLUMN group_profile TEXT;
ALTER TABLE members ADD COLUMN muted_until INTEGER;
-- A left member's title and profile as they were when they left (JSON; rules/groups.ts).
ALTER TABLE members ADD COLUMN left_view TEXT;
CREATE TABLE group_invites (
  code TEXT PRIMARY KEY,
  conversation_id TEXT NOT NULL REFERENCES conversations(id),
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  max_uses INTEGER,
  uses INTEGER NOT NULL DEFAULT 0,
  revoked_at INTEGER
) STRICT, WITHOUT ROWID;
CREATE INDEX group_invites_conversation ON group_invites(conversation_id, created_at);
`,
  },
  {
    version: 10,
    name: 'media: uploaded blobs and the messages that carry them',
    sql: MEDIA_MIGRATION_SQL,
  },
  {
    version: 11,
    name: 'live rooms (metadata only) and broadcasts stored once, with one cursor row per user',
    // Viewers, viewer counts and recent room messages are ephemeral and never stored (rooms-store.ts).
    sql: `
CREATE TABLE rooms (
  id TEXT PRIMARY KEY,
  title TEXT,
  host_id TEXT NOT NULL,
  moderators TEXT NOT NULL,
  settings TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE broadcasts (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  title TEXT,
  body TEXT NOT NULL,
  important INTEGER NOT NULL,
  user_ids TEXT,
  created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE broadcast_users (
  user_id TEXT PRIMARY KEY,
  delivered_seq INTEGER NOT NULL,
  read_seq INTEGER NOT NULL,
  window_start INTEGER NOT NULL,
  window_count INTEGER NOT NULL,
  last_at INTEGER NOT NULL
) STRICT;
`,
  },
  {
    version: 12,
    name: 'disabled accounts and registration invites',
    sql: `
ALTER TABLE users ADD COLUMN disabled_at INTEGER;
CREATE TABLE invites (
  code_hash TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  used_at INTEGER
) STRICT;
`,
  },
  {
    version: 13,
    name: 'message actions: recalled and edited markers, reactions',
    sql: `
ALTER TABLE messages ADD COLUMN recalled_at INTEGER;
ALTER TABLE messages ADD COLUMN edited_at INTEGER;
ALTER TABLE messages ADD COLUMN reactions TEXT;
`,
  },
  {
    version: 14,
    name: 'message search: an FTS5 trigram index of text and captions, kept by triggers',
    sql: SEARCH_MIGRATION_SQL,
  },
  {
    version: 15,
    name: 'delete for me: one row per message a user hid, stamped with a sync version',
    sql: `
CREATE TABLE hidden_messages (
  user_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  hidden_at INTEGER NOT NULL,
  -- Set when the user restored it (message.unhide): the row stays, so sync can tell their devices.
  unhidden_at INTEGER,
  version INTEGER NOT NULL,
  PRIMARY KEY (user_id, message_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX hidden_messages_by_version ON hidden_messages (user_id, version);
`,
  },
  {
    version: 16,
    name: 'message search: the index moves to its own file, kept by a thread; edits, recalls and deletes queued for it',
    // Issue 17: the send's transaction no longer indexes (search-indexer.ts). The new index is
    // built from the messages by its indexer on first start, in the background.
    sql: SEARCH_QUEUE_MIGRATION_SQL,
  },
];
