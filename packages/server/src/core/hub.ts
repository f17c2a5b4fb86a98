/**
 * The hub: this process's registry of authenticated connections, indexed by user and by
 * conversation, and the bridge to the Bus. Core services publish through it; it writes what
 * arrives from the Bus to local connections — the same encoded bytes to every recipient.
 *
 * Routing: the process subscribes to `u:<user>` for each user it serves and to `c:<conv>` for
 * each conversation one of those users is an active member of, so it receives only traffic for
 * the users it serves.
 */
import { CLOSE_CODES, encodeFrame, type Conversation } from '@natter/protocol';
import { conversationTopic, isReconnectingBus, userTopic, type Bus } from '../bus/bus.js';
import type { ConversationState, Store } from '../store/store.js';
import type { Connection } from './connection.js';
import { readEntry, withClientMsgId, type Entry } from './entry-payload.js';

export interface Attachment {
  readonly conn: Connection;
  readonly userId: string;
  readonly deviceId: string;
  /** Routed conversations; NO_CONVERSATIONS (shared, never written) until the first. */
  conversations: Set<string>;
}

/** Most idle connections route no conversation: they share this instead of an empty Set each. */
const NO_CONVERSATIONS: ReadonlySet<string> = new Set<string>();

/** Events addressed to a user, carried on the user's topic. */
export type UserEvent =
  | { k: 'joined'; conversation: Conversation }
  | { k: 'left'; conversation: Conversation }
  | { k: 'revoke'; deviceIds: string[] }
  | { k: 'frame'; frame: string }
  /** Events for the user may have been lost: see recheck(). */
  | { k: 'recheck' };

/** Where a conversation's log stands on this process (see Hub.admit). */
interface Flow {
  /** The seq that follows the last entry delivered in order; null until one was. */
  next: number | null;
  /** Entries that skipped ahead of `next`, by seq, waiting for the ones before them (made when needed: most conversations never need it). */
  ahead: Map<number, Entry> | null;
  /** Ends the wait for the entries before those ahead. */
  timer: NodeJS.Timeout | null;
  /** Entries that arrived during a membership check, in arrival order; null when none runs. */
  checking: Entry[] | null;
}

/** How long an entry that skipped ahead waits for those before it before the store is asked. */
const REORDER_WAIT_MS = 20;

/** Tells a client that live pushes may have been missed and to sync. */
export const RESYNC_FRAME = encodeFrame({ type: 'resync' });
/** Delivered instead of entries this process cannot deliver safely or read. */
const RESYNC_ENTRY: Entry = { frame: RESYNC_FRAME, seq: null, senderId: null, clientMsgId: null };
const RECHECK_EVENT = JSON.stringify({ k: 'recheck' } satisfies UserEvent);
/** Users re-checked at once after an outage: each is a store read or two. */
const RECHECK_CONCURRENCY = 16;

export class Hub {
  private readonly byUser = new Map<string, Set<Attachment>>();
  private readonly byConversation = new Map<string, Set<Attachment>>();
  /** Conversations left while an attachment was loading its list; see attach(). */
  private readonly pendingLeaves = new Map<Attachment, Set<string>>();
  /** The seq at which each routed user (re)joined a conversation, when known (see unrouteOnEntry). */
  private readonly joinedAt = new WeakMap<Attachment, Map<string, number>>();
  /** Subscriptions still being made: whoever joins a topic meanwhile waits for them too. */
  private readonly subscribing = new Map<string, Promise<void>>();
  /** Per routed conversation: the order its entries are delivered in (see admit). */
  private readonly flows = new Map<string, Flow>();
  /** Topics a publish to failed, not yet told to catch up (see announceMissed). */
  private readonly missed = new Set<string>();
  private announcing = false;
  /** Users being re-checked, and whether they were asked to be again meanwhile. */
  private readonly rechecking = new Map<string, boolean>();

  constructor(
    private readonly bus: Bus,
    private readonly store: Store,
  ) {
    bus.onMessage((topic, payload) => this.receive(topic, payload));
    if (isReconnectingBus(bus)) bus.onReconnect(() => void this.recover());
  }

  /** Called with every failed bus operation (the bus is down); the hub carries on without it. */
  onBusError: (err: unknown) => void = () => {};

