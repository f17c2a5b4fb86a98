/**
 * Read receipts and delivery receipts: a subscriber of domain events (live pushes) and the
 * queries behind `receipts.get` and `receipts.readers`. Nothing is written per send or per ack:
 * receipts are derived from the cursors the core keeps anyway.
 *
 * - Read receipts, direct conversations: when a user's read cursor moves (`cursor.moved`, read),
 *   the other member's devices get a `receipt` push — unless either of the two turned
 *   `readReceipts` off (then neither is told the other's reads). After a reconnect, `receipts.get`
 *   answers the other member's read cursor from the store.
 * - Read receipts, groups: computed at query time from the active members' read cursors, O(members)
 *   per query and nothing per send or read: `receipts.get` counts the readers of given seqs,
 *   `receipts.readers` lists who read one message, a page at a time. No live push (a read in a
 *   200-member group would be 199 pushes); clients ask again when they show the messages.
 * - Delivery receipts, direct conversations: a device's ack moves its delivery cursor in memory
 *   (core/cursors.ts, written in batches); each forward move emits `cursor.moved` (delivered),
 *   and here the user's highest cursor this process knows is kept per direct conversation. When
 *   it moves, the other member's devices get a `receipt` push (over the Bus, on any process). So an
 *   ack costs no database write; the first ack in a conversation after a start costs one read of
 *   its kind and members (kept in a bounded map). `receipts.get` answers the highest of the stored
 *   cursors of the user's devices and what this process knows; a cursor acked on another process
 *   within its flush interval (a second) may not be stored yet, which the live push covered.
 *
 * Receipts never go backwards for a client that keeps the highest seq per user and kind (the
 * SDK does): a process that restarts may push a seq lower than one pushed before, never a wrong one.
 */
import { NatterError, type ClientFrameOf, type ReadersPage, type Receipt, type ReceiptsResult } from '@natter/protocol';
import type { ReceiptCursors, Store } from '../store/store.js';
import type { CursorMoved, DomainEvent, DomainEvents } from './events.js';

/** Direct conversations (and the kind of others) remembered per process, at most this many. */
export const RECEIPTS_CONVERSATIONS_KEPT = 50_000;

const DEFAULT_READERS_PAGE = 50;

/** A direct conversation: its two members and the highest delivery cursor known here of each (same order). */
interface Direct {
  members: [string, string];
  delivered: [number, number];
}

/** What is known here of a conversation: a direct one, or another kind (no delivery receipts). */
type Known = Direct | 'other';

const notFound = () => new NatterError('not_found', 'no such conversation');

export class Receipts {
  private readonly known = new Map<string, Known>();
  /** Lookups under way, so concurrent acks of one conversation read it once. */
  private readonly loading = new Map<string, Promise<Known | null>>();

  constructor(
    private readonly store: Store,
    private readonly events: DomainEvents,
    private readonly kept = RECEIPTS_CONVERSATIONS_KEPT,
  ) {}

  /** The domain-event subscriber. Never throws (DomainEvents reports what it would). */
  handle(event: DomainEvent): Promise<void> | void {
    switch (event.type) {
      case 'cursor.moved':
        return event.cursor === 'read' ? this.onRead(event) : this.onDelivered(event);
      case 'membership.changed':
        // A direct conversation's members never change: remember them from its creation.
        if (event.change === 'created' && event.joined.length === 2 && event.joined[0]!.conversation.kind === 'direct') {
          this.remember(event.conversationId, { members: [event.joined[0]!.userId, event.joined[1]!.userId], delivered: [0, 0] });
        }
        return;
      case 'message.stored':
      case 'message.retried':
      case 'message.acted':
      case 'message.hidden':
      case 'message.unhidden':
      case 'device.revoked':
      case 'receipt.updated':
      case 'settings.changed':
      case 'conversation.flags':
      case 'contact.changed':
      case 'presence.changed':
      case 'typing.changed':
        return;
    }
  }

  private async onRead(e: CursorMoved): Promise<void> {
    // Groups push nothing: the view the event carries tells the kind without a read (a group's
    // receipt state is O(members) to load, which a read must not cost).
    const kind = e.view?.kind ?? (this.known.get(e.conversationId) === 'other' ? 'group' : undefined);
    if (kind !== undefined && kind !== 'direct') return;
    const rc = await this.store.receiptCursors(e.conversationId, e.userId, {});
    if (!rc || rc.kind !== 'direct') return;
    const reader = rc.members.find((m) => m.userId === e.userId);
    const other = rc.members.find((m) => m.userId !== e.userId);
    if (!reader?.readReceipts || !other?.readReceipts) return;
    await this.push([other.userId], { conversationId: e.conversationId, kind: 'read', userId: e.userId, seq: e.seq });
  }

  private onDelivered(e: CursorMoved): Promise<void> | void {
    const k = this.known.get(e.conversationId);
    if (k === 'other') return;
    if (k) return this.delivered(k, e);
    return this.lookup(e.conversationId).then((d) => (d && d !== 'other' ? this.delivered(d, e) : undefined));
  }

