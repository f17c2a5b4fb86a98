/**
 * The Store's message types: a send and its outcome, pages of the log, and the outcomes of
 * message actions and of delete for me. store.ts re-exports them.
 */
import type { HiddenMessage, Message, MessageType, UnhiddenMessage } from '@natter/protocol';

/** One send in a group-committed batch. The sender is the authenticated user. */
export interface NewMessage {
  id: string;
  conversationId: string;
  senderId: string;
  type: Exclude<MessageType, 'system'>;
  /** JSON text of the body, exactly as it will be stored and served. */
  body: string;
  clientMsgId: string;
  replyTo: string | null;
  createdAt: number;
  /**
   * Distinct user ids and/or "all" (protocol MENTION_ALL); each id must be an active member.
   * Absent or null: mentions nobody. Stored with the message; not part of what makes a retry.
   */
  mentions?: string[] | null;
}

export type AppendOutcome =
  /** Stored at `seq`: the message is the send as given, with that seq (see storedMessage). */
  | { kind: 'stored'; seq: number }
  /** The same clientMsgId was stored before with the same content: the original. */
  | { kind: 'duplicate'; message: Message }
  /** The clientMsgId was used before for different content. */
  | { kind: 'conflict' }
  /** The conversation does not exist or the sender is not an active member. */
  | { kind: 'not_found' }
  /** replyTo names no message of this conversation the sender can see. */
  | { kind: 'bad_reply' }
  /** `mentions` names a user who is not an active member of the conversation. */
  | { kind: 'bad_mention' }
  /** `mentions` has `"all"` and the sender is a plain member of the group (rules/groups.ts mayMentionAll). */
  | { kind: 'mention_all_forbidden' }
  /** The sender is muted in this group, by name or by a mute of everyone (rules/groups.ts). */
  | { kind: 'muted' }
  /** The group was dissolved: nobody sends any more. */
  | { kind: 'dissolved' };

/** Outcome of applyMessageAction. `message`: the target as it now is. */
export type MessageActionOutcome =
  | { kind: 'ok'; entry: Message; message: Message }
  | { kind: 'noop'; message: Message }
  | { kind: 'not_found' }
  | { kind: 'window_passed' }
  | { kind: 'invalid'; reason: string };

/**
 * Outcome of hideMessage. `message`: the target as the user now sees it (its hiddenCopy);
 * `changed`: false when they had hidden it already (nothing was written).
 */
export type HideOutcome = { kind: 'ok'; hidden: HiddenMessage; message: Message; changed: boolean } | { kind: 'not_found' };

/** Outcome of unhideMessage. `message`: the target as the user now sees it again; `changed`: false when it was not hidden. */
export type UnhideOutcome = { kind: 'ok'; unhidden: UnhiddenMessage; message: Message; changed: boolean } | { kind: 'not_found' };

export interface PageQuery {
  after?: number;
  before?: number;
  limit: number;
  /**
   * Stop adding entries once the page's encoded size passes this many bytes (at least one
   * entry is returned; `hasMore` then says true). A count alone let one request of 200 entries
   * of escaped text make a 4.6 MB answer.
   */
  maxBytes?: number;
}
