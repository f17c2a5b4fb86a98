/**
 * The SDK's typing and presence state: who is typing where (each `start` lapses after the ttl the
 * server gave unless repeated; `stop` ends it at once), when this client last said it is typing
 * (so it says so at most once every TYPING_RESEND_MS), and the presence of the users it has
 * heard of. Pure state and timers: the client wires it to the connection.
 */
import type { Presence, TypingPush } from '@natter/protocol/wire';

/** While the user keeps typing, `start` is sent again this often (the server's ttl is longer). */
export const TYPING_RESEND_MS = 3000;

/** A typing change the app shows: `typing` true when someone starts, false when they stop or it lapses. */
export interface TypingEvent {
  conversationId: string;
  userId: string;
  typing: boolean;
}

export class TypingState {
  /** conversationId → userId → lapse timer. */
  private readonly typists = new Map<string, Map<string, ReturnType<typeof setTimeout>>>();
  /** conversationId → when this client last sent `start`. */
  private readonly sent = new Map<string, number>();

  constructor(private readonly emit: (e: TypingEvent) => void) {}

  /** Applies a push; emits only when someone starts or stops being shown. */
  onPush(p: TypingPush): void {
    let users = this.typists.get(p.conversationId);
    const timer = users?.get(p.userId);
    if (timer !== undefined) clearTimeout(timer);
    if (p.state === 'stop') {
      if (timer !== undefined) this.end(p.conversationId, p.userId);
      return;
    }
    if (!users) this.typists.set(p.conversationId, (users = new Map()));
    const t = setTimeout(() => this.end(p.conversationId, p.userId), p.ttlMs);
    (t as { unref?: () => void }).unref?.();
    users.set(p.userId, t);
    if (timer === undefined) this.emit({ conversationId: p.conversationId, userId: p.userId, typing: true });
  }

  private end(conversationId: string, userId: string): void {
    const users = this.typists.get(conversationId);
    if (!users?.delete(userId)) return;
    if (users.size === 0) this.typists.delete(conversationId);
    this.emit({ conversationId, userId, typing: false });
  }

  /** Who is typing in the conversation now. */
  typing(conversationId: string): string[] {
    return [...(this.typists.get(conversationId)?.keys() ?? [])];
  }

  /** Whether a `start` is due (none sent within TYPING_RESEND_MS); notes it as sent when it is. */
  startDue(conversationId: string, now = Date.now()): boolean {
    const last = this.sent.get(conversationId);
    if (last !== undefined && now - last < TYPING_RESEND_MS) return false;
    this.sent.set(conversationId, now);
    return true;
  }

  /** Whether a `stop` is worth sending (a `start` went out and was not stopped). */
  stopDue(conversationId: string): boolean {
    return this.sent.delete(conversationId);
  }

  dispose(): void {
    for (const users of this.typists.values()) for (const t of users.values()) clearTimeout(t);
    this.typists.clear();
    this.sent.clear();
  }
}

export class PresenceState {
  private readonly known = new Map<string, Presence>();

  constructor(private readonly emit: (p: Presence) => void) {}

  /** Applies what the server said; emits when the user's presence changed (or is new). */
  apply(p: Presence): void {
    const before = this.known.get(p.userId);
    this.known.set(p.userId, p);
    if (!before || before.online !== p.online || before.lastSeen !== p.lastSeen) this.emit(p);
  }

  get(userId: string): Presence | undefined {
    return this.known.get(userId);
  }

  userIds(): string[] {
    return [...this.known.keys()];
  }
}
