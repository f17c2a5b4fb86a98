/**
 * The sync engine: keeps the cache's copy of each conversation log gap-free and in order.
 * Work for one conversation is serialised, so live pushes, gap fills and catch-up never
 * interleave. Live entries that continue the log are applied at once; an entry beyond the
 * next expected seq triggers a fetch of the missing ones (gap fill); entries already held are
 * dropped, so each is shown once. On (re)connect `syncAll` pulls what changed since the
 * stored token, in bounded pages.
 */
import { ACK_DELAY_MS, applyMessageActionEntry, hiddenCopy, isMessageActionEntry, type Conversation, type HiddenMessage, type Message, type UnhiddenMessage } from '@natter/protocol/wire';
import type { ClientCache } from './cache.js';
import type { Connection } from './connection.js';

const PAGE = 200;

export interface SyncSink {
  message(m: Message): void;
  /** A held message changed: recalled, edited or reacted to (applied from its log entry). */
  updated?(m: Message): void;
  conversation(c: Conversation): void;
  /** This user deleted a held message for themselves (on this device or another): it is now a tombstone. */
  hidden?(h: HiddenMessage, m: Message): void;
  error(err: unknown): void;
}

export class SyncEngine {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly acks = new Map<string, number>();
  private ackTimer: ReturnType<typeof setTimeout> | null = null;
  private syncing: Promise<void> | null = null;
  private syncAgain: Promise<void> | null = null;

  constructor(
    private readonly conn: Connection,
    private readonly cache: ClientCache,
    private readonly sink: SyncSink,
    private readonly ackDelayMs = ACK_DELAY_MS,
  ) {}

  /** Runs `task` after everything already queued for this conversation. */
  private serial(conversationId: string, task: () => Promise<void>): Promise<void> {
    const prev = this.chains.get(conversationId) ?? Promise.resolve();
    const next = prev.then(task).catch((err: unknown) => this.sink.error(err));
    this.chains.set(conversationId, next);
    void next.then(() => {
      if (this.chains.get(conversationId) === next) this.chains.delete(conversationId);
    });
    return next;
  }

  /**
   * Pulls every change since the stored token. Throws if the connection drops midway. Called
   * while a sync is under way (a burst of `resync` pushes after a bus outage), it runs one more
   * once that one ends — what prompted the call may have been missed by it — and that one run
   * serves every call made meanwhile.
   */
  syncAll(): Promise<void> {
    if (!this.syncing) {
      this.syncing = this.pullChanges().finally(() => (this.syncing = null));
      return this.syncing;
    }
    this.syncAgain ??= this.syncing
      .catch(() => {})
      .then(() => {
        this.syncAgain = null;
        return this.syncAll();
      });
    return this.syncAgain;
  }

  private async pullChanges(): Promise<void> {
    let token = await this.cache.getSyncToken();
    for (;;) {
      const page = await this.conn.request({ type: 'sync', since: token, limit: 100 });
      const failures: unknown[] = [];
      await Promise.all(
        page.conversations.map((c) =>
          this.serial(c.id, async () => {
            try {
              await this.applyConversation(c);
            } catch (err) {
              failures.push(err);
            }
          }),
        ),
      );
      // Messages deleted for me on another device while this one was away: after the
      // conversations, so entries fetched just now are covered too.
      const byConversation = new Map<string, { hidden: HiddenMessage[]; unhidden: UnhiddenMessage[] }>();
      const of = (id: string) => byConversation.get(id) ?? byConversation.set(id, { hidden: [], unhidden: [] }).get(id)!;
      for (const h of page.hidden ?? []) of(h.conversationId).hidden.push(h);
      for (const u of page.unhidden ?? []) of(u.conversationId).unhidden.push(u);
      await Promise.all(
        [...byConversation].map(([id, x]) =>
          this.serial(id, async () => {
            try {
              if (x.hidden.length > 0) await this.applyHidden(id, x.hidden);
              if (x.unhidden.length > 0) await this.applyUnhidden(id, x.unhidden);
            } catch (err) {
              failures.push(err);
            }
          }),
        ),
      );
      // The token moves only once the page's conversations are caught up, so an interrupted
      // sync is simply repeated.
      if (failures.length > 0) throw failures[0];
      token = page.token;
      await this.cache.setSyncToken(token);
      if (!page.hasMore) return;
    }
  }

