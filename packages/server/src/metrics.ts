/** Prometheus metrics for one server process, served at GET /metrics. */
import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds, for the in-server latency histograms: half a millisecond to a second. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export class Metrics {
  readonly registry = new Registry();
  readonly connections = new Gauge({ name: 'natter_connections', help: 'Open WebSocket connections', registers: [this.registry] });
  readonly authenticated = new Gauge({ name: 'natter_connections_authenticated', help: 'Authenticated connections', registers: [this.registry] });
  /**
   * Acks handled on the spot (Session.quick) since the last scrape: a plain number, added to
   * `natter_frames_in_total{type="ack"}` when scraped (prom-client hashes labels on every inc).
   */
  quickAcks = 0;
  readonly framesIn = new Counter({
    name: 'natter_frames_in_total',
    help: 'Frames received, by type',
    labelNames: ['type'],
    registers: [this.registry],
    collect: () => {
      if (this.quickAcks === 0) return;
      this.framesIn.inc({ type: 'ack' }, this.quickAcks);
      this.quickAcks = 0;
    },
  });
  readonly framesOut = new Counter({ name: 'natter_frames_out_total', help: 'Frames written to connections', registers: [this.registry] });
  readonly errors = new Counter({ name: 'natter_errors_total', help: 'Errors returned to clients, by code', labelNames: ['code'], registers: [this.registry] });
  readonly closes = new Counter({ name: 'natter_connection_closes_total', help: 'Connections closed by the server, by reason', labelNames: ['reason'], registers: [this.registry] });
  readonly frameLatency = new Histogram({
    name: 'natter_frame_duration_seconds',
    help: 'Time to handle a request frame, by type',
    labelNames: ['type'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly httpLatency = new Histogram({
    name: 'natter_http_request_duration_seconds',
    help: 'HTTP request time, by route and status',
    labelNames: ['route', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly busErrors = new Counter({ name: 'natter_bus_errors_total', help: 'Failed bus operations (publish, subscribe)', registers: [this.registry] });
  readonly commitBatch = new Histogram({
    name: 'natter_commit_batch_size',
    help: 'Messages per group commit',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers: [this.registry],
  });
  readonly commitQueue = new Histogram({
    name: 'natter_commit_queue_seconds',
    help: 'Time the oldest send of a group commit waited before the commit began',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly commitDuration = new Histogram({
    name: 'natter_commit_duration_seconds',
    help: 'Time from a group commit handed to the store to its answer',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  /** The embedded store's WAL gauges and its thread's busy time (SQLite only; absent otherwise). */
  constructor(wal?: { walBytes: () => number; checkpointAgeSeconds: () => number; threadBusySeconds: () => number }) {
    collectDefaultMetrics({ register: this.registry });
    // Busy time of the event loop and of the SQLite thread, as counters: their rate is the share
    // of a core each is busy, and whichever nears 1 is what limits the process.
    busySecondsCounter(this.registry, 'natter_event_loop_busy_seconds_total', 'Seconds the event loop spent running (not waiting for I/O); its rate near 1 means it is saturated', () => performance.eventLoopUtilization().active / 1000);
    if (wal) {
      busySecondsCounter(this.registry, 'natter_sqlite_thread_busy_seconds_total', 'Seconds the SQLite thread spent storing and reading (not waiting for requests); its rate near 1 means storage is saturated', wal.threadBusySeconds);
      new Gauge({
        name: 'natter_sqlite_wal_bytes',
        help: 'Bytes in the SQLite WAL since it last started over (normally about a quarter of a second of writes)',
        registers: [this.registry],
        collect() {
          this.set(wal.walBytes());
        },
      });
      new Gauge({
        name: 'natter_sqlite_checkpoint_age_seconds',
        help: 'Seconds since a SQLite checkpoint last ran (normally under a second; growing means checkpoints fail and the WAL grows)',
        registers: [this.registry],
        collect() {
          this.set(wal.checkpointAgeSeconds());
        },
      });
    }
  }
}

/** A counter that follows a cumulative figure read at each scrape. */
function busySecondsCounter(registry: Registry, name: string, help: string, read: () => number): void {
  let seen = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      // Never backwards: a figure read as 0 (the SQLite thread gone) leaves the counter where it is.
      const now = read();
      if (now <= seen) return;
      this.inc(now - seen);
      seen = now;
    },
  });
}
