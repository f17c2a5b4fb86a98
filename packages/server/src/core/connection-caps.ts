/**
 * Counts live connections per key (a user id, a client address) against a cap, so one user or
 * one address cannot hold thousands of sockets (each costs memory, a file descriptor and a slot
 * in every fan-out). Per process: in a cluster each process enforces its own share.
 */
export class ConnectionCaps {
  private readonly open = new Map<string, number>();

  /** @param max connections per key; 0 means no cap. */
  constructor(private readonly max: number) {}

  /**
   * Takes a slot for `key`; false when the key already holds `max`. Every true must be matched
   * by one `release(key)`.
   * @example
   * if (!caps.acquire(ip)) return refuse();
   * socket.once('close', () => caps.release(ip));
   */
  acquire(key: string): boolean {
    const n = this.open.get(key) ?? 0;
    if (this.max > 0 && n >= this.max) return false;
    this.open.set(key, n + 1);
    return true;
  }

  release(key: string): void {
    const n = this.open.get(key) ?? 0;
    // Forget keys at zero: the map holds only keys with live connections.
    if (n <= 1) this.open.delete(key);
    else this.open.set(key, n - 1);
  }

  count(key: string): number {
    return this.open.get(key) ?? 0;
  }
}

/** What Session needs of a per-user cap: a slot per authenticated connection, given back at close. */
export interface ConnectionSlots {
  acquire(key: string): boolean;
  release(key: string): void;
}

/**
 * A cap on connections per user that counts what Delivery already registers (its per-user
 * connections) instead of keeping a count of its own per user. Exact as long as the caller
 * registers the connection in the same synchronous step as `acquire` (Session: acquire, then
 * Delivery.attach, which registers before its first await), so two auths of one user cannot
 * both pass on the same count; a connection is counted until Delivery.detach.
 */
export class RegisteredConnectionCap implements ConnectionSlots {
  /** @param max connections per user; 0 means no cap. */
  constructor(
    private readonly max: number,
    private readonly registered: (userId: string) => number,
  ) {}

  acquire(userId: string): boolean {
    return this.max <= 0 || this.registered(userId) < this.max;
  }

  /** Nothing to give back: the connection stops counting when it is detached. */
  release(): void {}
}
