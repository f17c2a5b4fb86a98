/**
 * Row shapes and row-to-object mappers shared by the SQL stores (SQLite and PostgreSQL use the
 * same column names), including the mappers from rows to the plain records the rules in rules/
 * decide on. No rule lives here.
 */
import { hiddenCopy, type Conversation, type GroupInvite, type GroupProfile, type MemberRole, type Message, type MessageType } from '@natter/protocol';
import { parseGroupProfile, parseLeftView } from './rules/groups.js';
import type { MemberRecord } from './rules/membership.js';
import { withActionState, type ActionTarget } from './rules/message-actions.js';
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
  disabled_at: number | null;
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
  /** JSON array text, or null when the message mentions nobody. */
  mentions: string | null;
  /** Message actions (rules/message-actions.ts); absent in rows read without them. */
  recalled_at?: number | null;
  edited_at?: number | null;
  /** JSON text of `Reaction[]`, or null for none. */
  reactions?: string | null;
}

/** The columns of a member row the rules read (a member's standing in the conversation). */
export interface MemberRow {
  role: MemberRole;
  state: 'active' | 'left';
  joined_seq: number;
  left_seq: number | null;
}

/** The columns of a member row a view shows besides its standing (booleans are 0/1 in SQLite). */
export interface MemberViewColumns {
  read_seq: number;
  read_index: number;
  mention_seq: number;
  pinned: number | boolean;
  muted: number | boolean;
  archived: number | boolean;
  /** Groups: muted until then (ms since the epoch); null when not muted. */
  muted_until: number | null;
  /** A left member's title and profile as of leaving (JSON text, rules/groups.ts); null otherwise. */
  left_view: string | null;
}

/** The preview entry's columns, joined by VIEW_PREVIEW_JOIN (all null when there is none). */
export interface PreviewColumns {
  p_id: string | null;
  p_seq: number | null;
  p_sender_id: string | null;
  p_type: string | null;
  p_body: string | null;
  p_reply_to: string | null;
  p_created_at: number | null;
  p_mentions: string | null;
  /** When the viewing user hid the preview entry (PREVIEW_HIDDEN_AT); null or absent: not hidden. */
  p_hidden_at?: number | null;
}

/** A member row joined with its conversation: one user's view, with its sync version `v`. */
export interface ViewRow extends MemberRow, MemberViewColumns, PreviewColumns {
  id: string;
  kind: 'direct' | 'group';
  title: string | null;
  last_seq: number;
  created_at: number;
  msg_count: number;
  all_mention_seq: number;
  v: number;
  /** Groups: the profile as JSON text (rules/groups.ts); null for the default. */
  group_profile: string | null;
  /** Whose view this is (PostgreSQL reads it to look up the preview's hide). */
  viewer_id?: string;
}

/** A view row without its preview's columns (PostgreSQL reads previews in a query of their own). */
export type BaseViewRow = Omit<ViewRow, keyof PreviewColumns>;

/** The member columns of a view (alias `m`), for both SQL stores. */
export const MEMBER_VIEW_COLUMNS = `m.role, m.state, m.joined_seq, m.left_seq, m.read_seq, m.read_index, m.mention_seq, m.pinned, m.muted, m.archived, m.muted_until, m.left_view`;

/** The columns of one user's view without its preview (aliases `c`, `m`), for both SQL stores. */
export const VIEW_BASE_COLUMNS = `c.id, c.kind, c.title, c.last_seq, c.created_at, c.msg_count, c.all_mention_seq, c.group_profile, ${MEMBER_VIEW_COLUMNS}`;

/** The preview's columns (alias `p`, joined by VIEW_PREVIEW_JOIN or on a seq of its own). */
export const PREVIEW_COLUMNS =
  `p.id AS p_id, p.seq AS p_seq, p.sender_id AS p_sender_id, p.type AS p_type, p.body AS p_body, p.reply_to AS p_reply_to, ` +
  `p.created_at AS p_created_at, p.mentions AS p_mentions`;

/**
 * The preview's `p_hidden_at` column: when the user `userSql` names hid the preview entry
 * (delete for me, rules/hidden.ts), or null. The same SQL for SQLite and PostgreSQL.
 */
export const previewHiddenAt = (userSql: string): string =>
  `(SELECT h.hidden_at FROM hidden_messages h WHERE h.user_id = ${userSql} AND h.message_id = p.id AND h.unhidden_at IS NULL) AS p_hidden_at`;

/** The SQL seq of the newest entry the member may see (rules/visibility.ts visibleLast). */
export const VISIBLE_LAST_SQL = `(CASE WHEN m.state = 'active' THEN c.last_seq ELSE m.left_seq END)`;

/** The columns of one user's view with its preview, the same SQL for SQLite and PostgreSQL. */
export const VIEW_SELECT = `${VIEW_BASE_COLUMNS}, ${PREVIEW_COLUMNS}`;

