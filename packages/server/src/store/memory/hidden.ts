/**
 * The MemoryStore's delete for me (rules/hidden.ts decides): per user, the messages they hid,
 * each stamped with the sync version its hide took (the member row takes it too), so
 * changesSince can hand the hides of a version range to the user's other devices.
 */
import { hiddenCopy, type HiddenMessage, type UnhiddenMessage } from '@natter/protocol';
import { mayHide } from '../rules/hidden.js';
import type { HideOutcome, UnhideOutcome } from '../store.js';
import { entryOf, type MemoryTables } from './tables.js';

export function hideMessage(t: MemoryTables, userId: string, conversationId: string, messageId: string, now: number): HideOutcome {
  const row = t.messagesById.get(messageId);
  const c = t.conversations.get(conversationId);
  const m = c?.members.get(userId);
  if (!mayHide(row, conversationId, m, c?.lastSeq ?? 0)) return { kind: 'not_found' };
  let mine = t.hidden.get(userId);
  if (!mine) t.hidden.set(userId, (mine = new Map()));
  const prior = mine.get(messageId);
  const changed = !prior || prior.unhiddenAt !== undefined;
  if (changed) {
    const version = t.nextVersion();
    m!.version = version;
    mine.set(messageId, { conversationId, messageId, seq: row!.seq, hiddenAt: now, version });
  }
  const hiddenAt = changed ? now : prior.hiddenAt;
  return { kind: 'ok', hidden: { conversationId, messageId, seq: row!.seq, hiddenAt }, message: hiddenCopy(entryOf(row!), hiddenAt), changed };
}

export function unhideMessage(t: MemoryTables, userId: string, conversationId: string, messageId: string, now: number): UnhideOutcome {
  const row = t.messagesById.get(messageId);
  const c = t.conversations.get(conversationId);
  const m = c?.members.get(userId);
  if (!mayHide(row, conversationId, m, c?.lastSeq ?? 0)) return { kind: 'not_found' };
  const prior = t.hidden.get(userId)?.get(messageId);
  const changed = prior !== undefined && prior.unhiddenAt === undefined;
  if (changed) {
    const version = t.nextVersion();
    m!.version = version;
    prior.unhiddenAt = now;
    prior.version = version;
  }
  return { kind: 'ok', unhidden: { conversationId, messageId, seq: row!.seq }, message: entryOf(row!), changed };
}

/** The user's hides (message id -> hiddenAt), for masking pages (rules/hidden.ts maskPage). */
export function hiddenAtOf(t: MemoryTables, userId: string): ReadonlyMap<string, number> {
  const mine = t.hidden.get(userId);
  return new Map([...(mine?.values() ?? [])].filter((h) => h.unhiddenAt === undefined).map((h) => [h.messageId, h.hiddenAt]));
}

/** When the user hid this message, or undefined. */
export function hiddenAt(t: MemoryTables, userId: string, messageId: string): number | undefined {
  const h = t.hidden.get(userId)?.get(messageId);
  return h && h.unhiddenAt === undefined ? h.hiddenAt : undefined;
}

/** The user's hides and unhides stamped in (since, through], oldest first. */
export function hidesSince(t: MemoryTables, userId: string, since: number, through: number): { hidden: HiddenMessage[]; unhidden: UnhiddenMessage[] } {
  const hidden: HiddenMessage[] = [];
  const unhidden: UnhiddenMessage[] = [];
  const rows = [...(t.hidden.get(userId)?.values() ?? [])].filter((h) => h.version > since && h.version <= through).sort((a, b) => a.version - b.version);
  for (const { conversationId, messageId, seq, hiddenAt, unhiddenAt } of rows) {
    if (unhiddenAt === undefined) hidden.push({ conversationId, messageId, seq, hiddenAt });
    else unhidden.push({ conversationId, messageId, seq });
  }
  return { hidden, unhidden };
}
