/**
 * Message action rules (recall, edit, reactions), written once for every Store: who may do
 * what to which message, and what it writes — the message's new stored state and the system
 * entry that tells every device. Pure functions over plain records: a store loads the target
 * message and the actor's member row in its transaction, asks `decideMessageAction`, and writes
 * what it names (the target's columns, then the entry through its appendSystem).
 */
import { MESSAGE_ACTION_LIMITS, reactionsAfter, type ConversationKind, type Message, type Reaction, type SystemBody } from '@natter/protocol';
import type { MemberRecord } from './membership.js';

export type MessageAction =
  /** `windowMs`: how long after sending its sender may recall it (owners and admins: any time). */
  | { kind: 'recall'; by: string; messageId: string; windowMs: number }
  | { kind: 'edit'; by: string; messageId: string; text: string }
  | { kind: 'react'; by: string; messageId: string; emoji: string }
  | { kind: 'unreact'; by: string; messageId: string; emoji: string };

/** The stored state of the target message, as every store keeps it. */
export interface ActionTarget {
  conversationId: string;
  seq: number;
  senderId: string;
  type: string;
  /** JSON text. */
  body: string;
  createdAt: number;
  recalledAt: number | null;
  /** JSON text of `Reaction[]`, or null for none. */
  reactions: string | null;
}

/** The target's columns after the action. `body` and `mentions` null: unchanged. */
export interface ActionWrite {
  kind: 'write';
  /** New body JSON text, or null to keep it. */
  body: string | null;
  /** Clear the stored mentions (a recall). */
  clearMentions: boolean;
  recalledAt: number | null;
  editedAt: number | null;
  /** New reactions JSON text (null: none); `undefined`: unchanged. */
  reactions: string | null | undefined;
  /** The log entry's body; its sender is the actor. */
  system: SystemBody;
}

export type ActionDecision =
  | ActionWrite
  /** No such message, not one the actor may see, or an action the actor may not take (the same answer). */
  | { kind: 'not_found' }
  /** The sender's recall window has passed. */
  | { kind: 'window_passed' }
  /** Edit of a message that is not text; too many distinct emoji. */
  | { kind: 'invalid'; reason: string }
  /** Allowed but changes nothing (a second reaction with the same emoji, a recall of a recalled message). */
  | { kind: 'noop' };

export const parseReactions = (text: string | null | undefined): Reaction[] => (text ? (JSON.parse(text) as Reaction[]) : []);

/** The body of a recalled message: nothing of what it said. */
export const RECALLED_BODY = '{}';

/**
 * Decides one action. `actor`: the actor's member row in the target's conversation (null: none);
 * `kind`: the conversation's kind.
 */
export function decideMessageAction(
  target: ActionTarget | null,
  actor: MemberRecord | null,
  kind: ConversationKind | null,
  action: MessageAction,
  now: number,
): ActionDecision {
  if (!target || !actor || !kind || actor.state !== 'active' || target.seq < actor.joinedSeq || target.type === 'system') return { kind: 'not_found' };
  const mine = target.senderId === action.by;
  const manager = kind === 'group' && (actor.role === 'owner' || actor.role === 'admin');
  if (target.recalledAt !== null) return action.kind === 'recall' && (mine || manager) ? { kind: 'noop' } : { kind: 'not_found' };
  const base = { kind: 'write' as const, body: null, clearMentions: false, recalledAt: null, editedAt: null, reactions: undefined };
  switch (action.kind) {
    case 'recall': {
      if (!mine && !manager) return { kind: 'not_found' };
      if (mine && !manager && now - target.createdAt > action.windowMs) return { kind: 'window_passed' };
      return {
        ...base,
        body: RECALLED_BODY,
        clearMentions: true,
        recalledAt: now,
        reactions: null,
        system: { event: 'message.recalled', by: action.by, messageId: action.messageId },
      };
    }
    case 'edit': {
      if (!mine) return { kind: 'not_found' };
      if (target.type !== 'text') return { kind: 'invalid', reason: 'only text messages can be edited' };
      const old = JSON.parse(target.body) as Record<string, unknown>;
      if (old.text === action.text) return { kind: 'noop' };
      return {
        ...base,
        body: JSON.stringify({ ...old, text: action.text }),
        editedAt: now,
        system: { event: 'message.edited', by: action.by, messageId: action.messageId, text: action.text },
      };
    }
    case 'react':
    case 'unreact': {
      const reactions = reactionsAfter(parseReactions(target.reactions), action.kind, action.by, action.emoji, MESSAGE_ACTION_LIMITS.emojisPerMessage);
      if (reactions === 'noop') return { kind: 'noop' };
      if (reactions === 'full') return { kind: 'invalid', reason: `a message has at most ${MESSAGE_ACTION_LIMITS.emojisPerMessage} distinct emoji` };
      return {
        ...base,
        reactions: reactions.length === 0 ? null : JSON.stringify(reactions),
        system: { event: action.kind === 'react' ? 'reaction.added' : 'reaction.removed', by: action.by, messageId: action.messageId, emoji: action.emoji },
      };
    }
  }
}

/** Sets a message's action markers from its stored columns (rows.ts and the memory store). */
export function withActionState(m: Message, recalledAt: number | null | undefined, editedAt: number | null | undefined, reactions: string | null | undefined): Message {
  if (recalledAt !== null && recalledAt !== undefined) m.recalledAt = Number(recalledAt);
  if (editedAt !== null && editedAt !== undefined) m.editedAt = Number(editedAt);
  const r = parseReactions(reactions);
  if (r.length > 0) m.reactions = r;
  return m;
}
