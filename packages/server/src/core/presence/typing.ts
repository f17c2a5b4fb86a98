/**
 * Typing indicators: a member says "typing" (start, repeated while they type) or "stopped", and
 * the other members' devices on every process get a `typing` push that lapses by itself after
 * `ttlMs` unless repeated (the receiving SDK keeps the timer). Nothing is stored: an accepted
 * frame becomes a `typing.changed` domain event, which delivery carries over the Bus on the
 * conversation's topic (its ephemeral envelope), and is forgotten.
 *
 * Only active members may type (a non-member gets `not_found`, as for any conversation they may
 * not know). Each (user, conversation) may send `maxFrames` typing frames per `windowMs` on a
 * process; more gets `rate_limited` with `retryAfterMs` (the SDK sends at most one start every
 * 3 s, so a well-behaved client never meets it).
 */
import { NatterError } from '@natter/protocol';
import type { Store } from '../../store/store.js';
import type { Clock } from '../clock.js';
import type { Attachment, Delivery } from '../delivery/delivery.js';
import type { DomainEvents } from '../events.js';

export interface TypingOptions {
  /** How long a `start` holds at the receivers without a repeat. */
  ttlMs: number;
  /** Typing frames per user and conversation per window. */
  maxFrames: number;
  windowMs: number;
}

/** Windows kept before a sweep of ended ones. */
const SWEEP_AT = 10_000;

export class Typing {
  /** `${userId}\0${conversationId}` → the current window. */
  private readonly windows = new Map<string, { count: number; endsAt: number }>();
  private sweepAt = SWEEP_AT;

  constructor(
    private readonly delivery: Delivery,
    private readonly events: DomainEvents,
    private readonly store: Store,
    private readonly clock: Clock,
    readonly options: TypingOptions,
  ) {}

  /** Handles one `typing` frame from `a`. Resolves once it is on the Bus. */
  async typing(a: Attachment, conversationId: string, state: 'start' | 'stop'): Promise<{ ttlMs: number }> {
    this.admit(a.userId, conversationId);
    // Routed here means an active member; otherwise ask the store (routing may be on its way).
    if (!this.delivery.routes(a, conversationId)) {
      const conv = await this.store.getConversationState(conversationId);
      if (!conv?.members.some((m) => m.userId === a.userId)) throw new NatterError('not_found', 'no such conversation');
    }
    await this.events.emit({ type: 'typing.changed', conversationId, userId: a.userId, state, ttlMs: this.options.ttlMs });
    return { ttlMs: this.options.ttlMs };
  }

  private admit(userId: string, conversationId: string): void {
    const now = this.clock.now();
    if (this.windows.size >= this.sweepAt) this.sweep(now);
    const key = `${userId}\0${conversationId}`;
    let w = this.windows.get(key);
    if (!w || w.endsAt <= now) this.windows.set(key, (w = { count: 0, endsAt: now + this.options.windowMs }));
    if (w.count >= this.options.maxFrames) {
      throw new NatterError('rate_limited', `at most ${this.options.maxFrames} typing frames per ${this.options.windowMs} ms in a conversation`, {
        retryAfterMs: w.endsAt - now,
      });
    }
    w.count++;
  }

  private sweep(now: number): void {
    for (const [k, w] of this.windows) if (w.endsAt <= now) this.windows.delete(k);
    this.sweepAt = Math.max(SWEEP_AT, this.windows.size * 2);
  }
}
