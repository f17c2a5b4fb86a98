/**
 * The envelope codec: the one place that turns domain events into what crosses the Bus and
 * what a transport writes, and reads them back. Frames are encoded once per event; a fan-out
 * shares one OutboundFrame among all its recipients.
 *
 * A conversation topic carries log entries with their routing metadata as fields before the
 * frame every member's devices get:
 *
 *   \x01E\0<seq>\0<senderId>\0<clientMsgId>\0<removedUserId>\0<frame>
 *
 * - seq: the entry's place in the log, so a process sees when an entry overtook another (ordering.ts);
 * - senderId / clientMsgId: the sender's devices alone get the clientMsgId (the sender's own
 *   idempotency key; a UUIDv7 also tells the time on the sender's device), put back into their copy;
 * - removedUserId: whose membership this entry ends, so routing stops at the entry for them.
 * Empty fields are absent values. `\x01R` asks the conversation's devices to resync.
 *
 * A raw control character never occurs in JSON text (JSON.stringify escapes them), so a payload
 * that does not start with \x01 was written by another version (the previous one started with
 * NUL or `{`): it becomes a resync, so a cluster being upgraded one process at a time delays such
 * entries instead of writing frames its clients cannot read.
 *
 * A user topic carries a UserEnvelope as JSON; one this version does not know asks for a re-check
 * of the user (recovery.ts), which reads the truth from the store.
 */
import { type ContactEvent, type Conversation, encodeFrame, type HiddenMessage, type Message, type Presence, type Receipt, type UnhiddenMessage } from '@natter/protocol';
import type { NewMessage } from '../../store/store.js';
import { outbound, type OutboundFrame } from '../connection.js';

const V = '\x01';
const SEP = '\0';
const ENTRY = `${V}E${SEP}`;
const RESYNC = `${V}R`;
/** `\x01X\0<exceptUserId>\0<frame>`: an ephemeral frame (typing) for the members' devices but the sender's. */
const EPHEMERAL = `${V}X${SEP}`;

/** A conversation log entry as delivery handles it on every process. */
export interface Entry {
  kind: 'entry';
  seq: number;
  /** What every member's devices get. */
  frame: OutboundFrame;
  /** The user whose devices get `frame` with `clientMsgId` put back; null: everyone gets `frame`. */
  senderId: string | null;
  clientMsgId: string | null;
  /** The user whose membership this entry ends (removal or leave); null for any other. */
  removedUserId: string | null;
}

/**
 * A frame for the conversation's devices that is not a log entry (typing): no seq, no ordering,
 * never stored; the devices of `exceptUserId` (its sender) do not get it.
 */
export interface EphemeralEnvelope {
  kind: 'ephemeral';
  exceptUserId: string;
  frame: OutboundFrame;
}

/** What a conversation topic carries: an entry, an ephemeral frame, or "resync". */
export type ConversationEnvelope = Entry | EphemeralEnvelope | { kind: 'resync' };

/** Events addressed to one user's devices on every process, carried on the user's topic. */
export type UserEnvelope =
  | { k: 'joined'; conversation: Conversation }
  | { k: 'left'; conversation: Conversation }
  /** The user's view changed (a role, a read cursor): their devices get it. */
  | { k: 'view'; conversation: Conversation }
  | { k: 'revoke'; deviceIds: string[] }
  /** The user deleted a message for themselves: every device of theirs drops its body. */
  | { k: 'hidden'; hidden: HiddenMessage }
  | { k: 'unhidden'; unhidden: UnhiddenMessage }
  /** A read or delivery receipt for the user's devices. */
  | { k: 'receipt'; receipt: Receipt }
  /** A change in the user's contacts: their devices get a `contact` frame. */
  | { k: 'contact'; event: ContactEvent }
  /** A user this one shares a direct conversation with came online or went offline. */
  | { k: 'presence'; presence: Presence }
  /** Events for the user may have been lost: re-check them against the store. */
  | { k: 'recheck' };

/** Tells a client that live pushes may have been missed and to sync. */
export const RESYNC_FRAME: OutboundFrame = outbound(encodeFrame({ type: 'resync' }));
export const RESYNC_ENVELOPE: ConversationEnvelope = { kind: 'resync' };
export const RESYNC_PAYLOAD = RESYNC;
export const RECHECK_PAYLOAD = JSON.stringify({ k: 'recheck' } satisfies UserEnvelope);

const str = JSON.stringify;

/**
 * The `message` frame of a send stored at `seq`, without its clientMsgId (see ownCopy). Fields
 * that are null are left out (clients read absent as null). The body is the stored JSON text,
 * spliced in rather than parsed only to be written out again.
 */
