/**
 * Receipts as NatterClient serves them: fetched on demand, applied to this client's ReceiptBook
 * (pushes too) and emitted only when a cursor moved; the conversations followed are asked again
 * after each reconnect, since receipts pushed meanwhile were missed. NatterClient exposes the
 * public methods, documented there.
 */
import type { ReadersPage, Receipt, ReceiptsResult } from '@natter/protocol/wire';
import { NatterClientError, type Connection } from './connection.js';
import { ReceiptBook, type ConversationReceipts } from './receipts.js';
import type { Rpc } from './rpc.js';

/** Conversations whose receipts are asked for again after a reconnect (the most recently touched). */
const REFRESHED_RECEIPTS = 50;

export class ReceiptsApi {
  private readonly book = new ReceiptBook();

  constructor(
    private readonly conn: Connection,
    private readonly rpc: Rpc,
    private readonly emitReceipt: (r: Receipt) => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** A pushed receipt: emitted only if it moved a cursor forward. */
  onPush(receipt: Receipt): void {
    if (this.book.apply(receipt)) this.emitReceipt(receipt);
  }

  async fetchReceipts(conversationId: string, seqs?: number[]): Promise<ReceiptsResult> {
    const res = await this.rpc((c) => c.request({ type: 'receipts.get', conversationId, ...(seqs && { seqs }) }));
    for (const r of this.book.applyResult(res)) this.emitReceipt(r);
    return res;
  }

  receipts(conversationId: string): ConversationReceipts {
    return this.book.get(conversationId);
  }

  readers(conversationId: string, messageId: string, options: { after?: string; limit?: number }): Promise<ReadersPage> {
    return this.rpc((c) => c.request({ type: 'receipts.readers', conversationId, messageId, ...options }));
  }

  /** After a reconnect: receipts of the conversations followed, newest first, a few at a time. */
  async refresh(): Promise<void> {
    const ids = this.book.conversations().reverse().slice(0, REFRESHED_RECEIPTS);
    for (const id of ids) {
      if (this.conn.current.status !== 'online') return;
      try {
        await this.fetchReceipts(id);
      } catch (err) {
        // Left (or never there): not followed any more. Offline again: the rest wait for the next reconnect.
        if (err instanceof NatterClientError && err.code === 'not_found') this.book.forget(id);
        else this.onError(err);
      }
    }
  }
}
