/**
 * Presence: whether a user is online (any device connected, on any process), and when they were
 * last seen. Nothing of it is stored: it lives in Ephemeral state with TTLs and is refreshed by
 * the processes that hold the connections, so a process that dies stops refreshing and its users
 * fade out by themselves.
 *
 * Ephemeral entries (under the deployment's prefix):
 * - set `presence:<user>`: one member per process holding a connection of the user, TTL `ttlMs`,
 *   refreshed every ttlMs/3. When a process's last connection of the user closes, its member is
 *   kept for `graceMs` only (the grace period), then checked: if no process holds the user by
 *   then, the user goes offline. A reconnect within the grace, here or on another process, shows
 *   nothing (no offline, no second online): flapping is damped.
 * - set `presence-procs`: the live processes, each refreshed (after its users) every ttlMs/3.
 * - value `seen:<user>`: when the user was last online, refreshed with the presence set, kept a day.
 *
 * Pushes: on a change (first connection anywhere → online; grace over with no connection left →
 * offline) the process that saw it emits a `presence.changed` domain event for every user who
 * shares a direct conversation with the user, unless the user hides presence; delivery carries
 * it to their devices (their user topics, over the Bus).
 *
 * Dead processes: a killed process announces nothing. Each process remembers whom its own users
 * were told is online (pushes and queries: the "watched" users). Every tick it reads the live
 * processes; when one has gone (its entry expired, or it closed), every watched online user is
 * checked again, counting only members of live processes, and those with none left are pushed
 * offline to this process's users. Bound: a process killed at t is missing from the live set by
 * t + ttlMs, and seen missing by t + ttlMs + ttlMs/3 at the latest (docs/presence.md).
 *
 * When the Ephemeral backend is down, presence degrades (no pushes, queries answer `unavailable`);
 * nothing else is affected, and the next tick after it is back restores the entries.
 */
import { encodeFrame, type Presence } from '@natter/protocol';
import type { Ephemeral } from '../../ephemeral/ephemeral.js';
import { MAX_TTL_MS } from '../../ephemeral/ephemeral.js';
import type { Store } from '../../store/store.js';
import type { Clock } from '../clock.js';
import { outbound } from '../connection.js';
import type { Delivery } from '../delivery/delivery.js';
import type { DomainEvents } from '../events.js';

export interface PresenceOptions {
  /** Life of an entry nobody refreshes: how long a killed process's users may still look online. */
  ttlMs: number;
  /** A reconnect within this long after the last connection closed shows nothing. */
  graceMs: number;
  /** This process's id in the entries; unique per process start. */
  processId: string;
}

export interface PresenceHooks {
  /** An Ephemeral or store call failed (presence degrades; the caller carries on). */
  onError(err: unknown, what: string): void;
}

const PROCS = 'presence-procs';
const setOf = (userId: string) => `presence:${userId}`;
/** Users whose entries one step of a tick refreshes before the event loop serves anything else. */
export const REFRESH_SLICE = 200;
const seenOf = (userId: string) => `seen:${userId}`;

interface Watched {
  /** What this process's users were last told. */
  online: boolean;
  /** This process's users who were told (and get the offline push if its holder dies). */
  watchers: Set<string>;
}

export class PresenceService {
  /** Connections per user on this process. */
  private readonly local = new Map<string, number>();
  /** Users whose last connection here closed, waiting for the grace period to end. */
  private readonly leaving = new Map<string, { cancel(): void }>();
  private readonly watched = new Map<string, Watched>();
  /** Watched users noted online since the last tick: checked at the next (their holder may be dead already). */
  private readonly fresh = new Set<string>();
  private liveProcs = new Set<string>();
  /**
   * Processes seen live before and missing since (dead, or closed), with when that was seen: their
   * members may outlive their entry in the live set by up to a tick, and count for nobody.
   */
  private readonly gone = new Map<string, number>();
  private timer: { cancel(): void } | null = null;
  private closed = false;

  constructor(
    private readonly eph: Ephemeral,
    private readonly store: Store,
    private readonly delivery: Delivery,
    private readonly events: DomainEvents,
    private readonly clock: Clock,
    readonly options: PresenceOptions,
    private readonly hooks: PresenceHooks,
  ) {
    delivery.onPresence = (recipient, p) => this.note(recipient, p);
  }

  /** Registers this process as live (before it takes connections) and starts the refresh ticks. */
  async start(): Promise<void> {
    await this.tick();
    this.schedule();
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = this.clock.setTimeout(() => {
      void this.tick().finally(() => this.schedule());
    }, Math.max(1, Math.floor(this.options.ttlMs / 3)));
  }

