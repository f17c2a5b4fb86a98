/**
 * Group commit: sends that arrive while a commit is running (or within one event-loop turn)
 * are stored together in one Store transaction, so durability costs one commit per batch,
 * not per message. Batches run one after another, so one process never races itself.
 */
import type { AppendOutcome, NewMessage, Store } from '../store/store.js';

interface Pending {
  message: NewMessage;
  resolve: (outcome: AppendOutcome) => void;
  reject: (err: unknown) => void;
}

export class Committer {
  private queue: Pending[] = [];
  private running = false;
  /** Sizes of the batches committed, for metrics and tests. */
  onBatch: (size: number) => void = () => {};

  constructor(
    private readonly store: Store,
    private readonly maxBatch = 512,
  ) {}

  submit(message: NewMessage): Promise<AppendOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ message, resolve, reject });
      if (!this.running) {
        this.running = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  /** Resolves when nothing is queued or committing (used by graceful shutdown). */
  async drained(): Promise<void> {
    while (this.running) await new Promise((r) => setImmediate(r));
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const outcomes = await this.store.appendMessages(batch.map((p) => p.message));
        this.onBatch(batch.length);
        batch.forEach((p, i) => p.resolve(outcomes[i]!));
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    this.running = false;
  }
}
