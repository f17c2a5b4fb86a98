/**
 * SqliteWorkerStore's side of the search indexer thread (search-indexer-thread.ts): starts it,
 * starts it again a second after it dies (a search meanwhile waits its bound), and asks it to
 * catch up before a search. Requests still waiting when a thread dies are sent again to the
 * next one, which answers them against what is committed then (a superset).
 */
import { Worker } from 'node:worker_threads';
import { threadScript } from './thread-script.js';

/** How often the thread indexes what was committed since its last pass. */
const INDEX_INTERVAL_MS = 250;
/** How long after a thread died the next one starts. */
const RESTART_MS = 1000;

export class SearchIndexerHost {
  private worker: Worker | null = null;
  private stopping: Promise<void> | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, () => void>();

  constructor(
    private readonly path: string,
    private readonly searchPath: string,
    /** A pass failed, or the thread did. */
    private readonly onError: (err: Error) => void,
  ) {
    this.start();
  }

  private start(): void {
    const w = new Worker(threadScript('search-indexer-thread'), {
      workerData: { path: this.path, searchPath: this.searchPath, intervalMs: INDEX_INTERVAL_MS },
    });
    this.worker = w;
    w.on('message', (m: { caughtUp?: number; failed?: string }) => {
      if (m.caughtUp !== undefined) {
        const done = this.waiting.get(m.caughtUp);
        this.waiting.delete(m.caughtUp);
        done?.();
      } else if (m.failed !== undefined) {
        this.onError(new Error(`search indexing failed: ${m.failed}`));
      }
    });
    w.on('error', (err) => this.onError(err));
    w.once('exit', () => {
      if (this.stopping || this.worker !== w) return;
      this.worker = null;
      setTimeout(() => {
        if (this.stopping) return;
        this.start();
        for (const id of this.waiting.keys()) this.worker?.postMessage({ catchUp: id });
      }, RESTART_MS).unref();
    });
    w.unref();
  }

  /**
   * Resolves true once the index covers every message committed now, or false after
   * `timeoutMs` (the indexer down, or behind on a large rebuild): the caller searches anyway.
   */
  catchUp(timeoutMs: number): Promise<boolean> {
    if (this.stopping) return Promise.resolve(false);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(false);
      }, timeoutMs);
      this.waiting.set(id, () => {
        clearTimeout(timer);
        resolve(true);
      });
      this.worker?.postMessage({ catchUp: id });
    });
  }

  /** Stops the thread after its current transaction (a stuck one is ended after 5 s). */
  stop(): Promise<void> {
    this.stopping ??= new Promise((resolve) => {
      const w = this.worker;
      // The store closes next: nothing would be searched after.
      for (const done of this.waiting.values()) done();
      this.waiting.clear();
      if (!w) return resolve();
      const done = () => resolve();
      w.once('exit', done);
      w.once('message', (m: { stopped?: true }) => {
        if (m.stopped) done();
      });
      // Kept alive until it has stopped (it is unref'd while it runs).
      w.ref();
      w.postMessage({ stop: true });
      setTimeout(() => void w.terminate().then(done, done), 5000).unref();
    });
    return this.stopping;
  }

  /** Ends the thread as a crash would (tests): another starts a second later. */
  kill(): Promise<number> {
    return this.worker?.terminate() ?? Promise.resolve(0);
  }
}
