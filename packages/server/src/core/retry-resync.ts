/**
 * When a retried send may ask every member's devices to resync (issue 18, finding 6). A retry
 * is answered with the original either way; the `message.retried` event — which delivery turns
 * into `resync` for every member, each a full sync by every SDK — is only worth its cost when
 * the first attempt may have died between its commit and its publish:
 *
 * - within `windowMs` of the original's createdAt (a crashed process's clients reconnect and
 *   retry within seconds; a retry long after was published long ago, or the members have
 *   synced since, on reconnecting to the restarted process);
 * - at most once per message in this process (one lost publish needs one resync);
 * - only from an active member: a removed member's retries are still answered with their
 *   original (the stores give a retry its outcome even after leaving) but push nothing.
 */
import type { Clock } from './clock.js';
import type { Store } from '../store/store.js';

/** Default window: the SDK's reconnect backoff tops out at 10 s; a restart takes a few more. */
export const DEFAULT_RETRY_RESYNC_WINDOW_MS = 60_000;

/** Messages resynced lately are remembered this many at most (the oldest are forgotten first). */
const MAX_REMEMBERED = 100_000;

export class RetryResyncPolicy {
  /** Message id → when it may be forgotten; insertion order is expiry order (one window for all). */
  private readonly resynced = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    readonly windowMs: number = DEFAULT_RETRY_RESYNC_WINDOW_MS,
  ) {}

  /** Whether the retry of `message` by `senderId` should emit `message.retried`. */
  async shouldResync(
    senderId: string,
    message: { id: string; conversationId: string; createdAt: number },
  ): Promise<boolean> {
    const now = this.clock.now();
    if (now - message.createdAt >= this.windowMs || now < message.createdAt - this.windowMs) return false;
    this.forgetExpired(now);
    // Claimed before the membership read so that concurrent retries of one send emit once.
    if (this.resynced.has(message.id)) return false;
    this.resynced.set(message.id, now + this.windowMs);
    if (this.resynced.size > MAX_REMEMBERED) this.resynced.delete(this.resynced.keys().next().value!);
    try {
      const view = await this.store.getConversationForUser(message.conversationId, senderId);
      return view?.membership.state === 'active';
    } catch {
      // The store cannot say: the retry is answered anyway, and members catch up on their next sync.
      return false;
    }
  }

  private forgetExpired(now: number): void {
    for (const [id, until] of this.resynced) {
      if (until > now) return;
      this.resynced.delete(id);
    }
  }
}
