/**
 * The MemoryStore's message actions (recall, edit, reactions), as ../rules/message-actions.ts
 * decides them: the target row is rewritten in place (a recall drops its body) and the action's
 * system entry is appended.
 */
import { decideMessageAction, parseReactions, type MessageAction } from '../rules/message-actions.js';
import type { MessageActionOutcome } from '../store.js';
import { appendSystem, requireNewEntryId } from './conversations.js';
import { entryOf, type MemoryEntryRow, type MemoryTables } from './tables.js';

export function applyMessageAction(t: MemoryTables, conversationId: string, action: MessageAction, entryId: string, now: number): MessageActionOutcome {
  const c = t.conversations.get(conversationId);
  const row = c ? t.messagesById.get(action.messageId) : undefined;
  const target = row?.conversationId === conversationId ? row : undefined;
  const member = target ? c!.members.get(action.by) : undefined;
  const d = decideMessageAction(
    target
      ? {
          conversationId,
          seq: target.seq,
          senderId: target.senderId,
          type: target.type,
          body: target.body,
          createdAt: target.createdAt,
          recalledAt: target.recalledAt ?? null,
          reactions: target.reactions ? JSON.stringify(target.reactions) : null,
        }
      : null,
    member ?? null,
    c?.kind ?? null,
    action,
    now,
  );
  if (d.kind === 'noop') return { kind: 'noop', message: entryOf(target!) };
  if (d.kind !== 'write') return d;
  requireNewEntryId(t, entryId);
  const m: MemoryEntryRow = target!;
  if (d.body !== null) m.body = d.body;
  if (d.clearMentions) delete m.mentions;
  if (d.recalledAt !== null) m.recalledAt = d.recalledAt;
  if (d.editedAt !== null) m.editedAt = d.editedAt;
  if (d.reactions !== undefined) {
    const r = parseReactions(d.reactions);
    if (r.length > 0) m.reactions = r;
    else delete m.reactions;
  }
  const entry = appendSystem(t, c!, entryId, action.by, d.system, now);
  return { kind: 'ok', entry: entryOf(entry), message: entryOf(m) };
}