  /** A connection of `userId` was authenticated here. Never throws. */
  async connected(userId: string): Promise<void> {
    const n = this.local.get(userId) ?? 0;
    this.local.set(userId, n + 1);
    if (n > 0) return;
    const set = setOf(userId);
    const pending = this.leaving.get(userId);
    try {
      if (pending) {
        // Back within the grace period: nobody was told it was gone.
        pending.cancel();
        this.leaving.delete(userId);
        await this.eph.addMember(set, this.options.processId, this.options.ttlMs);
      } else {
        const before = this.holders(await this.eph.members(set));
        await Promise.all([
          this.eph.addMember(set, this.options.processId, this.options.ttlMs),
          this.eph.set(seenOf(userId), String(this.clock.now()), MAX_TTL_MS),
        ]);
        if (before.length === 0 && this.local.has(userId)) await this.announce(userId, { userId, online: true, lastSeen: null });
      }
      // Gone again while this ran: its member must not outlive the grace period.
      if (!this.local.has(userId)) await this.eph.addMember(set, this.options.processId, this.options.graceMs);
    } catch (err) {
      this.hooks.onError(err, 'presence: marking a user online');
    }
  }

  /** A connection of `userId` here is gone. Never throws. */
  async disconnected(userId: string): Promise<void> {
    const n = (this.local.get(userId) ?? 1) - 1;
    if (n > 0) {
      this.local.set(userId, n);
      return;
    }
    this.local.delete(userId);
    if (this.closed) return;
    const since = this.clock.now();
    this.leaving.get(userId)?.cancel();
    // A little after the member's grace TTL has run out, so it no longer counts anywhere.
    this.leaving.set(
      userId,
      this.clock.setTimeout(() => {
        this.leaving.delete(userId);
        void this.graceOver(userId, since);
      }, this.options.graceMs + 50),
    );
    try {
      await Promise.all([
        this.eph.addMember(setOf(userId), this.options.processId, this.options.graceMs),
        this.eph.set(seenOf(userId), String(since), MAX_TTL_MS),
      ]);
    } catch (err) {
      this.hooks.onError(err, 'presence: marking a user leaving');
    }
  }

  private async graceOver(userId: string, since: number): Promise<void> {
    if (this.local.has(userId) || this.closed) return;
    try {
      const others = this.holders(await this.eph.members(setOf(userId))).filter((m) => m !== this.options.processId);
      if (others.length === 0 && !this.local.has(userId)) await this.announce(userId, { userId, online: false, lastSeen: since });
    } catch (err) {
      this.hooks.onError(err, 'presence: marking a user offline');
    }
  }

  /** Pushes `p` to the user's direct-conversation peers, unless the user hides presence (or `force`). */
  private async announce(userId: string, p: Presence, force = false): Promise<void> {
    const [visible, peers] = await Promise.all([force || this.store.getPresenceVisible(userId), this.store.presencePeers(userId)]);
    if (visible && peers.length > 0) await this.events.emit({ type: 'presence.changed', presence: p, audience: peers });
  }

  /**
   * The presence of those of `userIds` that `viewerId` shares a conversation with (the others
   * are left out); hidden users are offline without a last seen. Throws `unavailable` when the
   * Ephemeral backend is down.
   */
  async query(viewerId: string, userIds: string[]): Promise<Presence[]> {
    const audience = await this.store.presenceAudience(viewerId, userIds);
    return Promise.all(
      audience.map(async ({ userId, visible }): Promise<Presence> => {
        if (!visible) return { userId, online: false, lastSeen: null };
        const online = this.local.has(userId) || this.holders(await this.eph.members(setOf(userId))).length > 0;
        const seen = online ? null : await this.eph.get(seenOf(userId));
        const p: Presence = { userId, online, lastSeen: seen === null ? null : Number(seen) };
        this.note(viewerId, p);
        return p;
      }),
    );
  }

  /** Shows or hides the user's presence; their peers see them come online or go offline now. */
  async setVisible(userId: string, visible: boolean): Promise<{ visible: boolean }> {
    const before = await this.store.getPresenceVisible(userId);
    await this.store.setPresenceVisible(userId, visible);
    if (before !== visible) {
      try {
        const online = this.local.has(userId) || this.holders(await this.eph.members(setOf(userId))).length > 0;
        if (online) await this.announce(userId, { userId, online: visible, lastSeen: null }, true);
      } catch (err) {
        this.hooks.onError(err, 'presence: announcing a visibility change');
      }
    }
    return { visible };
  }

