/**
 * For Natter targets: group-commit batches, the p99 buckets of in-server send, commit and queue
 * time, the SQLite thread's busy share and bytes written to storage per message over one run,
 * from the server's /metrics and /proc. Other targets (and cluster mode) record nothing.
 */
import { ioBytes } from './proc.js';
import { NatterTarget, type CommitTotals } from '../targets/natter.js';
import type { RunningTarget } from '../targets/target.js';

export /** For Natter: group-commit batches and bytes written to storage per message (what limited a run). */
class CommitProbe {
  private c0: CommitTotals = {
    commits: 0,
    messages: 0,
    sendBuckets: new Map(),
    commitBuckets: new Map(),
    queueBuckets: new Map(),
    sqliteBusyS: 0,
    gcS: 0,
    gcOver10ms: 0,
    loopLagMaxS: 0,
  };
  private io0 = { wchar: 0, writeBytes: 0 };
  private t0 = 0;
  constructor(private readonly t: RunningTarget) {}
  async start(): Promise<void> {
    // Cluster mode: each worker has its own /metrics, so one scrape would see half.
    if (!(this.t instanceof NatterTarget) || this.t.name === 'natter-cluster') return;
    this.c0 = await this.t.commitTotals();
    this.io0 = ioBytes(this.t.pid);
    this.t0 = performance.now();
  }
  async stop(): Promise<Record<string, number>> {
    if (!(this.t instanceof NatterTarget) || this.t.name === 'natter-cluster') return {};
    const c1 = await this.t.commitTotals();
    const io1 = ioBytes(this.t.pid);
    const commits = c1.commits - this.c0.commits;
    const messages = c1.messages - this.c0.messages;
    // The bucket holding the 99th percentile (its upper bound in ms; -1 past the last) of the
    // in-server `send` time (commit wait included), of commits, and of the wait before them.
    const p99 = (pick: (c: CommitTotals) => Map<number, number>) => {
      const before = pick(this.c0);
      const buckets = [...pick(c1)]
        .map(([le, n]) => [le, n - (before.get(le) ?? 0)] as const)
        .sort((x, y) => x[0] - y[0]);
      const total = buckets.at(-1)?.[1] ?? 0;
      const le = buckets.find(([, n]) => n >= 0.99 * total)?.[0] ?? Number.NaN;
      return Number.isFinite(le) ? le * 1000 : -1;
    };
    const wallS = (performance.now() - this.t0) / 1000;
    const sqliteBusy = (100 * (c1.sqliteBusyS - this.c0.sqliteBusyS)) / wallS;
    return {
      serverSendP99LeMs: p99((c) => c.sendBuckets),
      commitP99LeMs: p99((c) => c.commitBuckets),
      commitQueueP99LeMs: p99((c) => c.queueBuckets),
      commitBatchAvg: Math.round((10 * messages) / commits) / 10,
      commitsPerS: Math.round(commits / wallS),
      // % of one core the SQLite thread was busy (the rest of the server's CPU beyond the event
      // loop is the checkpointer and V8's helpers).
      ...(Number.isFinite(sqliteBusy) && { sqliteThreadBusy: Math.round(sqliteBusy * 10) / 10 }),
      // The event loop's share of the run spent in garbage collection (%), and its pauses over 10 ms.
      gcLoopPct: Math.round((1000 * (c1.gcS - this.c0.gcS)) / wallS) / 10,
      gcPausesOver10ms: c1.gcOver10ms - this.c0.gcOver10ms,
      // The server's longest event-loop stall in the run (the scrape at start reset the monitor;
      // its 10 ms timer is part of the figure).
      serverLoopLagMaxMs: Math.round(c1.loopLagMaxS * 10000) / 10,
      diskKBPerMsg: Math.round((10 * (io1.writeBytes - this.io0.writeBytes)) / 1024 / messages) / 10,
    };
  }
}
