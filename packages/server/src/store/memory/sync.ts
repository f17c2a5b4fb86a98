/**
 * The MemoryStore's cursors and sync: delivery and read cursors that only move forward, within
 * what the member may see, and changesSince over the version each view last changed at.
 */
import type { Conversation, ConversationFlags } from '@natter/protocol';
import type { CursorOutcome, DeliveryCursor, SyncPage } from '../store.js';
import { totalUnread, unreadCount } from '../rules/unread.js';
import { cursorRefusal, readRefusal } from '../rules/visibility.js';
import { cursorKey, type MemoryTables } from './tables.js';
import { viewOf, viewVersion } from './views.js';
import { hidesSince } from './hidden.js';

export function ackDelivered(t: MemoryTables, deviceId: string, userId: string, conversationId: string, seq: number): CursorOutcome {
  const c = t.conversations.get(conversationId);
  const refusal = cursorRefusal(c?.members.get(userId), c?.lastSeq ?? 0, seq);
  if (refusal) return refusal;
  const key = cursorKey(deviceId, conversationId);
  const acked = Math.max(t.cursors.get(key) ?? seq, seq);
  t.cursors.set(key, acked);
  return { kind: 'ok', seq: acked };
}

export function ackDeliveredMany(t: MemoryTables, cursors: readonly DeliveryCursor[]): void {
  for (const c of cursors) {
    const key = cursorKey(c.deviceId, c.conversationId);
    t.cursors.set(key, Math.max(t.cursors.get(key) ?? c.seq, c.seq));
  }
}

export function markRead(t: MemoryTables, userId: string, conversationId: string, seq: number): CursorOutcome {
  const c = t.conversations.get(conversationId);
  const m = c?.members.get(userId);
  const refusal = readRefusal(m, c?.lastSeq ?? 0, seq);
  if (refusal) return refusal;
  if (seq <= m!.readSeq) return { kind: 'ok', seq: m!.readSeq };
  m!.readSeq = seq;
  m!.readIndex = seq === 0 ? 0 : c!.msgIndex[seq - 1]!;
  // A read cursor is part of the reader's view only: their row's version, not the conversation's.
  m!.version = t.nextVersion();
  return { kind: 'ok', seq };
}

/**
 * The user's views that changed after `sinceVersion`, oldest change first. A full page resumes
 * from its last view's version; the last page from the current version, so a caller that is up
 * to date does not ask again for changes it has seen.
 */
export function changesSince(t: MemoryTables, userId: string, sinceVersion: number, limit: number): SyncPage {
  const changed: { v: number; id: string }[] = [];
  for (const id of t.memberships.get(userId) ?? []) {
    const c = t.conversations.get(id)!;
    const v = viewVersion(c, c.members.get(userId)!);
    if (v > sinceVersion) changed.push({ v, id });
  }
  changed.sort((a, b) => a.v - b.v);
  const hasMore = changed.length > limit;
  const page = changed.slice(0, Math.max(0, limit));
  // (A page of none, limit 0, makes no progress rather than fail.)
  const version = Math.max(hasMore ? (page.at(-1)?.v ?? sinceVersion) : t.version, sinceVersion);
  return {
    // A hide stamps the member row with its version: its conversation is in this page exactly
    // when the hide is in (sinceVersion, version].
    ...hidesSince(t, userId, sinceVersion, version),
    conversations: page.map(({ id }) => {
      const c = t.conversations.get(id)!;
      return viewOf(c, c.members.get(userId)!, t);
    }),
    version,
    hasMore,
    totalUnread: totalUnread(
      [...(t.memberships.get(userId) ?? [])].map((id) => {
        const c = t.conversations.get(id)!;
        const m = c.members.get(userId)!;
        return { unread: unreadCount(c, m), muted: m.muted, active: m.state === 'active' };
      }),
    ),
  };
}

export function setConversationFlags(t: MemoryTables, userId: string, conversationId: string, flags: ConversationFlags): Conversation | null {
  const c = t.conversations.get(conversationId);
  const m = c?.members.get(userId);
  if (!c || !m) return null;
  if (flags.pinned !== undefined) m.pinned = flags.pinned;
  if (flags.muted !== undefined) m.muted = flags.muted;
  if (flags.archived !== undefined) m.archived = flags.archived;
  m.version = t.nextVersion();
  return viewOf(c, m, t);
}
