/**
 * Participants take turns, one at a time, round-robin (A B C A B C …); one that is done leaves
 * the rotation. Find-max interleaves the trials of every target with it: on a shared host whose
 * speed drifts over minutes, each target's trial then runs within seconds of the others' at a
 * similar step, instead of one target's whole climb running minutes before the next one's.
 */
export class Lockstep {
  private readonly order: string[];
  /** Index in `order` of the participant whose turn it is. */
  private at = 0;
  private running = false;
  private readonly waiting = new Map<string, () => void>();

  constructor(names: readonly string[]) {
    this.order = [...names];
  }

  /** Runs `fn` at `name`'s next turn, after everyone before it in the rotation has had theirs. */
  async turn<T>(name: string, fn: () => Promise<T>): Promise<T> {
    if (!this.order.includes(name)) throw new Error(`${name} is not in the rotation`);
    if (this.waiting.has(name)) throw new Error(`${name} is already waiting for its turn`);
    await new Promise<void>((resolve) => {
      this.waiting.set(name, resolve);
      this.dispatch();
    });
    try {
      return await fn();
    } finally {
      this.running = false;
      this.at = (this.order.indexOf(name) + 1) % this.order.length;
      this.dispatch();
    }
  }

  /** Leaves the rotation (done, or failed): the others no longer wait for this one's turn. */
  leave(name: string): void {
    const i = this.order.indexOf(name);
    if (i < 0) return;
    this.order.splice(i, 1);
    this.waiting.delete(name);
    if (i < this.at) this.at--;
    if (this.at >= this.order.length) this.at = 0;
    this.dispatch();
  }

  private dispatch(): void {
    if (this.running || this.order.length === 0) return;
    const go = this.waiting.get(this.order[this.at]!);
    if (!go) return;
    this.waiting.delete(this.order[this.at]!);
    this.running = true;
    go();
  }
}
