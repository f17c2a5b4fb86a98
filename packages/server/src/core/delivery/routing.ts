/**
 * Which conversations reach which connection here, and the bus subscriptions behind them.
 *
 * The process subscribes to `u:<user>` for each user it serves and to `c:<conv>` for each
 * conversation one of those users is an active member of, so it receives only traffic for the
 * users it serves. A connection counts as routed to a conversation only once the subscription
 * is active: a client told it is online then fetches everything up to now, and everything later
 * arrives live — nothing falls in between.
 */
import { conversationTopic, userTopic } from '../../bus/bus.js';
import type { Store } from '../../store/store.js';
import type { Connection } from '../connection.js';
import type { ConversationOrder } from './ordering.js';
import { newAttachment, type Attachment, type Registry } from './registry.js';
import type { Topics } from './topics.js';

export class Routing {
  /** Conversations left while an attachment was loading its list; see attach(). */
  private readonly pendingLeaves = new Map<Attachment, Set<string>>();

  constructor(
    private readonly registry: Registry,
    private readonly topics: Topics,
    private readonly order: ConversationOrder,
    private readonly store: Store,
  ) {}

  async attach(conn: Connection, userId: string, deviceId: string): Promise<Attachment> {
    const a = newAttachment(conn, userId, deviceId);
    if (this.registry.addUser(a)) await this.topics.subscribe(userTopic(userId));
    // Another device of this user is subscribing: events from now on must reach this one too.
    else await this.topics.subscribed(userTopic(userId));
    await this.loadingList([a], async () => {
      const ids = await this.store.activeConversationIds(userId);
      // All subscriptions at once: on a remote bus each is a round trip, and a user in many
      // conversations must not reconnect one round trip per conversation.
      await Promise.all(ids.filter((id) => !this.leftWhileLoading(a, id)).map((id) => this.join(a, id)));
    }).catch(async (err: unknown) => {
      // The store is down: leave nothing behind for a connection that is about to close.
      await this.detach(a);
      throw err;
    });
    return a;
  }

  async detach(a: Attachment): Promise<void> {
    const gone = this.registry.removeUser(a);
    if (gone === 'absent') return;
    this.pendingLeaves.delete(a);
    if (gone === 'last') await this.topics.unsubscribe(userTopic(a.userId));
    await Promise.all([...a.conversations].map((id) => this.leave(a, id)));
  }

  /**
   * Runs `load` (a read of the user's conversations from the store) for their connections `as`:
   * joins that arrive meanwhile are applied directly; leaves are remembered so a list read before
   * the leave committed cannot re-add the conversation (see leftWhileLoading).
   */
  async loadingList<T>(as: Attachment[], load: () => Promise<T>): Promise<T> {
    for (const a of as) this.pendingLeaves.set(a, new Set());
    try {
      return await load();
    } finally {
      for (const a of as) this.pendingLeaves.delete(a);
    }
  }

  leftWhileLoading(a: Attachment, conversationId: string): boolean {
    return this.pendingLeaves.get(a)?.has(conversationId) ?? false;
  }

  isLoading(a: Attachment): boolean {
    return this.pendingLeaves.has(a);
  }

  /** Resolves once entries of the conversation reach `a` (the subscription is active). */
  async join(a: Attachment, conversationId: string): Promise<void> {
    const topic = conversationTopic(conversationId);
    if (a.conversations.has(conversationId) || !this.registry.isAttached(a)) return this.topics.subscribed(topic);
    if (this.registry.route(a, conversationId)) await this.topics.subscribe(topic);
    // Someone else's subscription may still be on its way: routed only once it is active.
    else await this.topics.subscribed(topic);
  }

  async leave(a: Attachment, conversationId: string): Promise<void> {
    if (this.registry.unroute(a, conversationId) !== 'last') return;
    this.order.forget(conversationId);
    await this.topics.unsubscribe(conversationTopic(conversationId));
  }

  /** Stops routing at once, also for a list of conversations `a` is still loading. */
  unroute(a: Attachment, conversationId: string): void {
    this.pendingLeaves.get(a)?.add(conversationId);
    void this.leave(a, conversationId);
  }
}
