/**
 * The MemoryStore's data: plain Maps standing in for the SQL stores' tables, with the indexes
 * the Store's lookups need. Rows are records in the Store's own shapes (and the plain shapes the
 * shared rules in ../rules/ take); every method hands out fresh copies built from them, never a
 * row itself, so a caller changing a result never changes the store.
 */
import type { GroupInvite, GroupProfile, HiddenMessage, Message, UserSettings } from '@natter/protocol';
import { MemoryContactTables } from './contacts.js';
import type { LeftView } from '../rules/groups.js';
import type { MemberRecord } from '../rules/membership.js';
import type { DeviceRecord, UserRecord } from '../store.js';

export interface MemoryDeviceRow extends DeviceRecord {
  /** Earlier refresh hashes, newest first (REMEMBERED_REFRESH_HASHES at most). */
  previousHashes: string[];
}

/** A log entry as stored: the Message with its body as the JSON text it was sent as. */
export interface MemoryEntryRow extends Omit<Message, 'body'> {
  body: string;
}

/** A member row: what the membership rules read, and what a view and sync need besides. */
export interface MemoryMemberRow extends MemberRecord {
  readSeq: number;
  /** Countable entries up to readSeq (rules/unread.ts). */
  readIndex: number;
  /** The newest seq that mentions this member by id (0: none). */
  mentionSeq: number;
  pinned: boolean;
  muted: boolean;
  archived: boolean;
  /** Sync version of this member's own changes (join, leave, role, read cursor). */
  version: number;
  /** Groups: muted until then (rules/groups.ts); null when not muted. Absent is not muted. */
  mutedUntil?: number | null;
  /** A left member's title and profile as of leaving (rules/groups.ts). */
  leftView?: LeftView | null;
}

export interface MemoryConversationRow {
  id: string;
  kind: 'direct' | 'group';
  title: string | null;
  directKey: string | null;
  lastSeq: number;
  /** Sync version of the conversation's last change (a new entry). */
  version: number;
  createdBy: string;
  createdAt: number;
  /** A direct conversation closed by a block between its two members: sends are refused. */
  closed?: boolean;
  /** Groups: the profile (rules/groups.ts); absent for direct conversations. */
  group?: GroupProfile;
  /** Every member row ever, active or left, by user id. */
  members: Map<string, MemoryMemberRow>;
  /** The log: the entry at seq n is `log[n - 1]` (seqs are gap-free from 1). */
  log: MemoryEntryRow[];
  /** Countable entries up to and including the entry at seq n: `msgIndex[n - 1]` (rules/unread.ts). */
  msgIndex: number[];
  /** Countable entries in the log. */
  msgCount: number;
  /** The newest seq that mentions everyone (0: none). */
  allMentionSeq: number;
}

/**
 * A write the SQL stores' schema would refuse (a primary key or unique id used twice, a
 * reference to a user who does not exist). Like a constraint error from SQLite, it means a
 * caller's bug, and the method that throws it has changed nothing.
 */
export class MemoryConstraintError extends Error {
  override readonly name = 'MemoryConstraintError';
}

/** Every call after close() rejects with this (as a closed database connection would). */
export class MemoryStoreClosedError extends Error {
  override readonly name = 'MemoryStoreClosedError';
  constructor() {
    super('the memory store is closed');
  }
}

/** The Message a log entry is, as a fresh object (its body parsed anew). */
export const entryOf = (row: MemoryEntryRow): Message => {
  const m: Message = { ...row, body: JSON.parse(row.body) as unknown };
  if (row.reactions) m.reactions = row.reactions.map((r) => ({ ...r, userIds: [...r.userIds] }));
  if (row.mentions) m.mentions = [...row.mentions];
  return m;
};

/** The DeviceRecord of a device row, as a fresh object. */
export function deviceOf(row: MemoryDeviceRow): DeviceRecord {
  const { id, userId, name, createdAt, lastSeenAt, refreshHash, refreshExpiresAt, revokedAt } = row;
  return { id, userId, name, createdAt, lastSeenAt, refreshHash, refreshExpiresAt, revokedAt };
}

/** The idempotency key of a send: one stored message per (sender, clientMsgId). */
export const clientKey = (senderId: string, clientMsgId: string): string => `${senderId}\u0000${clientMsgId}`;

/** A device's delivery cursor key. */
export const cursorKey = (deviceId: string, conversationId: string): string => `${deviceId}\u0000${conversationId}`;

/**
 * All the data of one MemoryStore. Kept apart from the store object so that a test may "reopen"
 * a store on the same data (the contract's durability section) within one process.
 */
export class MemoryTables {
  /** The sync version counter: bumped once per conversation or member change. */
  version = 0;
  readonly users = new Map<string, UserRecord>();
  /** Lower-cased username to user id: usernames are unique case-insensitively. */
  readonly usernames = new Map<string, string>();
  readonly devices = new Map<string, MemoryDeviceRow>();
  readonly devicesByUser = new Map<string, Set<string>>();
  readonly conversations = new Map<string, MemoryConversationRow>();
  /** directKey(a, b) to the pair's conversation id. */
  readonly directs = new Map<string, string>();
  /** User id to the ids of every conversation they ever were a member of. */
  readonly memberships = new Map<string, Set<string>>();
  readonly messagesById = new Map<string, MemoryEntryRow>();
  /** clientKey(sender, clientMsgId) to the stored send. */
  readonly messagesByClientKey = new Map<string, MemoryEntryRow>();
  /** cursorKey(device, conversation) to the device's acked seq. */
  readonly cursors = new Map<string, number>();
  /** User id to the settings they changed (rules/settings.ts fills in the rest). */
  readonly settings = new Map<string, Partial<UserSettings>>();
  /** Friend requests, friendships and blocks (contacts.ts). */
  readonly contacts = new MemoryContactTables();
  /** Invite codes of groups, by code (memory/groups.ts). */
  readonly invites = new Map<string, GroupInvite>();
  /** User id to the messages they hid (delete for me), by message id, with the hide's sync version (hidden.ts). */
  readonly hidden = new Map<string, Map<string, HiddenMessage & { version: number; unhiddenAt?: number }>>();

  nextVersion(): number {
    return ++this.version;
  }

  /** Adds `value` to the set at `key` of an index map. */
  static index(map: Map<string, Set<string>>, key: string, value: string): void {
    let set = map.get(key);
    if (!set) map.set(key, (set = new Set()));
    set.add(value);
  }
}