  /** A presence push reached `recipient` here, or they asked: they watch that user from now on. */
  private note(recipient: string, p: Presence): void {
    let w = this.watched.get(p.userId);
    if (!w) this.watched.set(p.userId, (w = { online: p.online, watchers: new Set() }));
    w.online = p.online;
    w.watchers.add(recipient);
    if (p.online) this.fresh.add(p.userId);
  }

  /** Refreshes this process's entries, then looks for processes that have gone. */
  private async tick(): Promise<void> {
    if (this.closed) return;
    const now = String(this.clock.now());
    const { processId, ttlMs } = this.options;
    try {
      // Users first, the process last: its entry never outlives theirs. A slice at a time, with
      // the event loop free between slices: all at once, 2,000 users held it 19 ms (a CPU profile
      // of the fan-out bench), every delivery waiting behind; 15,000 would hold it ~150 ms.
      const users = [...this.local.keys()];
      for (let i = 0; i < users.length; i += REFRESH_SLICE) {
        if (i > 0) await new Promise((r) => setImmediate(r));
        await Promise.all(
          users
            .slice(i, i + REFRESH_SLICE)
            .map((u) => Promise.all([this.eph.addMember(setOf(u), processId, ttlMs), this.eph.set(seenOf(u), now, MAX_TTL_MS)])),
        );
      }
      await this.eph.addMember(PROCS, processId, ttlMs);
      const procs = new Set(await this.eph.members(PROCS));
      const at = this.clock.now();
      const gone = [...this.liveProcs].filter((p) => !procs.has(p));
      for (const p of gone) this.gone.set(p, at);
      // After two TTLs no member of theirs is left anywhere.
      for (const [p, since] of this.gone) if (procs.has(p) || at - since > 2 * ttlMs) this.gone.delete(p);
      const someGone = gone.length > 0;
      this.liveProcs = procs;
      const check = someGone ? [...this.watched.keys()] : [...this.fresh];
      this.fresh.clear();
      await this.recheck(check, procs);
    } catch (err) {
      this.hooks.onError(err, 'presence: refreshing');
    }
    this.prune();
  }

  /** The members of a presence set that still count: not of a process seen gone. */
  private holders(members: string[]): string[] {
    return this.gone.size === 0 ? members : members.filter((m) => !this.gone.has(m));
  }

  /** Pushes offline, to the watchers here, each watched online user no live process holds. */
  private async recheck(userIds: string[], procs: Set<string>): Promise<void> {
    await Promise.all(
      userIds.map(async (userId) => {
        const w = this.watched.get(userId);
        if (!w?.online || this.local.has(userId)) return;
        const held = (await this.eph.members(setOf(userId))).some((m) => procs.has(m));
        if (held) return;
        const seen = await this.eph.get(seenOf(userId));
        const p: Presence = { userId, online: false, lastSeen: seen === null ? null : Number(seen) };
        w.online = false;
        const frame = outbound(encodeFrame({ type: 'presence', presence: p }));
        for (const watcher of w.watchers) this.delivery.sendToLocalUser(watcher, frame);
      }),
    );
  }

  /** Forgets watchers with no connection here, and users nobody here watches. */
  private prune(): void {
    for (const [userId, w] of this.watched) {
      for (const watcher of w.watchers) if (!this.local.has(watcher)) w.watchers.delete(watcher);
      if (w.watchers.size === 0) this.watched.delete(userId);
    }
  }

  /**
   * Stops refreshing and takes this process out of the live set, so that other processes check
   * its users at their next tick (those who reconnected elsewhere meanwhile stay online, without
   * a second `online`).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    for (const t of this.leaving.values()) t.cancel();
    this.leaving.clear();
    const users = [...this.local.keys()];
    try {
      // Kept for the grace period only: a user reconnecting elsewhere meanwhile is not announced
      // again; the other processes count only live processes' members when they re-check.
      const now = String(this.clock.now());
      await Promise.all(
        users.map((u) => Promise.all([this.eph.addMember(setOf(u), this.options.processId, this.options.graceMs), this.eph.set(seenOf(u), now, MAX_TTL_MS)])),
      );
      await this.eph.removeMember(PROCS, this.options.processId);
    } catch (err) {
      this.hooks.onError(err, 'presence: leaving the live set');
    }
  }
}