  private delivered(d: Direct, e: CursorMoved): Promise<void> | void {
    const i = d.members.indexOf(e.userId);
    if (i < 0 || d.delivered[i]! >= e.seq) return;
    d.delivered[i] = e.seq;
    return this.push([d.members[1 - i]!], { conversationId: e.conversationId, kind: 'delivered', userId: e.userId, seq: e.seq });
  }

  private push(to: string[], receipt: Receipt): Promise<void> {
    return this.events.emit({ type: 'receipt.updated', to, receipt });
  }

  /** The conversation's kind and, if direct, members: from the store once, then from memory. */
  private lookup(conversationId: string): Promise<Known | null> {
    let p = this.loading.get(conversationId);
    if (p) return p;
    p = this.store
      .getConversationState(conversationId)
      .then((state): Known | null => {
        if (!state) return null;
        const k: Known = state.kind === 'direct' && state.members.length === 2 ? { members: [state.members[0]!.userId, state.members[1]!.userId], delivered: [0, 0] } : 'other';
        // One created meanwhile (membership.changed) wins: it may hold cursors already.
        return this.known.get(conversationId) ?? this.remember(conversationId, k);
      })
      .finally(() => this.loading.delete(conversationId));
    this.loading.set(conversationId, p);
    return p;
  }

  private remember(conversationId: string, k: Known): Known {
    if (!this.known.has(conversationId) && this.known.size >= this.kept) {
      // The oldest remembered goes (Map keeps insertion order).
      this.known.delete(this.known.keys().next().value!);
    }
    this.known.set(conversationId, k);
    return k;
  }

  // --- queries ------------------------------------------------------------------------------

  private async cursors(userId: string, conversationId: string, query: { seqs?: readonly number[]; messageId?: string }): Promise<ReceiptCursors> {
    const rc = await this.store.receiptCursors(conversationId, userId, query);
    // Never joined, left, or no such conversation: the same answer.
    if (!rc) throw notFound();
    return rc;
  }

  /** `receipts.get`: the other member's cursors (direct) and read-by counts of `seqs`. */
  async get(userId: string, conversationId: string, seqs: readonly number[] = []): Promise<ReceiptsResult> {
    const rc = await this.cursors(userId, conversationId, { seqs });
    for (const seq of seqs) {
      if (seq > rc.lastSeq) throw new NatterError('invalid_position', `seqs: at most ${rc.lastSeq}`);
      if (seq < rc.joinedSeq) throw new NatterError('invalid_position', `seqs: at least ${rc.joinedSeq}, where you joined`);
    }
    const me = rc.members.find((m) => m.userId === userId);
    const sees = me?.readReceipts ?? false;
    const result: ReceiptsResult = { conversationId, readReceipts: sees, read: [], delivered: [], counts: [] };
    if (rc.kind === 'direct') {
      const other = rc.members.find((m) => m.userId !== userId);
      if (other) {
        if (sees && other.readReceipts) result.read.push({ userId: other.userId, seq: other.readSeq });
        const k = this.known.get(conversationId);
        const here = k && k !== 'other' ? (k.delivered[k.members.indexOf(other.userId)] ?? 0) : 0;
        result.delivered.push({ userId: other.userId, seq: Math.max(other.deliveredSeq, here) });
      }
    }
    for (const e of rc.entries) result.counts.push({ seq: e.seq, readBy: sees ? readersOf(rc, e).length : 0 });
    return result;
  }

  /** `receipts.readers`: who has read one message (members other than its sender), paged by user id. */
  async readers(userId: string, f: Pick<ClientFrameOf<'receipts.readers'>, 'conversationId' | 'messageId' | 'after' | 'limit'>): Promise<ReadersPage> {
    const rc = await this.cursors(userId, f.conversationId, { messageId: f.messageId });
    const entry = rc.entries.find((e) => e.id === f.messageId);
    if (!entry) throw new NatterError('not_found', 'no such message');
    const sees = rc.members.find((m) => m.userId === userId)?.readReceipts ?? false;
    const all = sees ? readersOf(rc, entry) : [];
    const from = f.after === undefined ? all : all.filter((u) => u > f.after!);
    const limit = f.limit ?? DEFAULT_READERS_PAGE;
    const readers = from.slice(0, limit);
    return { messageId: entry.id, seq: entry.seq, readers, count: all.length, next: from.length > limit ? readers.at(-1)! : null };
  }
}

/** Members other than the entry's sender who may see it and have read it, sharing their reads; in user id order. */
function readersOf(rc: ReceiptCursors, e: { seq: number; senderId: string }): string[] {
  return rc.members.filter((m) => m.userId !== e.senderId && m.readReceipts && m.joinedSeq <= e.seq && m.readSeq >= e.seq).map((m) => m.userId);
}
