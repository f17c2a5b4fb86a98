/**
 * The MemoryStore's receipts state and user settings (see Store.receiptCursors and
 * Store.getUserSettings). Synchronous, so each call is atomic.
 */
import type { UserSettings } from '@natter/protocol';
import { patchedSettings, settingsFrom } from '../rules/settings.js';
import type { MemberReceiptCursor, ReceiptCursors } from '../store.js';
import { cursorKey, type MemoryTables } from './tables.js';

export function receiptCursors(t: MemoryTables, conversationId: string, userId: string, query: { seqs?: readonly number[]; messageId?: string }): ReceiptCursors | null {
  const c = t.conversations.get(conversationId);
  const me = c?.members.get(userId);
  if (!c || !me || me.state !== 'active') return null;
  const members: MemberReceiptCursor[] = [];
  for (const m of c.members.values()) {
    if (m.state !== 'active') continue;
    let deliveredSeq = 0;
    if (c.kind === 'direct') {
      for (const deviceId of t.devicesByUser.get(m.userId) ?? []) deliveredSeq = Math.max(deliveredSeq, t.cursors.get(cursorKey(deviceId, c.id)) ?? 0);
    }
    members.push({ userId: m.userId, joinedSeq: m.joinedSeq, readSeq: m.readSeq, deliveredSeq, readReceipts: settingsFrom(t.settings.get(m.userId)).readReceipts });
  }
  members.sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
  const inWindow = (seq: number) => seq >= me.joinedSeq && seq <= c.lastSeq;
  const seqs = new Set((query.seqs ?? []).filter(inWindow));
  const byId = query.messageId === undefined ? undefined : t.messagesById.get(query.messageId);
  if (byId && byId.conversationId === c.id && inWindow(byId.seq)) seqs.add(byId.seq);
  const entries = [...seqs]
    .sort((a, b) => a - b)
    .map((seq) => c.log[seq - 1]!)
    .map((e) => ({ id: e.id, seq: e.seq, senderId: e.senderId }));
  return { kind: c.kind, joinedSeq: me.joinedSeq, lastSeq: c.lastSeq, members, entries };
}

export function getUserSettings(t: MemoryTables, userId: string): UserSettings {
  return settingsFrom(t.settings.get(userId));
}

export function updateUserSettings(t: MemoryTables, userId: string, patch: Partial<UserSettings>): UserSettings | null {
  if (!t.users.has(userId)) return null;
  const next = patchedSettings(t.settings.get(userId), patch);
  t.settings.set(userId, { ...next });
  return next;
}
