/**
 * Group commit: sends that arrive while a commit is running (or within one event-loop turn)
 * are stored together in one Store transaction, so durability costs one commit per batch,
 * not per message. On a store whose appends run strictly in call order (`appendsInOrder`, the
 * SQLite thread) up to `pipeline` batches are handed over at once once `pipelineAt` sends wait:
 * under a saturating load the next batch is gathered and sent while the previous one commits,
 * so the thread never idles between waves. Below that, sends wait for the commit in flight to
 * come back and go together in the next one: the thread runs batches one after the other, so a
 * batch handed over early would not commit sooner, it would only wait there — and each commit
 * has a fixed cost (its WAL pages, the hand-over both ways) that small batches pay per message
 * (the direct benchmark at 2,000 round trips/s: 4.5 sends per commit, ~180 µs per commit).
 * Elsewhere (PostgreSQL: batches on different connections could take
 * a conversation's row lock in either order) one batch at a time, so one process never races
 * itself and a sender's messages keep their order.
 */
import type { AppendOutcome, NewMessage, Store } from '../store/store.js';

interface Pending {
  message: NewMessage;
  /** performance.now() when submitted. */
  at: number;
  resolve: (outcome: AppendOutcome) => void;
  reject: (err: unknown) => void;
}

export class Committer {
  private queue: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly pipeline: number;
  /**
   * Each batch committed, for metrics: its size, how long its oldest send waited before the
   * batch left (for a free pipeline slot, or the end of the event-loop turn) and how long the
   * store took to answer (the commit, with the hand-over to the SQLite thread or the database's
   * round trip), in seconds.
   */
  onBatch: (size: number, queuedS: number, commitS: number) => void = () => {};

  constructor(
    private readonly store: Store,
    private readonly maxBatch = 512,
    pipeline = 4,
    /** Sends waiting before a batch is handed over while another commits (see above). */
    private readonly pipelineAt = 32,
  ) {
    this.pipeline = store.appendsInOrder === true ? pipeline : 1;
  }

  submit(message: NewMessage): Promise<AppendOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ message, at: performance.now(), resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when nothing is queued or committing (used by graceful shutdown). */
  async drained(): Promise<void> {
    while (this.inFlight > 0 || this.queue.length > 0) await new Promise((r) => setImmediate(r));
  }

  /** The next batch leaves once this event-loop turn's sends are in, if a slot is free. */
  private schedule(): void {
    if (this.scheduled || !this.mayHandOver()) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** A batch may leave now: nothing is committing, or enough waits to pipeline (see the top). */
  private mayHandOver(): boolean {
    if (this.queue.length === 0 || this.inFlight >= this.pipeline) return false;
    return this.inFlight === 0 || this.queue.length >= this.pipelineAt;
  }

  private flush(): void {
    if (!this.mayHandOver()) return;
    const batch = this.queue.splice(0, this.maxBatch);
    const left = performance.now();
    this.inFlight++;
    this.store.appendMessages(batch.map((p) => p.message)).then(
      (outcomes) => {
        this.inFlight--;
        this.onBatch(batch.length, (left - batch[0]!.at) / 1000, (performance.now() - left) / 1000);
        batch.forEach((p, i) => p.resolve(outcomes[i]!));
        this.schedule();
      },
      (err: unknown) => {
        this.inFlight--;
        for (const p of batch) p.reject(err);
        this.schedule();
      },
    );
    // A queue longer than one batch goes on at once when the pipeline has room.
    if (this.queue.length > 0) this.schedule();
  }
}
