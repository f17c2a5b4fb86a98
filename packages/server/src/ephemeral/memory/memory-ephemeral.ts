/**
 * In-process Ephemeral state. Single node only — unless several instances share one
 * MemoryEphemeralSpace, which is how cluster logic is tested without Redis or NATS.
 *
 * Every operation runs synchronously inside its call, so each is atomic. Expiry is checked
 * against the injected Clock on every read, so a test moves the clock instead of sleeping; a
 * sweep on the clock's timers reclaims entries nobody reads again (a dead device's presence).
 */
import { systemClock, type Clock } from '../../core/clock.js';
import { checkIncrement, checkPrefix, checkTtl, type Ephemeral, type WindowCount } from '../ephemeral.js';
import { EphemeralUnavailableError } from '../errors.js';

/** How often expired entries are reclaimed while any entry is held. */
const SWEEP_INTERVAL_MS = 5_000;

interface Expiring {
  expiresAt: number;
}
interface Value extends Expiring {
  value: string;
}
interface Counter extends Expiring {
  count: number;
}

/** A set of one member (a user's presence on one process: nearly all of them), without a Map of its own. */
class One {
  constructor(
    readonly member: string,
    public expiresAt: number,
  ) {}
}
type Members = One | Map<string, number>;

/**
 * One prefix's entries, a table per kind, so that a value, a set and a counter of one name are
 * three entries. Keys are stored as the caller gave them: no `<prefix>:<kind>:` string is built
 * and kept per key (two per connected user, for presence).
 */
export class PrefixEntries {
  readonly values = new Map<string, Value>();
  readonly sets = new Map<string, Members>();
  readonly counters = new Map<string, Counter>();
}

/** The shared state: what one Redis or one NATS bucket is to the networked backends. */
export class MemoryEphemeralSpace {
  /** Per prefix: instances attached with one prefix share its entries, other prefixes never see them. */
  private readonly prefixes = new Map<string, PrefixEntries>();
  private sweeper: { cancel(): void } | null = null;

  constructor(readonly clock: Clock = systemClock) {}

  /** A new instance (one "process") on this space. */
  attach(options: { prefix?: string } = {}): MemoryEphemeral {
    return new MemoryEphemeral(this, options.prefix);
  }

  /** @internal The entries under `prefix` (a checked one). */
  entries(prefix: string): PrefixEntries {
    let e = this.prefixes.get(prefix);
    if (e === undefined) this.prefixes.set(prefix, (e = new PrefixEntries()));
    return e;
  }

  /** Entries held, expired ones not yet swept included: for tests and metrics. */
  size(): number {
    let n = 0;
    for (const e of this.prefixes.values()) {
      n += e.values.size + e.counters.size;
      for (const members of e.sets.values()) n += members instanceof One ? 1 : members.size;
    }
    return n;
  }

  /** @internal */
  set(e: PrefixEntries, key: string, value: string, ttlMs: number): void {
    e.values.set(key, { value, expiresAt: this.clock.now() + ttlMs });
    this.armSweep();
  }

  /** @internal */
  get(e: PrefixEntries, key: string): string | null {
    const entry = e.values.get(key);
    if (entry === undefined) return null;
    if (entry.expiresAt > this.clock.now()) return entry.value;
    e.values.delete(key);
    return null;
  }

  /** @internal */
  delete(e: PrefixEntries, key: string): void {
    e.values.delete(key);
  }

  /** @internal */
  addMember(e: PrefixEntries, set: string, member: string, ttlMs: number): void {
    const expiresAt = this.clock.now() + ttlMs;
    const members = e.sets.get(set);
    if (members === undefined) e.sets.set(set, new One(member, expiresAt));
    else if (!(members instanceof One)) members.set(member, expiresAt);
    else if (members.member === member) members.expiresAt = expiresAt;
    else
      e.sets.set(
        set,
        new Map([
          [members.member, members.expiresAt],
          [member, expiresAt],
        ]),
      );
    this.armSweep();
  }

  /** @internal */
  removeMember(e: PrefixEntries, set: string, member: string): void {
    const members = e.sets.get(set);
    if (members instanceof One ? members.member === member : members?.delete(member) && members.size === 0) e.sets.delete(set);
  }

  /** @internal */
  members(e: PrefixEntries, set: string): string[] {
    const members = e.sets.get(set);
    if (members === undefined) return [];
    this.prune(e, set, members, this.clock.now());
    if (members instanceof One) return e.sets.get(set) === members ? [members.member] : [];
    return [...members.keys()];
  }

  /** @internal */
  increment(e: PrefixEntries, key: string, by: number, windowMs: number): WindowCount {
    const now = this.clock.now();
    let counter = e.counters.get(key);
    if (counter === undefined || counter.expiresAt <= now) {
      e.counters.set(key, (counter = { count: 0, expiresAt: now + windowMs }));
      this.armSweep();
    }
    counter.count += by;
    return { count: counter.count, resetInMs: counter.expiresAt - now };
  }

  private prune(e: PrefixEntries, set: string, members: Members, now: number): void {
    if (members instanceof One) {
      if (members.expiresAt <= now) e.sets.delete(set);
      return;
    }
    for (const [member, expiresAt] of members) if (expiresAt <= now) members.delete(member);
    if (members.size === 0) e.sets.delete(set);
  }

  private armSweep(): void {
    this.sweeper ??= this.clock.setTimeout(() => this.sweep(), SWEEP_INTERVAL_MS);
  }

  private sweep(): void {
    this.sweeper = null;
    const now = this.clock.now();
    for (const e of this.prefixes.values()) {
      for (const [key, { expiresAt }] of e.values) if (expiresAt <= now) e.values.delete(key);
      for (const [key, { expiresAt }] of e.counters) if (expiresAt <= now) e.counters.delete(key);
      for (const [set, members] of e.sets) this.prune(e, set, members, now);
    }
    if (this.size() > 0) this.armSweep();
  }
}

/**
 * One process's view of a MemoryEphemeralSpace. `new MemoryEphemeral()` is a single-node instance
 * with a space of its own on the system clock.
 */
export class MemoryEphemeral implements Ephemeral {
  private readonly entries: PrefixEntries;
  private closed = false;

  constructor(
    private readonly space: MemoryEphemeralSpace = new MemoryEphemeralSpace(),
    prefix?: string,
  ) {
    this.entries = space.entries(checkPrefix(prefix));
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    checkTtl(ttlMs);
    this.usable();
    this.space.set(this.entries, key, value, ttlMs);
  }

  async get(key: string): Promise<string | null> {
    this.usable();
    return this.space.get(this.entries, key);
  }

  async delete(key: string): Promise<void> {
    this.usable();
    this.space.delete(this.entries, key);
  }

  async addMember(set: string, member: string, ttlMs: number): Promise<void> {
    checkTtl(ttlMs);
    this.usable();
    this.space.addMember(this.entries, set, member, ttlMs);
  }

  async removeMember(set: string, member: string): Promise<void> {
    this.usable();
    this.space.removeMember(this.entries, set, member);
  }

  async members(set: string): Promise<string[]> {
    this.usable();
    return this.space.members(this.entries, set);
  }

  async increment(key: string, by: number, windowMs: number): Promise<WindowCount> {
    checkIncrement(by);
    checkTtl(windowMs, 'windowMs');
    this.usable();
    return this.space.increment(this.entries, key, by, windowMs);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private usable(): void {
    if (this.closed) throw new EphemeralUnavailableError('ephemeral state closed');
  }
}
