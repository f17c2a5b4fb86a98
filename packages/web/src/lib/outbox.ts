/**
 * Sends as the chat shows them before they are in the log: waiting in the SDK's outbox (which
 * survives a reload), stored but not yet received back, or refused with a reason to retry or
 * discard; and the upload progress of media sends.
 */
import { newClientMsgId } from '@natter/client';
import type { NatterClient, PendingSend, SendResult } from '@natter/client';
import type { MessageStore } from './message-store.js';

export interface FailedSend {
  item: PendingSend;
  code: string;
  message: string;
}

/** What kind of message a file becomes, by its MIME type. */
function msgTypeOf(type: string): 'image' | 'voice' | 'video' | 'file' {
  if (type.startsWith('image/')) return 'image';
  if (type.startsWith('audio/')) return 'voice';
  if (type.startsWith('video/')) return 'video';
  return 'file';
}

export class Outbox {
  private readonly pending = new Map<string, PendingSend>();
  private readonly failed = new Map<string, FailedSend>();
  /** Pending sends the server has stored whose log entry has not arrived yet. */
  private readonly stored = new Set<string>();
  /** Upload progress of media sends still in the outbox, by clientMsgId. */
  private readonly progress = new Map<string, { sent: number; total: number }>();

  constructor(
    private readonly client: NatterClient,
    private readonly store: MessageStore,
    private readonly changed: () => void,
  ) {}

  /** Sends typed before a reload are still in the SDK's outbox: show them, and learn how they end. */
  async restore(): Promise<void> {
    const c = this.client;
    for (const item of await c.pendingSends()) this.track(item, c.waitForSend(item.clientMsgId));
  }

  sendText(conversationId: string, text: string, replyTo?: string, mentions: string[] = []): void {
    this.client.stopTyping(conversationId).catch(() => undefined);
    const clientMsgId = newClientMsgId();
    const item: PendingSend = {
      clientMsgId,
      conversationId,
      msgType: 'text',
      body: { text },
      createdAt: Date.now(),
      ...(replyTo && { replyTo }),
    };
    this.track(
      item,
      this.client.sendText(conversationId, text, {
        clientMsgId,
        ...(replyTo && { replyTo }),
        ...(mentions.length > 0 && { mentions }),
      }),
    );
    this.changed();
  }

  /** Sends a picture, voice note, video or any other file; it shows at once with its upload's progress. */
  sendFile(conversationId: string, file: File): void {
    const type = file.type || 'application/octet-stream';
    const msgType = msgTypeOf(type);
    const clientMsgId = newClientMsgId();
    const item: PendingSend = {
      clientMsgId,
      conversationId,
      msgType,
      body: { name: file.name },
      createdAt: Date.now(),
    };
    this.progress.set(clientMsgId, { sent: 0, total: file.size });
    this.track(
      item,
      this.client.sendMedia(conversationId, msgType, { data: file, type, name: file.name }, { clientMsgId }),
    );
    this.changed();
  }

  private track(item: PendingSend, done: Promise<SendResult>): void {
    this.pending.set(item.clientMsgId, item);
    done.then(
      (result) => {
        // Stored. Its log entry may still be on its way: keep showing the bubble until it is in.
        const have = this.store.hasSeq(item.conversationId, result.seq);
        if (have || !this.pending.has(item.clientMsgId)) this.pending.delete(item.clientMsgId);
        else this.stored.add(item.clientMsgId);
        this.changed();
      },
      (err: { code?: string; message?: string }) => {
        this.pending.delete(item.clientMsgId);
        this.failed.set(item.clientMsgId, {
          item,
          code: err.code ?? 'error',
          message: err.message ?? String(err),
        });
        this.changed();
      },
    );
  }

  /** A send's log entry arrived: its bubble gives way to the message. */
  arrived(clientMsgId: string): void {
    this.pending.delete(clientMsgId);
    this.stored.delete(clientMsgId);
  }

  /** The SDK reported upload progress of a media send. */
  uploaded(clientMsgId: string, sent: number, total: number): void {
    this.progress.set(clientMsgId, { sent, total });
  }

  uploadProgress(clientMsgId: string): { sent: number; total: number } | null {
    return this.progress.get(clientMsgId) ?? null;
  }

  /** Whether a pending send is already stored (its entry not yet received). */
  isStored(clientMsgId: string): boolean {
    return this.stored.has(clientMsgId);
  }

  pendingIn(conversationId: string): PendingSend[] {
    return [...this.pending.values()]
      .filter((p) => p.conversationId === conversationId)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  failedIn(conversationId: string): FailedSend[] {
    return [...this.failed.values()].filter((f) => f.item.conversationId === conversationId);
  }

  /** Sends a refused message's text again as a new message (a new clientMsgId). */
  retry(clientMsgId: string): void {
    const f = this.failed.get(clientMsgId);
    if (!f) return;
    this.failed.delete(clientMsgId);
    const text = (f.item.body as { text?: string }).text ?? '';
    this.sendText(f.item.conversationId, text, f.item.replyTo);
  }

  discard(clientMsgId: string): void {
    this.failed.delete(clientMsgId);
    this.changed();
  }
}
