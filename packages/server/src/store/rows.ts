/**
 * Row shapes and row-to-object mappers shared by the SQL stores (SQLite and PostgreSQL use the
 * same column names), including the mappers from rows to the plain records the rules in rules/
 * decide on. No rule lives here.
 */
import type { Conversation, GroupProfile, MemberRole, Message, MessageType } from '@natter/protocol';
import { parseGroupProfile, parseLeftView } from './rules/groups.js';
import type { MemberRecord } from './rules/membership.js';
import type { RefreshRecord } from './rules/refresh.js';
import type { SendRecord } from './rules/sends.js';
import { buildView, type ViewedMember } from './rules/visibility.js';
import type { DeviceRecord, NewMessage, UserRecord } from './store.js';

export interface UserRow {
  id: string;
  username: string;
  password_hash: string | null;
  display_name: string | null;
  avatar_url: string | null;
  created_at: number;
}

export interface DeviceRow {
  id: string;
  user_id: string;
  name: string | null;
  refresh_hash: string;
  refresh_expires_at: number;
  created_at: number;
  last_seen_at: number;
  revoked_at: number | null;
}

export interface MessageRow {
  conversation_id: string;
  seq: number;
  id: string;
  sender_id: string;
  type: string;
  body: string;
  client_msg_id: string | null;
  reply_to: string | null;
  created_at: number;
}

/** The columns of a member row the rules read (a member's standing in the conversation). */
export interface MemberRow {
  role: MemberRole;
  state: 'active' | 'left';
  joined_seq: number;
  left_seq: number | null;
}

/** A member row joined with its conversation: one user's view, with its sync version `v`. */
export interface ViewRow extends MemberRow {
  id: string;
  kind: 'direct' | 'group';
  title: string | null;
  last_seq: number;
  created_at: number;
  read_seq: number;
  v: number;
  /** Groups: the profile as JSON text (rules/groups.ts); null for the default. */
  group_profile?: string | null;
  muted_until?: number | null;
  left_view?: string | null;
}

export const toUser = (r: UserRow): UserRecord => ({
  id: r.id,
  username: r.username,
  passwordHash: r.password_hash,
  displayName: r.display_name,
  avatarUrl: r.avatar_url,
  createdAt: r.created_at,
});

export const toDevice = (r: DeviceRow): DeviceRecord => ({
  id: r.id,
  userId: r.user_id,
  name: r.name,
  refreshHash: r.refresh_hash,
  refreshExpiresAt: r.refresh_expires_at,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
  revokedAt: r.revoked_at,
});

export const toMessage = (r: MessageRow): Message => ({
  id: r.id,
  conversationId: r.conversation_id,
  seq: r.seq,
  senderId: r.sender_id,
  type: r.type as MessageType,
  body: JSON.parse(r.body) as unknown,
  clientMsgId: r.client_msg_id,
  replyTo: r.reply_to,
  createdAt: r.created_at,
});

/** The stored form of a send, once it has its seq. */
export const storedMessage = (m: NewMessage, seq: number): Message => ({
  id: m.id,
  conversationId: m.conversationId,
  seq,
  senderId: m.senderId,
  type: m.type,
  body: JSON.parse(m.body) as unknown,
  clientMsgId: m.clientMsgId,
  replyTo: m.replyTo,
  createdAt: m.createdAt,
});

/** A stored message as the send rules compare it. */
export const toSendRecord = (r: MessageRow): SendRecord => ({ conversationId: r.conversation_id, type: r.type, body: r.body, replyTo: r.reply_to });

/** A device row's refresh state; `previous`: its earlier hashes, decoded by the store. */
export const toRefreshRecord = (r: DeviceRow, previous: readonly string[]): RefreshRecord => ({
  refreshHash: r.refresh_hash,
  refreshExpiresAt: r.refresh_expires_at,
  revokedAt: r.revoked_at,
  previousHashes: previous,
});

export const toMemberRecord = (userId: string, r: MemberRow): MemberRecord => ({
  userId,
  role: r.role,
  state: r.state,
  joinedSeq: r.joined_seq,
  leftSeq: r.left_seq,
});

export const toViewedMember = (r: MemberRow & { read_seq: number; muted_until?: number | null; left_view?: string | null }): ViewedMember => ({
  role: r.role,
  state: r.state,
  joinedSeq: r.joined_seq,
  leftSeq: r.left_seq,
  readSeq: r.read_seq,
  mutedUntil: r.muted_until === undefined || r.muted_until === null ? null : Number(r.muted_until),
  leftView: parseLeftView(r.left_view),
});

/** The group profile of a conversation row (undefined for direct conversations). */
export const toGroupProfile = (kind: 'direct' | 'group', text: string | null | undefined): GroupProfile | undefined =>
  kind === 'group' ? parseGroupProfile(text) : undefined;

/** The user's view of a conversation from their member row joined with it. */
export const toView = (r: ViewRow, activeMembers: string[]): Conversation =>
  buildView(
    { id: r.id, kind: r.kind, title: r.title, lastSeq: r.last_seq, createdAt: r.created_at, group: toGroupProfile(r.kind, r.group_profile) },
    toViewedMember(r),
    activeMembers,
  );
