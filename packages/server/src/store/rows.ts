/**
 * Row shapes and row-to-object mappers shared by the SQL stores (SQLite and PostgreSQL use the
 * same column names), and small rules both apply.
 */
import type { Conversation, MemberRole, Message, MessageType } from '@natter/protocol';
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

/** A member row joined with its conversation: one user's view, with its sync version `v`. */
export interface ViewRow {
  id: string;
  kind: 'direct' | 'group';
  title: string | null;
  last_seq: number;
  created_at: number;
  role: MemberRole;
  state: 'active' | 'left';
  joined_seq: number;
  left_seq: number | null;
  read_seq: number;
  v: number;
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

/** Whether a send repeats a stored one exactly (same clientMsgId): a retry, not a conflict. */
export const sameSend = (prior: MessageRow, m: NewMessage): boolean =>
  prior.conversation_id === m.conversationId && prior.type === m.type && prior.body === m.body && prior.reply_to === m.replyTo;

/** The user's view of a conversation from their member row. */
export function toView(r: ViewRow, members: string[]): Conversation {
  const active = r.state === 'active';
  return {
    id: r.id,
    kind: r.kind,
    title: r.title,
    lastSeq: active ? r.last_seq : (r.left_seq ?? r.joined_seq),
    createdAt: r.created_at,
    members: active ? members : [],
    membership: { role: r.role, state: r.state, joinedSeq: r.joined_seq, leftSeq: r.left_seq, readSeq: r.read_seq },
  };
}

/** Earlier refresh hashes kept per device: a replay of any of them is detected as reuse. */
export const REMEMBERED_REFRESH_HASHES = 20;

/** The one key of a pair's direct conversation, whichever of the two asks. */
export const directKey = (a: string, b: string) => (a < b ? `${a}:${b}` : `${b}:${a}`);