  onPushConversation(c: Conversation): void {
    void this.serial(c.id, () => this.applyConversation(c));
  }

  /** The `message.hidden` push, or this device's own hide: the message becomes a tombstone here. */
  onHidden(h: HiddenMessage): Promise<void> {
    return this.serial(h.conversationId, () => this.applyHidden(h.conversationId, [h]));
  }

  /** The `message.unhidden` push, or this device's own unhide (`known`: the message as answered). */
  onUnhidden(u: UnhiddenMessage, known?: Message): Promise<void> {
    return this.serial(u.conversationId, () => this.applyUnhidden(u.conversationId, [u], known));
  }

  onPushMessage(m: Message): void {
    void this.serial(m.conversationId, async () => {
      let conv = await this.cache.getConversation(m.conversationId);
      if (!conv) {
        conv = await this.conn.request({ type: 'conversation.get', conversationId: m.conversationId });
        await this.putConversation(conv);
      }
      const last = await this.cache.getLastSeq(m.conversationId);
      if (m.seq <= last) return; // already shown
      if (m.seq === last + 1) await this.apply(conv, [m]);
      else await this.catchUp(conv, m.seq);
    });
  }

  /** Waits until all queued per-conversation work is done. */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  private async putConversation(c: Conversation): Promise<void> {
    await this.cache.putConversation(c);
    this.sink.conversation(c);
  }

  private async applyConversation(c: Conversation): Promise<void> {
    await this.putConversation(c);
    // Fetch to the end, not just to c.lastSeq: entries committed since the view was taken may
    // have been published before this device's server subscribed to the conversation.
    await this.catchUp(c, c.membership.state === 'active' ? Number.MAX_SAFE_INTEGER : c.lastSeq);
  }

  /** Fetches entries after the cached last seq up to `target`, in pages. */
  private async catchUp(c: Conversation, target: number): Promise<void> {
    let last = await this.cache.getLastSeq(c.id);
    while (last < target) {
      const page = await this.conn.request({ type: 'messages', conversationId: c.id, after: last, limit: PAGE });
      if (page.messages.length === 0) return;
      await this.apply(c, page.messages);
      const now = await this.cache.getLastSeq(c.id);
      if (now === last) return;
      last = now;
      if (!page.hasMore) return;
    }
  }

  /** Appends the entries that continue the log; skips ones already held. */
  private async apply(c: Conversation, messages: Message[]): Promise<void> {
    let last = await this.cache.getLastSeq(c.id);
    const leftSeq = c.membership.state === 'left' ? c.membership.leftSeq : null;
    const fresh: Message[] = [];
    for (const m of messages) {
      if (m.seq <= last) continue;
      if (m.seq !== last + 1) break;
      if (leftSeq !== null && m.seq > leftSeq) break;
      fresh.push(m);
      last = m.seq;
    }
    if (fresh.length === 0) return;
    await this.cache.appendMessages(c.id, fresh);
    for (const m of fresh) this.sink.message(m);
    await this.applyActions(c.id, fresh);
    this.scheduleAck(c.id, last);
    // Message actions change a message, not the conversation: no refresh for them.
    if (fresh.some((m) => m.type === 'system' && !isMessageActionEntry(m.body))) {
      // Membership changed: refresh our view of the conversation (members, roles, state).
      try {
        const updated = await this.conn.request({ type: 'conversation.get', conversationId: c.id });
        await this.putConversation(updated);
      } catch {
        // offline: the next sync brings it
      }
    }
  }

