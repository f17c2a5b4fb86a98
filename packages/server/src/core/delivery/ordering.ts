/**
 * Per-conversation order of delivery on this process.
 *
 * A conversation's log entries reach this process from every process that commits to it, in
 * order per publisher only. An entry that follows the last one delivered here is safe to
 * deliver: whatever came before it — a removal above all — was delivered first and unrouted its
 * member. One that skips ahead may have overtaken a removal still on its way from another
 * process, and its bytes would reach the removed member's socket (the SDK would not show it, but
 * the socket is theirs). So it waits up to REORDER_WAIT_MS for the entries before it, which
 * usually are a moment behind, and is delivered after them, in order. If they do not come (lost
 * in a bus failure, or slow), the conversation's members are checked against the store, which
 * has any removal before it (that committed first), and what waited is delivered in seq order.
 * The first entry after subscribing is checked the same way. Entries arriving during a check
 * wait behind it.
 */
import type { Clock } from '../clock.js';
import type { Entry } from './codec.js';

/** How long an entry that skipped ahead waits for those before it before the store is asked. */
export const REORDER_WAIT_MS = 20;

export interface OrderingHooks {
  /** Writes an entry to the conversation's devices here; `late`: it arrived after a later one. */
  deliver(conversationId: string, entry: Entry, late: boolean): void;
  /** Tells the conversation's devices here to resync (the store could not be asked). */
  resync(conversationId: string): void;
  /** Unroutes users here who are no longer members; false when the store cannot say. */
  checkMembers(conversationId: string): Promise<boolean>;
}

/** Where a conversation's log stands on this process. */
interface Flow {
  /** The seq that follows the last entry delivered in order; null until one was. */
  next: number | null;
  /** Entries that skipped ahead of `next`, by seq (made when needed: most conversations never need it). */
  ahead: Map<number, Entry> | null;
  /** Ends the wait for the entries before those ahead. */
  timer: { cancel(): void } | null;
  /** Entries that arrived during a membership check, in arrival order; null when none runs. */
  checking: Entry[] | null;
}

export class ConversationOrder {
  private readonly flows = new Map<string, Flow>();

  constructor(
    private readonly clock: Clock,
    private readonly hooks: OrderingHooks,
  ) {}

  /** Takes an entry off the bus; delivers it now or once what precedes it has been. */
  admit(conversationId: string, entry: Entry): void {
    let flow = this.flows.get(conversationId);
    if (!flow) this.flows.set(conversationId, (flow = { next: null, ahead: null, timer: null, checking: null }));
    if (flow.checking) flow.checking.push(entry);
    else this.step(conversationId, flow, entry);
  }

  /** The seq of the last entry delivered here in order (0 before the first). */
  delivered(conversationId: string): number {
    return (this.flows.get(conversationId)?.next ?? 1) - 1;
  }

  /** The conversation is no longer routed here: drop its state (a later entry is checked again). */
  forget(conversationId: string): void {
    this.flows.get(conversationId)?.timer?.cancel();
    this.flows.delete(conversationId);
  }

  private step(conversationId: string, flow: Flow, entry: Entry): void {
    const seq = entry.seq;
    if (flow.next === null) {
      (flow.ahead ??= new Map()).set(seq, entry);
      this.check(conversationId, flow);
    } else if (seq < flow.next) {
      // Overtaken by an entry that was checked, and so no threat to it.
      this.hooks.deliver(conversationId, entry, true);
    } else if (seq > flow.next) {
      (flow.ahead ??= new Map()).set(seq, entry);
      flow.timer ??= this.clock.setTimeout(() => this.check(conversationId, flow), REORDER_WAIT_MS);
    } else {
      this.hooks.deliver(conversationId, entry, false);
      flow.next = seq + 1;
      const ahead = flow.ahead;
      if (!ahead) return;
      for (let e = ahead.get(flow.next); e; e = ahead.get(flow.next)) {
        ahead.delete(flow.next);
        this.hooks.deliver(conversationId, e, false);
        flow.next++;
      }
      if (ahead.size === 0) {
        flow.ahead = null;
        flow.timer?.cancel();
        flow.timer = null;
      }
    }
  }

  /** Delivers what waits ahead, in seq order, after the members were checked. */
  private check(conversationId: string, flow: Flow): void {
    flow.timer?.cancel();
    flow.timer = null;
    flow.checking = [];
    void this.hooks.checkMembers(conversationId).then((checked) => {
      if (this.flows.get(conversationId) !== flow) return;
      const ahead = [...(flow.ahead?.values() ?? [])].sort((x, y) => x.seq - y.seq);
      flow.ahead = null;
      // The store is unreachable: what the entries hold is fetched by sync, which checks membership.
      if (checked) for (const e of ahead) this.hooks.deliver(conversationId, e, false);
      else this.hooks.resync(conversationId);
      const last = ahead.at(-1);
      if (last) flow.next = Math.max(flow.next ?? 0, last.seq + 1);
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
}