/** Joins the preview: the entry at the newest seq the member may see (rules/visibility.ts visibleLast). */
export const VIEW_PREVIEW_JOIN = `LEFT JOIN messages p ON p.conversation_id = c.id AND p.seq = ${VISIBLE_LAST_SQL}`;

export const toUser = (r: UserRow): UserRecord => ({
  id: r.id,
  username: r.username,
  passwordHash: r.password_hash,
  displayName: r.display_name,
  avatarUrl: r.avatar_url,
  createdAt: r.created_at,
  disabledAt: r.disabled_at ?? null,
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

export const toMessage = (r: MessageRow): Message => {
  const m: Message = {
    id: r.id,
    conversationId: r.conversation_id,
    seq: r.seq,
    senderId: r.sender_id,
    type: r.type as MessageType,
    body: JSON.parse(r.body) as unknown,
    clientMsgId: r.client_msg_id,
    replyTo: r.reply_to,
    createdAt: r.created_at,
  };
  if (r.mentions !== null && r.mentions !== undefined) m.mentions = JSON.parse(r.mentions) as string[];
  return withActionState(m, r.recalled_at, r.edited_at, r.reactions);
};

/** The preview entry of a view row, or null. */
export const toPreview = (r: PreviewColumns, conversationId: string): Message | null => {
  if (r.p_id === null) return null;
  const m = toMessage({
    conversation_id: conversationId,
    seq: r.p_seq!,
    id: r.p_id,
    sender_id: r.p_sender_id!,
    type: r.p_type!,
    body: r.p_body!,
    client_msg_id: null,
    reply_to: r.p_reply_to,
    created_at: r.p_created_at!,
    mentions: r.p_mentions,
  });
  // The user deleted it for themselves: the list shows that it is there, not what it said.
  return r.p_hidden_at === null || r.p_hidden_at === undefined ? m : hiddenCopy(m, Number(r.p_hidden_at));
};

/** The JSON text a send's mentions are stored as: null when it mentions nobody. */
export const mentionsText = (m: NewMessage): string | null => (m.mentions && m.mentions.length > 0 ? JSON.stringify(m.mentions) : null);

/** The stored form of a send, once it has its seq. */
export const storedMessage = (m: NewMessage, seq: number): Message => {
  const out: Message = {
    id: m.id,
    conversationId: m.conversationId,
    seq,
    senderId: m.senderId,
    type: m.type,
    body: JSON.parse(m.body) as unknown,
    clientMsgId: m.clientMsgId,
    replyTo: m.replyTo,
    createdAt: m.createdAt,
  };
  if (m.mentions && m.mentions.length > 0) out.mentions = [...m.mentions];
  return out;
};

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

export const toViewedMember = (r: MemberRow & MemberViewColumns): ViewedMember => ({
  role: r.role,
  state: r.state,
  joinedSeq: r.joined_seq,
  leftSeq: r.left_seq,
  readSeq: r.read_seq,
  readIndex: r.read_index,
  mentionSeq: r.mention_seq,
  pinned: Boolean(r.pinned),
  muted: Boolean(r.muted),
  archived: Boolean(r.archived),
  mutedUntil: r.muted_until === undefined || r.muted_until === null ? null : Number(r.muted_until),
  leftView: parseLeftView(r.left_view),
});

/** The group profile of a conversation row (undefined for direct conversations). */
export const toGroupProfile = (kind: 'direct' | 'group', text: string | null | undefined): GroupProfile | undefined =>
  kind === 'group' ? parseGroupProfile(text) : undefined;

/** The user's view of a conversation from their member row joined with it, and its preview. */
export const toView = (r: BaseViewRow, activeMembers: string[], preview: Message | null): Conversation =>
  buildView(
    {
      id: r.id,
      kind: r.kind,
      title: r.title,
      lastSeq: r.last_seq,
      createdAt: r.created_at,
      msgCount: r.msg_count,
      allMentionSeq: r.all_mention_seq,
      group: toGroupProfile(r.kind, r.group_profile),
    },
    toViewedMember(r),
    activeMembers,
    preview,
  );

/** A stored message as the message-action rules decide on it. */
export const toActionTarget = (r: MessageRow): ActionTarget => ({
  conversationId: r.conversation_id,
  seq: Number(r.seq),
  senderId: r.sender_id,
  type: r.type,
  body: r.body,
  createdAt: Number(r.created_at),
  recalledAt: r.recalled_at === null || r.recalled_at === undefined ? null : Number(r.recalled_at),
  reactions: r.reactions ?? null,
});

/** A group invite code's row (both SQL stores). */
export interface InviteRow {
  code: string;
  conversation_id: string;
  created_by: string;
  created_at: number;
  expires_at: number | null;
  max_uses: number | null;
  uses: number;
  revoked_at: number | null;
}

export const toInvite = (r: InviteRow): GroupInvite => ({
  code: r.code,
  conversationId: r.conversation_id,
  createdBy: r.created_by,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  maxUses: r.max_uses,
  uses: r.uses,
  revokedAt: r.revoked_at,
});