  /**
   * After a bus outage: subscribe again to everything this process serves (subscriptions that
   * failed during the outage were never made), then bring every user here up to date — entries,
   * joins, leaves and revocations published during the outage were all lost — and tell the
   * other processes about what this one failed to publish.
   */
  private async recover(): Promise<void> {
    const topics = [...[...this.byUser.keys()].map(userTopic), ...[...this.byConversation.keys()].map(conversationTopic)];
    await Promise.all(topics.map((t) => this.bus.subscribe(t).catch((err: unknown) => this.onBusError(err))));
    const users = [...this.byUser.keys()];
    const next = async (): Promise<void> => {
      for (let u = users.pop(); u !== undefined; u = users.pop()) await this.recheck(u);
    };
    await Promise.all(Array.from({ length: RECHECK_CONCURRENCY }, next));
    await this.announceMissed();
  }

  /**
   * Brings a user's connections here up to date with the store after events for them may have
   * been lost: routes the conversations the user is an active member of now and stops routing
   * the others, closes revoked devices, and tells the rest to resync. Asked again while it
   * runs, it runs once more: its read may predate what prompted the second request.
   */
  private async recheck(userId: string): Promise<void> {
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
    const here = [...(this.byUser.get(userId) ?? [])].filter((a) => !this.pendingLeaves.has(a));
    if (here.length === 0) return;
    const routed = new Map(here.map((a) => [a, new Set(a.conversations)]));
    // As in attach(): leaves that arrive while the list loads must not be undone by it.
    for (const a of here) this.pendingLeaves.set(a, new Set());
    try {
      const ids = await this.store.activeConversationIds(userId);
      const active = new Set(ids);
      await Promise.all(
        here.map(async (a) => {
          if (!this.byUser.get(userId)?.has(a)) return;
          // Only what was routed before the read: a join that arrived since is newer than it.
          await Promise.all([...routed.get(a)!].filter((id) => !active.has(id)).map((id) => this.leave(a, id)));
          const left = this.pendingLeaves.get(a)!;
          await Promise.all(ids.filter((id) => !left.has(id)).map((id) => this.join(a, id)));
          const device = await this.store.getDevice(a.deviceId);
          if (device?.revokedAt != null) a.conn.close(CLOSE_CODES.device_revoked, 'device revoked');
          else a.conn.send(RESYNC_FRAME);
        }),
      );
    } catch {
      // The store is unreachable: the clients still sync (and fail, and retry) on their own.
      for (const a of here) a.conn.send(RESYNC_FRAME);
    } finally {
      for (const a of here) this.pendingLeaves.delete(a);
    }
  }

  /**
   * What this process failed to publish never reached the other processes, and nothing tells
   * them: their own connections to the bus may have been fine all along. So once publishes go
   * through again (a reconnect, or the next publish that succeeds), every topic that missed
   * something is told to catch up: a conversation's devices to resync, a user's processes to
   * re-check that user (recheck()). A topic whose announcement fails again waits for the next.
   */
  private async announceMissed(): Promise<void> {
    if (this.announcing || this.missed.size === 0) return;
    this.announcing = true;
    try {
      const topics = [...this.missed];
      this.missed.clear();
      await Promise.all(
        topics.map((t) =>
          this.bus.publish(t, t.startsWith('c:') ? RESYNC_FRAME : RECHECK_EVENT).catch((err: unknown) => {
            this.missed.add(t);
            this.onBusError(err);
          }),
        ),
      );
    } finally {
      this.announcing = false;
    }
  }

  private async subscribe(topic: string): Promise<void> {
    const p = this.bus.subscribe(topic).catch((err: unknown) => this.onBusError(err));
    this.subscribing.set(topic, p);
    try {
      await p;
    } finally {
      if (this.subscribing.get(topic) === p) this.subscribing.delete(topic);
    }
  }

  /** Resolves once a subscription to `topic` made by someone else is active (at once if none is pending). */
  private async subscribed(topic: string): Promise<void> {
    await this.subscribing.get(topic);
  }

  private async unsubscribe(topic: string): Promise<void> {
    await this.bus.unsubscribe(topic).catch((err: unknown) => this.onBusError(err));
  }

