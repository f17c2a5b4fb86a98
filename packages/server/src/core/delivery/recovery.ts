/**
 * Bringing users here up to date after events for them may have been lost: a bus outage of
 * this process, or another process that failed to publish (it then asks for a re-check).
 */
import { CLOSE_CODES } from '@natter/protocol';
import { conversationTopic, userTopic } from '../../bus/bus.js';
import type { Store } from '../../store/store.js';
import { RESYNC_FRAME } from './codec.js';
import type { Registry } from './registry.js';
import type { Routing } from './routing.js';
import type { Topics } from './topics.js';

/** Users re-checked at once after an outage: each is a store read or two. */
const RECHECK_CONCURRENCY = 16;

export class Recovery {
  /** Users being re-checked, and whether they were asked to be again meanwhile. */
  private readonly rechecking = new Map<string, boolean>();

  constructor(
    private readonly registry: Registry,
    private readonly routing: Routing,
    private readonly topics: Topics,
    private readonly store: Store,
  ) {}

  /**
   * After a bus outage: subscribe again to everything this process serves (subscriptions that
   * failed during the outage were never made), then bring every user here up to date — entries,
   * joins, leaves and revocations published during the outage were all lost — and tell the
   * other processes about what this one failed to publish.
   */
  async recover(): Promise<void> {
    const topics = [...this.registry.users().map(userTopic), ...this.registry.conversations().map(conversationTopic)];
    await Promise.all(topics.map((t) => this.topics.resubscribe(t)));
    const users = this.registry.users();
    const next = async (): Promise<void> => {
      for (let u = users.pop(); u !== undefined; u = users.pop()) await this.recheck(u);
    };
    await Promise.all(Array.from({ length: RECHECK_CONCURRENCY }, next));
    await this.topics.announceMissed();
  }

  /**
   * Brings a user's connections here up to date with the store: routes the conversations the
   * user is an active member of now and stops routing the others, closes revoked devices, and
   * tells the rest to resync. Asked again while it runs, it runs once more: its read may predate
   * what prompted the second request.
   */
  async recheck(userId: string): Promise<void> {
    if (this.rechecking.has(userId)) {
      this.rechecking.set(userId, true);
      return;
    }
    try {
      do {
        this.rechecking.set(userId, false);
        await this.recheckOnce(userId);
      } while (this.rechecking.get(userId));
    } finally {
      this.rechecking.delete(userId);
    }
  }

  private async recheckOnce(userId: string): Promise<void> {
    // A connection still attaching reads the store itself.
    const here = [...(this.registry.connectionsOf(userId) ?? [])].filter((a) => !this.routing.isLoading(a));
    if (here.length === 0) return;
    const routed = new Map(here.map((a) => [a, new Set(a.conversations)]));
    try {
      // As in attach(): leaves that arrive while the list loads must not be undone by it.
      await this.routing.loadingList(here, async () => {
        const ids = await this.store.activeConversationIds(userId);
        const active = new Set(ids);
        await Promise.all(
          here.map(async (a) => {
            if (!this.registry.isAttached(a)) return;
            // Only what was routed before the read: a join that arrived since is newer than it.
            await Promise.all([...routed.get(a)!].filter((id) => !active.has(id)).map((id) => this.routing.leave(a, id)));
            await Promise.all(ids.filter((id) => !this.routing.leftWhileLoading(a, id)).map((id) => this.routing.join(a, id)));
            const device = await this.store.getDevice(a.deviceId);
            if (device?.revokedAt != null) a.conn.close(CLOSE_CODES.device_revoked, 'device revoked');
            else a.conn.send(RESYNC_FRAME);
          }),
        );
      });
    } catch {
      // The store is unreachable: the clients still sync (and fail, and retry) on their own.
      for (const a of here) a.conn.send(RESYNC_FRAME);
    }
  }
}
