/**
 * The Store's cursor and sync types: delivery and read cursors, the cursors behind receipts, and
 * a page of sync changes. store.ts re-exports them.
 */
import type { Conversation, ConversationKind, HiddenMessage, UnhiddenMessage } from '@natter/protocol';

export type CursorOutcome =
  | { kind: 'ok'; seq: number }
  /** Not a member (or no such conversation). */
  | { kind: 'not_found' }
  /** The seq is beyond what the user can see. */
  | { kind: 'invalid_position'; lastSeq: number }
  /** A read cursor in a conversation the user has left (markRead only). */
  | { kind: 'not_member' };

export interface SyncPage {
  conversations: Conversation[];
  /** The version to resume from. */
  version: number;
  hasMore: boolean;
  /** The user's total unread (rules/unread.ts totalUnread), read with the page. */
  totalUnread: number;
  /**
   * Messages the user hid (delete for me) whose hide is stamped within this page's version range
   * (the same bounds as its conversations), oldest first. Unbounded in count, but a user's hides
   * are rate-limited (core/message-actions.ts), so a long absence brings a few hundred at most.
   */
  hidden: HiddenMessage[];
  /** Messages the user restored (unhideMessage) within the same range; each message is in one list at most, as it now is. */
  unhidden: UnhiddenMessage[];
}

/** A device's delivery cursor in one conversation: "this device holds every entry up to seq". */
export interface DeliveryCursor {
  deviceId: string;
  conversationId: string;
  seq: number;
}

/** One active member's cursors, for receipts (see Store.receiptCursors). */
export interface MemberReceiptCursor {
  userId: string;
  joinedSeq: number;
  readSeq: number;
  /**
   * Direct conversations: the highest delivery cursor of any of the member's devices, as stored
   * (cursors acked lately may still be in a process's memory: core/cursors.ts). Groups: 0.
   */
  deliveredSeq: number;
  /** The member's `readReceipts` setting. */
  readReceipts: boolean;
}

/** A conversation's receipts state as one active member may see it, read in one transaction. */
export interface ReceiptCursors {
  kind: ConversationKind;
  /** The caller's window: they see entries joinedSeq..lastSeq. */
  joinedSeq: number;
  lastSeq: number;
  /** Every active member, the caller included, in user id order. */
  members: MemberReceiptCursor[];
  /** The entries asked for (by seq or id) that are in the caller's window, ascending by seq. */
  entries: { id: string; seq: number; senderId: string }[];
}
