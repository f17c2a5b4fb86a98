/**
 * This process's registry of authenticated connections, indexed by user and by routed
 * conversation. Bookkeeping only: no bus, no store, no timers.
 */
import type { Connection } from '../connection.js';

export interface Attachment {
  readonly conn: Connection;
  readonly userId: string;
  readonly deviceId: string;
  /** Routed conversations; NO_CONVERSATIONS (shared, never written) until the first. */
  conversations: Set<string>;
  /** The seq at which the user (re)joined a conversation, when a 'joined' event said (see joinedAfter). */
  joinedAt: Map<string, number> | null;
}

/** Most idle connections route no conversation: they share this instead of an empty Set each. */
const NO_CONVERSATIONS: ReadonlySet<string> = new Set<string>();

export function newAttachment(conn: Connection, userId: string, deviceId: string): Attachment {
  return { conn, userId, deviceId, conversations: NO_CONVERSATIONS as Set<string>, joinedAt: null };
}

/** Whether `a` (re)joined the conversation after the entry at `seq`, as far as a 'joined' event said. */
export function joinedAfter(a: Attachment, conversationId: string, seq: number): boolean {
  return (a.joinedAt?.get(conversationId) ?? 0) > seq;
}

export function noteJoined(a: Attachment, conversationId: string, seq: number): void {
  (a.joinedAt ??= new Map()).set(conversationId, seq);
}

export class Registry {
  /** A user's only connection here as itself (most users have one), a Set from the second on. */
  private readonly byUser = new Map<string, Attachment | Set<Attachment>>();
  private readonly byConversation = new Map<string, Set<Attachment>>();

  get connectionCount(): number {
    let n = 0;
    for (const mine of this.byUser.values()) n += mine instanceof Set ? mine.size : 1;
    return n;
  }

  /** True when `a` is the user's first connection here (the user's topic is needed). */
  addUser(a: Attachment): boolean {
    const mine = this.byUser.get(a.userId);
    if (mine === undefined || mine === a) this.byUser.set(a.userId, a);
    else if (mine instanceof Set) mine.add(a);
    else this.byUser.set(a.userId, new Set([mine, a]));
    return mine === undefined;
  }

  /** 'absent' when `a` was not registered; 'last' when it was the user's last connection here. */
  removeUser(a: Attachment): 'absent' | 'last' | 'more' {
    const mine = this.byUser.get(a.userId);
    if (mine === a) {
      this.byUser.delete(a.userId);
      return 'last';
    }
    if (!(mine instanceof Set) || !mine.delete(a)) return 'absent';
    // Back to the single form: a user who had two devices and now has one costs what one costs.
    if (mine.size === 1) this.byUser.set(a.userId, mine.values().next().value!);
    return 'more';
  }

  isAttached(a: Attachment): boolean {
    const mine = this.byUser.get(a.userId);
    return mine === a || (mine instanceof Set && mine.has(a));
  }

  /** The user's connections here (a live set: copy before changing routing while iterating). */
  connectionsOf(userId: string): Iterable<Attachment> | undefined {
    const mine = this.byUser.get(userId);
    return mine === undefined || mine instanceof Set ? mine : [mine];
  }

  /** How many connections the user has here. */
  countOf(userId: string): number {
    const mine = this.byUser.get(userId);
    return mine === undefined ? 0 : mine instanceof Set ? mine.size : 1;
  }

  /** Every connection here with its user, in no particular order. */
  forEachConnection(fn: (a: Attachment) => void): void {
    for (const mine of this.byUser.values()) {
      if (mine instanceof Set) for (const a of mine) fn(a);
      else fn(mine);
    }
  }

  users(): string[] {
    return [...this.byUser.keys()];
  }

  conversations(): string[] {
    return [...this.byConversation.keys()];
  }

  hasConversation(conversationId: string): boolean {
    return this.byConversation.has(conversationId);
  }

  /** The connections routed to a conversation here (live set). */
  routed(conversationId: string): ReadonlySet<Attachment> | undefined {
    return this.byConversation.get(conversationId);
  }

  /** Routes the conversation to `a`; true when it is the conversation's first connection here. */
  route(a: Attachment, conversationId: string): boolean {
    if (a.conversations === NO_CONVERSATIONS) a.conversations = new Set();
    a.conversations.add(conversationId);
    let set = this.byConversation.get(conversationId);
    const first = !set;
    if (!set) this.byConversation.set(conversationId, (set = new Set()));
    set.add(a);
    return first;
  }

  /** 'absent' when it was not routed to `a`; 'last' when no connection here routes it any more. */
  unroute(a: Attachment, conversationId: string): 'absent' | 'last' | 'more' {
    a.conversations.delete(conversationId);
    const set = this.byConversation.get(conversationId);
    if (!set?.delete(a)) return 'absent';
    if (set.size > 0) return 'more';
    this.byConversation.delete(conversationId);
    return 'last';
  }
}
