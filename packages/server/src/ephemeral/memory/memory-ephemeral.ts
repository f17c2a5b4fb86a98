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

/** The shared state: what one Redis or one NATS bucket is to the networked backends. */
export class MemoryEphemeralSpace {
  /** Keyed by `<prefix>:<key>`; a prefix never contains ':', so no two prefixes collide. */
  private readonly values = new Map<string, Value>();
  private readonly sets = new Map<string, Members>();
  private readonly counters = new Map<string, Counter>();
  private sweeper: { cancel(): void } | null = null;

  constructor(readonly clock: Clock = systemClock) {}

  /** A new instance (one "process") on this space. */
  attach(options: { prefix?: string } = {}): MemoryEphemeral {
    return new MemoryEphemeral(this, options.prefix);
  }

  /** Entries held, expired ones not yet swept included: for tests and metrics. */
  size(): number {
    let n = this.values.size + this.counters.size;
    for (const members of this.sets.values()) n += members instanceof One ? 1 : members.size;
    return n;
  }

  /** @internal */
  set(key: string, value: string, ttlMs: number): void {
    this.values.set(key, { value, expiresAt: this.clock.now() + ttlMs });
    this.armSweep();
  }

  /** @internal */
  get(key: string): string | null {
    const entry = this.values.get(key);
    if (entry === undefined) return null;
    if (entry.expiresAt > this.clock.now()) return entry.value;
    this.values.delete(key);
    return null;
  }

  /** @internal */
  delete(key: string): void {
    this.values.delete(key);
  }

  /** @internal */
  addMember(set: string, member: string, ttlMs: number): void {
    const expiresAt = this.clock.now() + ttlMs;
    const members = this.sets.get(set);
    if (members === undefined) this.sets.set(set, new One(member, expiresAt));
    else if (!(members instanceof One)) members.set(member, expiresAt);
    else if (members.member === member) members.expiresAt = expiresAt;
    else
      this.sets.set(
        set,
        new Map([
          [members.member, members.expiresAt],
          [member, expiresAt],
        ]),
      );
    this.armSweep();
  }

  /** @internal */
  removeMember(set: string, member: string): void {
    const members = this.sets.get(set);
    if (members instanceof One ? members.member === member : members?.delete(member) && members.size === 0) this.sets.delete(set);
  }

  /** @internal */
  members(set: string): string[] {
    const members = this.sets.get(set);
    if (members === undefined) return [];
    this.prune(set, members, this.clock.now());
    if (members instanceof One) return this.sets.get(set) === members ? [members.member] : [];
    return [...members.keys()];
  }

  /** @internal */
  increment(key: string, by: number, windowMs: number): WindowCount {
    const now = this.clock.now();
    let counter = this.counters.get(key);
    if (counter === undefined || counter.expiresAt <= now) {
      this.counters.set(key, (counter = { count: 0, expiresAt: now + windowMs }));
      this.armSweep();
    }
    counter.count += by;
    return { count: counter.count, resetInMs: counter.expiresAt - now };
  }

  private prune(set: string, members: Members, now: number): void {
    if (members instanceof One) {
      if (members.expiresAt <= now) this.sets.delete(set);
      return;
    }
    for (const [member, expiresAt] of members) if (expiresAt <= now) members.delete(member);
    if (members.size === 0) this.sets.delete(set);
  }

  private armSweep(): void {
    this.sweeper ??= this.clock.setTimeout(() => this.sweep(), SWEEP_INTERVAL_MS);
  }

  private sweep(): void {
    this.sweeper = null;
    const now = this.clock.now();
    for (const [key, { expiresAt }] of this.values) if (expiresAt <= now) this.values.delete(key);
    for (const [key, { expiresAt }] of this.counters) if (expiresAt <= now) this.counters.delete(key);
    for (const [set, members] of this.sets) this.prune(set, members, now);
    if (this.size() > 0) this.armSweep();
  }
}

/**
 * One process's view of a MemoryEphemeralSpace. `new MemoryEphemeral()` is a single-node instance
 * with a space of its own on the system clock.
 */
export class MemoryEphemeral implements Ephemeral {
  private readonly prefix: string;
  private closed = false;

  constructor(
    private readonly space: MemoryEphemeralSpace = new MemoryEphemeralSpace(),
    prefix?: string,
  ) {
    this.prefix = checkPrefix(prefix);
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    checkTtl(ttlMs);
    this.usable();
    this.space.set(this.name('v', key), value, ttlMs);
  }

  async get(key: string): Promise<string | null> {
    this.usable();
    return this.space.get(this.name('v', key));
  }

  async delete(key: string): Promise<void> {
    this.usable();
    this.space.delete(this.name('v', key));
  }

  async addMember(set: string, member: string, ttlMs: number): Promise<void> {
    checkTtl(ttlMs);
    this.usable();
    this.space.addMember(this.name('s', set), member, ttlMs);
  }

  async removeMember(set: string, member: string): Promise<void> {
    this.usable();
    this.space.removeMember(this.name('s', set), member);
  }

  async members(set: string): Promise<string[]> {
    this.usable();
    return this.space.members(this.name('s', set));
  }

  async increment(key: string, by: number, windowMs: number): Promise<WindowCount> {
    checkIncrement(by);
    checkTtl(windowMs, 'windowMs');
    this.usable();
    return this.space.increment(this.name('n', key), by, windowMs);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Kind first, so a value, a set and a counter of one name are three entries. */
  private name(kind: 'v' | 's' | 'n', key: string): string {
    return `${this.prefix}:${kind}:${key}`;
  }

  private usable(): void {
    if (this.closed) throw new EphemeralUnavailableError('ephemeral state closed');
  }
}