  /**
   * Applies message-action entries (recall, edit, reactions) to the messages they name that the
   * cache holds, in log order. Messages fetched later come with the server's current state, so
   * every device ends the same whichever way it caught up.
   */
  private async applyActions(conversationId: string, entries: Message[]): Promise<void> {
    const actions = entries.filter((m) => m.type === 'system' && isMessageActionEntry(m.body));
    if (actions.length === 0) return;
    const held = new Map((await this.cache.getMessages(conversationId)).map((m) => [m.id, m]));
    const changed = new Map<string, Message>();
    for (const a of actions) {
      if (!isMessageActionEntry(a.body)) continue;
      const target = changed.get(a.body.messageId) ?? held.get(a.body.messageId);
      if (!target) continue;
      const next = applyMessageActionEntry(target, a.body, a.createdAt);
      if (next !== target) changed.set(next.id, next);
    }
    for (const m of changed.values()) {
      await this.cache.replaceMessage?.(m);
      this.sink.updated?.(m);
    }
  }

  /**
   * Turns held messages the user hid into tombstones (protocol's hiddenCopy: no body, same seq, so
   * the log stays gap-free), and the conversation's preview if it is one of them. Ones not held
   * need nothing: the server sends them as tombstones when they are fetched. Idempotent.
   */
  private async applyHidden(conversationId: string, hidden: HiddenMessage[]): Promise<void> {
    const held = new Map((await this.cache.getMessages(conversationId)).map((m) => [m.id, m]));
    // Tombstones already (this device hid them, or heard before): nothing more to do for them.
    hidden = hidden.filter((h) => held.get(h.messageId)?.hiddenAt === undefined);
    if (hidden.length === 0) return;
    for (const h of hidden) {
      const m = held.get(h.messageId);
      if (!m) continue;
      const tomb = hiddenCopy(m, h.hiddenAt);
      held.set(tomb.id, tomb);
      await this.cache.replaceMessage?.(tomb);
      this.sink.hidden?.(h, tomb);
    }
    const c = await this.cache.getConversation(conversationId);
    const last = c?.lastMessage;
    const h = last && last.hiddenAt === undefined ? hidden.find((x) => x.messageId === last.id) : undefined;
    if (c && last && h) {
      await this.putConversation({ ...c, lastMessage: hiddenCopy(last, h.hiddenAt) });
    } else if (c && hidden.some((x) => x.seq > c.lastSeq)) {
      // The held view is older than the entry hidden, which may be what lists show as the
      // preview (taken from a live message): the server's view has its tombstone.
      try {
        await this.putConversation(await this.conn.request({ type: 'conversation.get', conversationId }));
      } catch {
        // offline: the next sync brings the view
      }
    }
  }

  /**
   * Brings back held tombstones of messages the user restored: each is fetched again (one
   * `messages` request of one entry; `known` spares it for this device's own unhide) and
   * replaces its tombstone at the same seq (`updated`). The preview is fetched again if it was one.
   */
  private async applyUnhidden(conversationId: string, unhidden: UnhiddenMessage[], known?: Message): Promise<void> {
    const held = new Map((await this.cache.getMessages(conversationId)).map((m) => [m.id, m]));
    for (const u of unhidden) {
      if (held.get(u.messageId)?.hiddenAt === undefined) continue;
      let m: Message | undefined = known?.id === u.messageId ? known : undefined;
      if (!m) {
        const page = await this.conn.request({ type: 'messages', conversationId, after: u.seq - 1, limit: 1 });
        m = page.messages.find((x) => x.id === u.messageId);
      }
      if (!m || m.hiddenAt !== undefined) continue;
      await this.cache.replaceMessage?.(m);
      this.sink.updated?.(m);
    }
    const c = await this.cache.getConversation(conversationId);
    if (c?.lastMessage?.hiddenAt !== undefined && unhidden.some((u) => u.messageId === c.lastMessage?.id)) {
      try {
        await this.putConversation(await this.conn.request({ type: 'conversation.get', conversationId }));
      } catch {
        // offline: the next sync brings the view
      }
    }
  }

  private scheduleAck(conversationId: string, seq: number): void {
    this.acks.set(conversationId, Math.max(seq, this.acks.get(conversationId) ?? 0));
    if (this.ackTimer) return;
    this.ackTimer = setTimeout(() => this.flushAcks(), this.ackDelayMs);
  }

  /** Sends the gathered acks now (one per conversation); a connection that is not online drops them. */
  flushAcks(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    for (const [conversationId, s] of this.acks) this.conn.notify({ type: 'ack', conversationId, seq: s });
    this.acks.clear();
  }

  dispose(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
  }
}
