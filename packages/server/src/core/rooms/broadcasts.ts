/**
 * Broadcasts: the public mailbox. An operator or app server sends a notice to every user or to a
 * segment (a list of users); it is stored ONCE (rooms-store.ts), and each user reads it through
 * `broadcast.sync`, which merges the broadcast log with their one small state row at read time:
 * their cursor, their read position (their own unread count), and their fatigue counters.
 *
 * Live: every process subscribes `b:all`; a new broadcast is announced there and each process
 * tells its connected users' devices with a small shared `broadcast` frame (serialised once). The
 * SDK answers it with `broadcast.sync` after a short random delay, so a notice to a million users
 * does not arrive as a million simultaneous reads. What the user is given is decided by the store
 * in one transaction per sync, so each broadcast is given once (a device that lost the answer
 * asks again with its own cursor and gets it again; the SDK drops ids it has shown).
 *
 * Fatigue control (FatigueRules): per user, at most `maxPerWindow` broadcasts per window and at
 * least `minIntervalMs` between two; `important` ones bypass both. Held ones wait, in order.
 */
import type { Broadcast, BroadcastSyncResult } from '@natter/protocol';
import type { Bus } from '../../bus/bus.js';
import type { FatigueRules } from '../../store/rooms-store.js';
import type { Store } from '../../store/store.js';
import type { Clock } from '../clock.js';
import { outbound, type Connection } from '../connection.js';
import { newMessageId } from '../ids.js';

const TOPIC = 'b:all';
/** A segment larger than this is announced to everyone (each user's sync still filters). */
const MAX_NAMED_SEGMENT = 1000;

export interface NewBroadcastInput {
  title: string | null;
  body: unknown;
  important: boolean;
  userIds: string[] | null;
}

/** This process's connected users' connections (Delivery): who a live announcement is told to. */
export interface LocalConnections {
  forEachConnection(fn: (conn: Connection, userId: string) => void): void;
}

export class Broadcasts {
  onError: (err: unknown) => void = () => {};

  constructor(
    private readonly bus: Bus,
    private readonly store: Store,
    private readonly clock: Clock,
    readonly rules: FatigueRules,
    // Delivery's registry, not a list of its own: an idle connection is not kept twice.
    private readonly connections: LocalConnections,
  ) {
    bus.onMessage((topic, payload) => {
      if (topic === TOPIC) this.announce(payload);
    });
  }

  /** Subscribes the announcement topic; resolves once it is active. */
  async start(): Promise<void> {
    await this.bus.subscribe(TOPIC).catch((err: unknown) => this.onError(err));
  }

  async send(input: NewBroadcastInput): Promise<Broadcast> {
    const b = await this.store.createBroadcast({
      id: newMessageId().replace(/^m_/, 'b_'),
      title: input.title,
      body: JSON.stringify(input.body ?? null),
      important: input.important,
      userIds: input.userIds,
      createdAt: this.clock.now(),
    });
    const users = input.userIds !== null && input.userIds.length <= MAX_NAMED_SEGMENT ? input.userIds : null;
    await this.bus.publish(TOPIC, JSON.stringify({ seq: b.seq, users })).catch((err: unknown) => this.onError(err));
    return b;
  }

  sync(userId: string, after: number | undefined): Promise<BroadcastSyncResult> {
    return this.store.takeBroadcasts(userId, after ?? null, this.clock.now(), this.rules);
  }

  read(userId: string, seq: number): Promise<{ seq: number; unread: number }> {
    return this.store.readBroadcasts(userId, seq);
  }

  private announce(payload: string): void {
    let seq: number;
    let users: Set<string> | null;
    try {
      const p = JSON.parse(payload) as { seq: number; users: string[] | null };
      seq = p.seq;
      users = p.users === null ? null : new Set(p.users);
    } catch {
      return;
    }
    const frame = outbound(JSON.stringify({ type: 'broadcast', seq }));
    this.connections.forEachConnection((conn, userId) => {
      if (users === null || users.has(userId)) conn.send(frame);
    });
  }
}