  get connectionCount(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  async attach(conn: Connection, userId: string, deviceId: string): Promise<Attachment> {
    const a: Attachment = { conn, userId, deviceId, conversations: NO_CONVERSATIONS as Set<string> };
    let mine = this.byUser.get(userId);
    if (!mine) {
      this.byUser.set(userId, (mine = new Set()));
      await this.subscribe(userTopic(userId));
    } else {
      // Another device of this user is subscribing: events from now on must reach this one too.
      await this.subscribed(userTopic(userId));
    }
    mine.add(a);
    // Joins that arrive while the list loads are applied directly; leaves are remembered so a
    // list read before the leave committed cannot re-add the conversation.
    this.pendingLeaves.set(a, new Set());
    try {
      const ids = await this.store.activeConversationIds(userId);
      const left = this.pendingLeaves.get(a)!;
      // All subscriptions at once: on a remote bus each is a round trip, and a user in many
      // conversations must not reconnect one round trip per conversation.
      await Promise.all(ids.filter((id) => !left.has(id)).map((id) => this.join(a, id)));
    } catch (err) {
      // The store is down: leave nothing behind for a connection that is about to close.
      await this.detach(a);
      throw err;
    } finally {
      this.pendingLeaves.delete(a);
    }
    return a;
  }

  async detach(a: Attachment): Promise<void> {
    const mine = this.byUser.get(a.userId);
    if (!mine?.delete(a)) return;
    this.pendingLeaves.delete(a);
    if (mine.size === 0) {
      this.byUser.delete(a.userId);
      await this.unsubscribe(userTopic(a.userId));
    }
    await Promise.all([...a.conversations].map((id) => this.leave(a, id)));
  }

  /**
   * Publishes a conversation log entry: a `message` frame, or a payload made by ownedEntry()
   * when the sender's devices get a copy of their own. Never throws:
   * the entry is already stored, so when the bus is down recipients get it through sync.
   */
  async publishEntry(conversationId: string, payload: string): Promise<void> {
    await this.publish(conversationTopic(conversationId), payload);
  }

  /** Publishes an event to a user's devices on every process. Never throws (see publishEntry). */
  async publishToUser(userId: string, event: UserEvent): Promise<void> {
    await this.publish(userTopic(userId), JSON.stringify(event));
  }

  private async publish(topic: string, payload: string): Promise<void> {
    try {
      await this.bus.publish(topic, payload);
    } catch (err) {
      this.missed.add(topic);
      this.onBusError(err);
      return;
    }
    if (this.missed.size > 0) void this.announceMissed();
  }

  /** Resolves once entries of the conversation reach `a` (the subscription is active). */
  private async join(a: Attachment, conversationId: string): Promise<void> {
    const topic = conversationTopic(conversationId);
    if (a.conversations.has(conversationId) || !this.byUser.get(a.userId)?.has(a)) return this.subscribed(topic);
    if (a.conversations === NO_CONVERSATIONS) a.conversations = new Set();
    a.conversations.add(conversationId);
    let set = this.byConversation.get(conversationId);
    if (!set) {
      this.byConversation.set(conversationId, (set = new Set()));
      set.add(a);
      await this.subscribe(topic);
    } else {
      set.add(a);
      // Someone else's subscription may still be on its way: routed only once it is active.
      await this.subscribed(topic);
    }
  }

  /** Stops routing at once, also for a list of conversations `a` is still loading (see attach()). */
  private unroute(a: Attachment, conversationId: string): void {
    this.pendingLeaves.get(a)?.add(conversationId);
    void this.leave(a, conversationId);
  }

  /** Whether `a` (re)joined the conversation after the entry at `seq`, as far as a 'joined' event said. */
  private joinedAfter(a: Attachment, conversationId: string, seq: number): boolean {
    return (this.joinedAt.get(a)?.get(conversationId) ?? 0) > seq;
  }

  private async leave(a: Attachment, conversationId: string): Promise<void> {
    a.conversations.delete(conversationId);
    const set = this.byConversation.get(conversationId);
    if (!set?.delete(a)) return;
    if (set.size === 0) {
      this.byConversation.delete(conversationId);
      const flow = this.flows.get(conversationId);
      if (flow?.timer) clearTimeout(flow.timer);
      this.flows.delete(conversationId);
      await this.unsubscribe(conversationTopic(conversationId));
    }
  }

  /**
   * A conversation's log entries reach this process from every process that commits to it, in
   * order per publisher only. An entry that follows the last one delivered here is safe to
   * deliver: whatever came before it — a removal above all — was delivered first and unrouted
   * its member. One that skips ahead may have overtaken a removal still on its way from another
   * process, and its bytes would reach the removed member's socket (the SDK would not show it,
   * but the socket is theirs). So it waits up to REORDER_WAIT_MS for the entries before it,
   * which usually are a moment behind, and is delivered after them, in order. If they do not
   * come (lost in a bus failure, or slow), the conversation's members are read from the store,
   * which has any removal before it (that committed first), routed users who are no longer
   * members are unrouted, and what waited is delivered in seq order. The first entry after
   * subscribing is checked the same way. Entries arriving during a check wait behind it.
   */
  private admit(conversationId: string, entry: Entry): void {
    let flow = this.flows.get(conversationId);
    if (!flow) this.flows.set(conversationId, (flow = { next: null, ahead: null, timer: null, checking: null }));
    if (flow.checking) flow.checking.push(entry);
    else this.step(conversationId, flow, entry);
  }

  private step(conversationId: string, flow: Flow, entry: Entry): void {
    const seq = entry.seq!;
    if (flow.next === null) {
      (flow.ahead ??= new Map()).set(seq, entry);
      this.check(conversationId, flow);
    } else if (seq < flow.next) {
      // Overtaken by an entry that was checked, and so no threat to it.
      this.deliver(conversationId, entry, true);
    } else if (seq > flow.next) {
      (flow.ahead ??= new Map()).set(seq, entry);
      flow.timer ??= setTimeout(() => this.check(conversationId, flow), REORDER_WAIT_MS);
    } else {
      this.deliver(conversationId, entry, false);
      flow.next = seq + 1;
      const ahead = flow.ahead;
      if (!ahead) return;
      for (let e = ahead.get(flow.next); e; e = ahead.get(flow.next)) {
        ahead.delete(flow.next);
        this.deliver(conversationId, e, false);
        flow.next++;
      }
      if (ahead.size === 0) {
        flow.ahead = null;
        if (flow.timer) clearTimeout(flow.timer);
        flow.timer = null;
      }
    }
  }

  /** Delivers what waits ahead, in seq order, after unrouting users who are no longer members. */
  private check(conversationId: string, flow: Flow): void {
    if (flow.timer) clearTimeout(flow.timer);
    flow.timer = null;
    flow.checking = [];
    void this.checkMembers(conversationId).then((checked) => {
      if (this.flows.get(conversationId) !== flow) return;
      const ahead = [...(flow.ahead?.values() ?? [])].sort((x, y) => x.seq! - y.seq!);
      flow.ahead = null;
      // The store is unreachable: what the entries hold is fetched by sync, which checks membership.
      if (checked) for (const e of ahead) this.deliver(conversationId, e, false);
      else this.deliver(conversationId, RESYNC_ENTRY, false);
      const last = ahead.at(-1);
      if (last) flow.next = Math.max(flow.next ?? 0, last.seq! + 1);
      const waiting = flow.checking!;
      flow.checking = null;
      for (const [i, next] of waiting.entries()) {
        // A step may have started another check: the rest wait for that one.
        const again = flow.checking as Entry[] | null;
        if (again) {
          again.push(...waiting.slice(i));
          return;
        }
        this.step(conversationId, flow, next);
      }
    });
  }

  /**
   * Unroutes the users routed to the conversation here who are not active members of it now.
   * False when the store cannot say: unreachable, or no such conversation — which an entry
   * just published for it makes a store fault, not a reason to unroute everyone.
   */
  private async checkMembers(conversationId: string): Promise<boolean> {
    let state: ConversationState | null;
    try {
      state = await this.store.getConversationState(conversationId);
    } catch {
      return false;
    }
    if (!state) return false;
    const members = new Set(state.members.map((m) => m.userId));
    for (const a of [...(this.byConversation.get(conversationId) ?? [])]) if (!members.has(a.userId)) this.unroute(a, conversationId);
    return true;
  }

  /**
   * Writes an entry to the conversation's devices here. `late`: it arrived after a later one,
   * so it goes only to those who were members when it was written.
   */
  private deliver(conversationId: string, entry: Entry, late: boolean): void {
    const set = this.byConversation.get(conversationId);
    if (!set) return;
    const { frame, senderId, clientMsgId, seq } = entry;
    // Fan-out: encode to bytes once, write the same buffer to every recipient but the
    // sender's devices, which get their own copy (made once) with the clientMsgId.
    const bytes = set.size > 2 ? Buffer.from(frame) : frame;
    let own: string | undefined;
    for (const a of set) {
      if (late && this.joinedAfter(a, conversationId, seq!)) continue;
      if (a.userId === senderId) a.conn.send((own ??= withClientMsgId(frame, clientMsgId!)));
      else a.conn.send(bytes);
    }
    // Cheap pre-filter: only a system entry can carry a removal (never a sent message, whose
    // custom body may match too; unrouteOnEntry parses and checks).
    if (senderId === null && frame.includes('"type":"system"')) this.unrouteOnEntry(conversationId, frame, set);
  }

  private receive(topic: string, payload: string): void {
    if (topic.startsWith('c:')) {
      const conversationId = topic.slice(2);
      if (!this.byConversation.has(conversationId)) return;
      const entry = readEntry(payload) ?? RESYNC_ENTRY;
      if (entry.seq === null) this.deliver(conversationId, entry, false);
      else this.admit(conversationId, entry);
      return;
    }
    if (topic.startsWith('u:')) {
      const set = this.byUser.get(topic.slice(2));
      if (!set) return;
      let event: UserEvent;
      try {
        event = JSON.parse(payload) as UserEvent;
      } catch {
        return;
      }
      this.applyUserEvent([...set], event);
    }
  }

  /**
   * A member's removal (or leave) stops their routing the moment the entry that records it is
   * delivered to them, so nothing committed after it reaches them — not only once the slower
   * 'left' user event arrives. A late removal entry never unroutes someone who re-joined since.
   */
  private unrouteOnEntry(conversationId: string, payload: string, set: Set<Attachment>): void {
    let message: { type?: string; seq?: number; body?: { event?: string; userId?: string } } | undefined;
    try {
      message = (JSON.parse(payload) as { message?: typeof message }).message;
    } catch {
      return;
    }
    const event = message?.body?.event;
    if (message?.type !== 'system' || (event !== 'member.removed' && event !== 'member.left')) return;
    const userId = message.body?.userId;
    const seq = message.seq ?? 0;
    for (const a of [...set]) {
      if (a.userId !== userId) continue;
      if (!this.joinedAfter(a, conversationId, seq)) this.unroute(a, conversationId);
    }
  }

  private applyUserEvent(attachments: Attachment[], event: UserEvent): void {
    switch (event.k) {
      case 'joined': {
        // Tell the client only once the subscription is active: it then fetches everything up
        // to now, and everything later arrives live — nothing falls in between.
        const frame = encodeFrame({ type: 'conversation', conversation: event.conversation });
        // A 'left' applied while the subscription was being made wins: its push went out already,
        // and this older view must not follow it.
        const id = event.conversation.id;
        for (const a of attachments) {
          let joined = this.joinedAt.get(a);
          if (!joined) this.joinedAt.set(a, (joined = new Map()));
          joined.set(id, event.conversation.membership.joinedSeq);
          void this.join(a, id).then(() => a.conversations.has(id) && a.conn.send(frame));
        }
        return;
      }
      case 'left': {
        const frame = encodeFrame({ type: 'conversation', conversation: event.conversation });
        for (const a of attachments) {
          this.unroute(a, event.conversation.id);
          a.conn.send(frame);
        }
        return;
      }
      case 'revoke': {
        const ids = new Set(event.deviceIds);
        for (const a of attachments) {
          if (ids.has(a.deviceId)) a.conn.close(CLOSE_CODES.device_revoked, 'device revoked');
        }
        return;
      }
      case 'frame':
        for (const a of attachments) a.conn.send(event.frame);
        return;
      case 'recheck':
        void this.recheck(attachments[0]!.userId);
        return;
    }
  }
}
