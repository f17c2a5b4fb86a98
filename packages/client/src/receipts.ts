/**
 * The SDK's receipts state: per conversation, the highest read and delivery cursor it has been
 * told per user, from `receipt` pushes and `receipts.get` answers alike. Cursors only move
 * forward here, whatever order pushes and answers arrive in, so a receipt shown never goes
 * back. Pure bookkeeping: no I/O.
 */
import type { Receipt, ReceiptsResult } from '@natter/protocol/wire';

/** What the client knows of one conversation's receipts. */
export interface ConversationReceipts {
  /** user id → the seq they have read up to. */
  read: ReadonlyMap<string, number>;
  /** user id → the seq they have received up to, on at least one device (direct conversations). */
  delivered: ReadonlyMap<string, number>;
}

/** Conversations whose receipts are kept (the most recently touched; older ones are forgotten). */
const KEPT = 1000;

export class ReceiptBook {
  private readonly byConversation = new Map<string, { read: Map<string, number>; delivered: Map<string, number> }>();

  /** Applies a receipt; returns true when it moved a cursor forward (the caller then emits it). */
  apply(r: Receipt): boolean {
    const c = this.entry(r.conversationId);
    const map = r.kind === 'read' ? c.read : c.delivered;
    if ((map.get(r.userId) ?? 0) >= r.seq) return false;
    map.set(r.userId, r.seq);
    return true;
  }

  /** Applies a `receipts.get` answer; returns the receipts that moved a cursor forward. */
  applyResult(res: ReceiptsResult): Receipt[] {
    const moved: Receipt[] = [];
    for (const x of res.read) {
      const r: Receipt = { conversationId: res.conversationId, kind: 'read', userId: x.userId, seq: x.seq };
      if (this.apply(r)) moved.push(r);
    }
    for (const x of res.delivered) {
      const r: Receipt = { conversationId: res.conversationId, kind: 'delivered', userId: x.userId, seq: x.seq };
      if (this.apply(r)) moved.push(r);
    }
    return moved;
  }

  get(conversationId: string): ConversationReceipts {
    const c = this.byConversation.get(conversationId);
    return { read: new Map(c?.read), delivered: new Map(c?.delivered) };
  }

  /** Stops following a conversation (the user left it). */
  forget(conversationId: string): void {
    this.byConversation.delete(conversationId);
  }

  /** Conversations with receipts kept, most recently touched last. */
  conversations(): string[] {
    return [...this.byConversation.keys()];
  }

  private entry(conversationId: string) {
    let c = this.byConversation.get(conversationId);
    if (c) {
      // Most recently touched last.
      this.byConversation.delete(conversationId);
    } else {
      c = { read: new Map(), delivered: new Map() };
      if (this.byConversation.size >= KEPT) this.byConversation.delete(this.byConversation.keys().next().value!);
    }
    this.byConversation.set(conversationId, c);
    return c;
  }
}
