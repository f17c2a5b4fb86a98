/**
 * What the SDK tracks live and the views show beside the messages: who is online, who is typing
 * and how far the other person of a direct chat has received and read. The SDK holds the state
 * and pushes changes; this asks for it and reads it the way the views want it.
 */
import type { NatterClient } from '@natter/client';
import type { ConversationList } from './conversation-list.js';

export class LiveSignals {
  constructor(
    private readonly me: string,
    private readonly client: NatterClient,
    private readonly list: ConversationList,
    private readonly changed: () => void,
  ) {}

  /** Asks the presence of everyone we share a direct conversation with (pushes keep it fresh). */
  async refreshPresence(): Promise<void> {
    const peers = this.list.items.map((c) => this.list.peerOf(c)).filter((p): p is string => p !== null);
    if (peers.length === 0) return;
    try {
      await this.client.getPresence([...new Set(peers)]);
      this.changed();
    } catch {
      // Offline again: asked on the next sync.
    }
  }

  /** Online, last seen, or unknown (hidden, or not shared with us). */
  presenceOf(userId: string): { online: boolean; lastSeen: number | null } | null {
    const p = this.client.presenceOf(userId);
    return p ? { online: p.online, lastSeen: p.lastSeen } : null;
  }

  /** Who is typing in a conversation, other than us. */
  typistsIn(conversationId: string): string[] {
    return this.client.typists(conversationId).filter((id) => id !== this.me);
  }

  /** Tells the others we are typing (best effort). */
  typing(conversationId: string): void {
    this.client.typing(conversationId).catch(() => undefined);
  }

  /**
   * How far the other member of a direct conversation has got with our messages: read up to,
   * received (on at least one device) up to. Zeros in groups or when receipts are off.
   */
  receiptsOf(conversationId: string): { read: number; delivered: number } {
    const conv = this.list.find(conversationId);
    const peer = conv ? this.list.peerOf(conv) : null;
    if (!peer) return { read: 0, delivered: 0 };
    const r = this.client.receipts(conversationId);
    const read = r.read.get(peer) ?? 0;
    return { read, delivered: Math.max(read, r.delivered.get(peer) ?? 0) };
  }

  /** Asks the server for a conversation's receipts (best effort; the view re-renders on the answer). */
  fetchReceipts(conversationId: string): void {
    this.client.fetchReceipts(conversationId).then(
      () => this.changed(),
      () => undefined,
    );
  }
}
