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