export function sentMessageFrame(m: NewMessage, seq: number): string {
  const replyTo = m.replyTo === null ? '' : `,"replyTo":${str(m.replyTo)}`;
  const mentions = m.mentions && m.mentions.length > 0 ? `,"mentions":${JSON.stringify(m.mentions)}` : '';
  return (
    `{"type":"message","message":{"id":${str(m.id)},"conversationId":${str(m.conversationId)},"seq":${seq},` +
    `"senderId":${str(m.senderId)},"type":${str(m.type)},"body":${m.body}${replyTo},"createdAt":${m.createdAt}${mentions}}}`
  );
}

/** The `message` frame of any log entry (a system entry above all), null fields left out. */
export function entryFrame(m: Message): string {
  const message: Partial<Message> = { id: m.id, conversationId: m.conversationId, seq: m.seq, senderId: m.senderId, type: m.type, body: m.body };
  if (m.replyTo !== null) message.replyTo = m.replyTo;
  message.createdAt = m.createdAt;
  if (m.clientMsgId !== null) message.clientMsgId = m.clientMsgId;
  return encodeFrame({ type: 'message', message: message as Message });
}

/**
 * The sender's copy of a frame made by sentMessageFrame: the clientMsgId goes last in the
 * message object, which that function ends with `}}`.
 */
export function ownCopy(frame: string, clientMsgId: string): string {
  return `${frame.slice(0, -2)},"clientMsgId":${str(clientMsgId)}}}`;
}

export function conversationFrame(conversation: Conversation): OutboundFrame {
  return outbound(encodeFrame({ type: 'conversation', conversation }));
}

export interface EntryFields {
  seq: number;
  frame: string;
  senderId?: string | null;
  clientMsgId?: string | null;
  removedUserId?: string | null;
}

/** The bus payload of a log entry. */
export function encodeEntry(e: EntryFields): string {
  const sender = e.senderId ?? '';
  const own = e.senderId ? (e.clientMsgId ?? '') : '';
  return `${ENTRY}${e.seq}${SEP}${sender}${SEP}${own}${SEP}${e.removedUserId ?? ''}${SEP}${e.frame}`;
}

/** The bus payload of an ephemeral frame for a conversation's devices but `exceptUserId`'s. */
export function encodeEphemeral(exceptUserId: string, frame: string): string {
  return `${EPHEMERAL}${exceptUserId}${SEP}${frame}`;
}

/** A conversation topic's payload; anything this version cannot read asks for a resync. */
export function decodeConversationEnvelope(payload: string): ConversationEnvelope {
  if (payload.startsWith(EPHEMERAL)) {
    const a = payload.indexOf(SEP, EPHEMERAL.length);
    // Unreadable, it is dropped: an ephemeral frame is worth no resync.
    if (a < 0) return { kind: 'ephemeral', exceptUserId: '', frame: outbound('') };
    return { kind: 'ephemeral', exceptUserId: payload.slice(EPHEMERAL.length, a), frame: outbound(payload.slice(a + 1)) };
  }
  if (!payload.startsWith(ENTRY)) return RESYNC_ENVELOPE;
  const a = payload.indexOf(SEP, ENTRY.length);
  const b = payload.indexOf(SEP, a + 1);
  const c = payload.indexOf(SEP, b + 1);
  const d = payload.indexOf(SEP, c + 1);
  if (a < 0 || b < 0 || c < 0 || d < 0) return RESYNC_ENVELOPE;
  const seq = Number(payload.slice(ENTRY.length, a));
  if (!Number.isSafeInteger(seq) || seq < 1) return RESYNC_ENVELOPE;
  const senderId = b > a + 1 ? payload.slice(a + 1, b) : null;
  return {
    kind: 'entry',
    seq,
    senderId,
    clientMsgId: senderId === null || c === b + 1 ? null : payload.slice(b + 1, c),
    removedUserId: d > c + 1 ? payload.slice(c + 1, d) : null,
    frame: outbound(payload.slice(d + 1)),
  };
}

export function encodeUserEnvelope(e: UserEnvelope): string {
  return JSON.stringify(e);
}

const USER_KINDS = new Set<string>(['joined', 'left', 'view', 'revoke', 'recheck', 'receipt', 'contact', 'presence', 'hidden', 'unhidden']);

/** A user topic's payload; null when this version cannot read it (the caller re-checks the user). */
export function decodeUserEnvelope(payload: string): UserEnvelope | null {
  try {
    const value = JSON.parse(payload) as { k?: unknown };
    return typeof value === 'object' && value !== null && typeof value.k === 'string' && USER_KINDS.has(value.k) ? (value as UserEnvelope) : null;
  } catch {
    return null;
  }
}
