/**
 * The outbox: every send is kept (in the cache) with its clientMsgId until the server says
 * it is stored. It is retried with the same clientMsgId after timeouts and reconnects, so the
 * server's idempotency makes a retry never create a second message. Errors that retrying
 * cannot fix (not a member, invalid body) remove it and reject the caller's promise.
 */
import type { SendResult } from '@natter/protocol/wire';
import type { ClientCache, PendingSend } from './cache.js';
import type { Connection, NatterClientError } from './connection.js';

interface Waiter {
  resolve(r: SendResult): void;
  reject(e: NatterClientError): void;
}

export class Outbox {
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly sending = new Set<string>();
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private retryDelay = 500;

  constructor(
    private readonly conn: Connection,
    private readonly cache: ClientCache,
    private readonly onStored: (item: PendingSend, result: SendResult) => void = () => {},
  ) {}

  async send(item: PendingSend): Promise<SendResult> {
    await this.cache.putOutbox(item);
    const done = this.wait(item.clientMsgId);
    if (this.conn.current.status === 'online') this.transmit(item);
    return done;
  }

  /** Resolves when the item with this clientMsgId is stored (also for items from a previous run). */
  wait(clientMsgId: string): Promise<SendResult> {
    return new Promise((resolve, reject) => {
      const list = this.waiters.get(clientMsgId) ?? [];
      list.push({ resolve, reject });
      this.waiters.set(clientMsgId, list);
    });
  }

  /** Sends everything pending, oldest first (called when the connection comes online). */
  async flush(): Promise<void> {
    this.sending.clear();
    const items = (await this.cache.listOutbox()).sort((a, b) => a.createdAt - b.createdAt);
    for (const item of items) this.transmit(item);
  }

  async pending(): Promise<PendingSend[]> {
    return this.cache.listOutbox();
  }

  private transmit(item: PendingSend): void {
    // A media send waits for its upload (client.ts sends it again once the upload is done).
    if (item.upload && !item.upload.done) return;
    if (this.sending.has(item.clientMsgId)) return;
    this.sending.add(item.clientMsgId);
    const frame = {
      type: 'send' as const,
      conversationId: item.conversationId,
      clientMsgId: item.clientMsgId,
      msgType: item.msgType,
      body: item.body,
      ...(item.replyTo !== undefined && { replyTo: item.replyTo }),
      ...(item.mentions !== undefined && { mentions: item.mentions }),
    };
    this.conn.request(frame).then(
      async (result) => {
        this.sending.delete(item.clientMsgId);
        this.retryDelay = 500;
        await this.cache.removeOutbox(item.clientMsgId);
        this.onStored(item, result);
        this.settle(item.clientMsgId, (w) => w.resolve(result));
      },
      async (err: NatterClientError) => {
        this.sending.delete(item.clientMsgId);
        if (err.retryable) {
          // Disconnects are retried by flush() on the next online; other transient failures here.
          if (err.code !== 'disconnected') this.scheduleRetry();
          return;
        }
        await this.cache.removeOutbox(item.clientMsgId);
        this.settle(item.clientMsgId, (w) => w.reject(err));
      },
    );
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, 10_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.conn.current.status === 'online') void this.flush();
    }, delay);
  }

  private settle(clientMsgId: string, f: (w: Waiter) => void): void {
    const list = this.waiters.get(clientMsgId);
    this.waiters.delete(clientMsgId);
    for (const w of list ?? []) f(w);
  }

  dispose(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}
