/**
 * NatsEphemeral: Ephemeral state in a NATS JetStream KV bucket (memory storage: nothing reaches a
 * disk), for several Natter processes sharing a NATS server or cluster. Entry layout, and why each
 * entry carries its own expiry, in entries.ts.
 *
 * - set/get/delete are one put, one (direct) get, one delete marker.
 * - addMember/removeMember/increment read the entry and write it back with compare-and-set on its
 *   revision, retrying on conflict; within one process, updates of one key wait for each other,
 *   so conflicts only come from other processes, and increments of one key made meanwhile go
 *   as one write (their sum; each caller still gets its own count).
 * - The bucket (`natter-ephemeral` by default) is created on first connect with a max age of
 *   MAX_TTL_MS plus a margin, so an entry nobody writes again is reclaimed a day after its last
 *   write, and created again after a reconnect if the server lost it (bucket.ts).
 * - Expiry is by the processes' clocks (the injected Clock): keep them in sync (NTP). With
 *   `replicas` > 1 a read may be answered by a replica a moment behind the last write.
 *
 * When NATS is unreachable, every call fails at once with EphemeralUnavailableError instead of
 * waiting in nats.js's reconnect buffer, as do the calls waiting for an answer when the connection
 * drops; a call on a connection that stays open but stops answering fails after `timeoutMs`. The
 * client reconnects forever, every `reconnectDelayMs`.
 *
 * @example
 * const eph = await NatsEphemeral.connect('nats://127.0.0.1:4222', { logger });
 * const { count } = await eph.increment('send:u_1', 1, 10_000);
 */
import { connect, DebugEvents, Events, type ConnectionOptions, type KV, type NatsConnection } from 'nats';
import { errorMessage } from '../../bus/errors.js';
import { parseNatsUrl } from '../../bus/nats/nats-bus.js';
import { systemClock, type Clock } from '../../core/clock.js';
import { checkIncrement, checkPrefix, checkTtl, type Ephemeral, type WindowCount } from '../ephemeral.js';
import { EphemeralUnavailableError, type EphemeralLogger } from '../errors.js';
import { BucketConfigError, isMissingBucket, openBucket, type BucketOptions } from './bucket.js';
import * as entries from './entries.js';

export interface NatsEphemeralOptions {
  /** First token of every key, one token of [A-Za-z0-9_-]. Default `natter`. */
  prefix?: string;
  /** The KV bucket, shared by every prefix. Default `natter-ephemeral`. */
  bucket?: string;
  /** Replicas of the bucket when this process creates it (a JetStream cluster). Default 1. */
  replicas?: number;
  /** How long a call may wait for NATS on an open connection. Default 2000. */
  timeoutMs?: number;
  /** Pause between reconnect attempts. Default 1000. */
  reconnectDelayMs?: number;
  /** Client PING interval; two unanswered PINGs mark the connection stale. Default 10000. */
  pingIntervalMs?: number;
  /** The clock expiries are computed and checked with. Default the system clock. */
  clock?: Clock;
  /** Gets connection state changes (lost, back, closed). Never the URL, keys or values. */
  logger?: EphemeralLogger;
  /** More nats.js options (TLS, authenticator, …); the settings above and those relied on here win. */
  nats?: ConnectionOptions;
}

/** JetStream's error code for a compare-and-set that lost ("wrong last sequence"). */
const WRONG_LAST_SEQUENCE = 10071;

/** Increments of one key that go to NATS as one write: their sum, and the write's answer. */
interface IncrementBatch {
  by: number;
  /** The window of the batch's first increment (a new window is as long as it says). */
  windowMs: number;
  result: Promise<WindowCount>;
}

/** What a read-modify-write decides: the entry to write (null: delete it; undefined: leave it) and the answer. */
type Change<T, R> = { write: T | null | undefined; result: R };

export class NatsEphemeral implements Ephemeral {
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly logger: EphemeralLogger | undefined;
  private connected = true;
  private closing: Promise<void> | null = null;
  /** Calls waiting on NATS, failed at once when the connection drops or the instance closes. */
  private readonly waiting = new Set<(err: Error) => void>();
  /** Set while the bucket is being opened again (after a reconnect, or when it went missing). */
  private reopening: Promise<void> | null = null;
  private reopenFailed = false;
  /** The last update queued per key: this process's updates of one key run one after another. */
  private readonly queues = new Map<string, Promise<void>>();
  /** Per counter key, the increments waiting to go as one write (see increment). */
  private readonly openIncrements = new Map<string, IncrementBatch>();

  /**
   * Connects and opens (or creates) the bucket; rejects with EphemeralUnavailableError if NATS or
   * JetStream cannot be reached now, with BucketConfigError if the bucket keeps entries too briefly.
   * @param url `nats://[user:pass@|token@]host[:port]`, several separated by commas for a cluster.
   */
  static async connect(url: string, options: NatsEphemeralOptions = {}): Promise<NatsEphemeral> {
    const prefix = checkPrefix(options.prefix);
    const timeoutMs = options.timeoutMs ?? 2000;
    let nc: NatsConnection;
    try {
      nc = await connect({
        ...options.nats,
        ...parseNatsUrl(url),
        name: options.nats?.name ?? 'natter-ephemeral',
        maxReconnectAttempts: -1,
        reconnectTimeWait: options.reconnectDelayMs ?? 1000,
        pingInterval: options.pingIntervalMs ?? 10_000,
        maxPingOut: 2,
      });
    } catch (err) {
      throw new EphemeralUnavailableError('cannot connect to NATS', err);
    }
    const bucket = { name: options.bucket ?? 'natter-ephemeral', replicas: options.replicas ?? 1, timeoutMs };
    let kv: KV;
    try {
      kv = await openBucket(nc, bucket);
    } catch (err) {
      await nc.close();
      if (err instanceof BucketConfigError) throw err;
      throw new EphemeralUnavailableError('NATS JetStream unavailable: cannot open the KV bucket', err);
    }
    return new NatsEphemeral(nc, kv, bucket, prefix, options);
  }

  private constructor(
    private readonly nc: NatsConnection,
    private kv: KV,
    private readonly bucket: BucketOptions,
    private readonly prefix: string,
    options: NatsEphemeralOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.timeoutMs = bucket.timeoutMs;
    this.logger = options.logger;
    void this.watch();
    void nc.closed().then((err) => {
      if (err && !this.closing)
        this.logger?.error({ error: errorMessage(err) }, 'ephemeral: NATS connection closed for good');
    });
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    checkTtl(ttlMs);
    const k = entries.kvKey(this.prefix, 'v', key);
    await this.call('set', () =>
      this.kv.put(k, entries.encodeValue({ value, expiresAt: this.clock.now() + ttlMs })),
    );
  }

  async get(key: string): Promise<string | null> {
    const k = entries.kvKey(this.prefix, 'v', key);
    return this.call('get', async () => {
      const e = await this.kv.get(k);
      const entry = e?.operation === 'PUT' ? entries.decodeValue(e.value) : null;
      return entry && entry.expiresAt > this.clock.now() ? entry.value : null;
    });
  }

  async delete(key: string): Promise<void> {
    const k = entries.kvKey(this.prefix, 'v', key);
    await this.call('delete', () => this.kv.delete(k));
  }

  async addMember(set: string, member: string, ttlMs: number): Promise<void> {
    checkTtl(ttlMs);
    await this.update('addMember', 's', set, entries.decodeSet, entries.encodeSet, (members, now) => ({
      write: entries.live(members ?? new Map(), now).set(member, now + ttlMs),
      result: undefined,
    }));
  }

  async removeMember(set: string, member: string): Promise<void> {
    await this.update('removeMember', 's', set, entries.decodeSet, entries.encodeSet, (members, now) => {
      // Nothing to remove: no write, so a removal never races anyone.
      if (!members?.delete(member)) return { write: undefined, result: undefined };
      return { write: entries.live(members, now).size > 0 ? members : null, result: undefined };
    });
  }

  async members(set: string): Promise<string[]> {
    const k = entries.kvKey(this.prefix, 's', set);
    return this.call('members', async () => {
      const e = await this.kv.get(k);
      const members = e?.operation === 'PUT' ? entries.decodeSet(e.value) : null;
      return members ? [...entries.live(members, this.clock.now()).keys()] : [];
    });
  }

  /**
   * Increments of one key made while an earlier one is still at NATS are coalesced: they go as
   * ONE compare-and-set adding their sum, and each caller gets the count it would have had alone
   * (the counts before it in the batch, plus its own). Without this a key taken by every send
   * (a room's rate window) is one read and one write per increment, one after another, and a
   * few hundred a second queue up for seconds (bench/RESULTS.md, issue 25, "NATS at 500/s").
   */
  async increment(key: string, by: number, windowMs: number): Promise<WindowCount> {
    checkIncrement(by);
    checkTtl(windowMs, 'windowMs');
    const k = entries.kvKey(this.prefix, 'n', key);
    let batch = this.openIncrements.get(k);
    if (!batch) {
      const b = { by: 0, windowMs } as IncrementBatch;
      this.openIncrements.set(k, b);
      b.result = this.update('increment', 'n', key, entries.decodeCounter, entries.encodeCounter, (counter, now) => {
        // The batch closes when its write is decided: later increments make the next batch,
        // and a retried compare-and-set adds the same sum again.
        if (this.openIncrements.get(k) === b) this.openIncrements.delete(k);
        // The window is started by the batch's first increment, as it would have been alone.
        const next =
          counter && counter.endsAt > now
            ? { count: counter.count + b.by, endsAt: counter.endsAt }
            : { count: b.by, endsAt: now + b.windowMs };
        return { write: next, result: { count: next.count, resetInMs: next.endsAt - now } };
      });
      // A batch that failed before its write was decided must not take more increments.
      void b.result.catch(() => {}).finally(() => {
        if (this.openIncrements.get(k) === b) this.openIncrements.delete(k);
      });
      batch = b;
    }
    batch.by += by;
    const upToHere = batch.by;
    const total = await batch.result;
    return { count: total.count - (batch.by - upToHere), resetInMs: total.resetInMs };
  }

  /** Closes the connection; idempotent and prompt. Calls still waiting fail as unavailable. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const fail of [...this.waiting]) fail(new EphemeralUnavailableError('ephemeral state closed'));
      if (!this.nc.isClosed()) await this.nc.close();
    })();
    return this.closing;
  }

  /** Read-modify-write of one entry by compare-and-set on its revision, retried on conflict. */
  private update<T, R>(
    what: string,
    kind: entries.Kind,
    name: string,
    decode: (data: Uint8Array) => T | null,
    encode: (entry: T) => string,
    change: (current: T | null, now: number) => Change<T, R>,
  ): Promise<R> {
    const k = entries.kvKey(this.prefix, kind, name);
    return this.call(what, (answered) =>
      this.serially(k, async () => {
        // Once the caller got its answer (a timeout), stop: a late write would only surprise it.
        while (!answered()) {
          const e = await this.kv.get(k);
          const { write, result } = change(e?.operation === 'PUT' ? decode(e.value) : null, this.clock.now());
          if (write === undefined) return result;
          // A key never written, or aged out of the bucket, has no last sequence: 0 expects that.
          const previousSeq = e?.revision ?? 0;
          try {
            if (write === null) await this.kv.delete(k, { previousSeq });
            else await this.kv.put(k, encode(write), { previousSeq });
            return result;
          } catch (err) {
            if ((err as { api_error?: { err_code?: number } }).api_error?.err_code !== WRONG_LAST_SEQUENCE)
              throw err;
          }
        }
        throw new Error('answered already');
      }),
    );
  }

  /** Runs `op` once the updates of `key` queued before it in this process are done. */
  private serially<T>(key: string, op: () => Promise<T>): Promise<T> {
    const before = this.queues.get(key);
    const run = before ? before.then(op) : op();
    const tail = run.then(
      () => {},
      () => {},
    );
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return run;
  }

  /**
   * Runs `op` unless NATS is known to be unreachable, and settles as soon as it answers, the
   * connection drops or `timeoutMs` passes, whichever is first. `op` can ask whether that happened.
   */
  private call<T>(what: string, op: (answered: () => boolean) => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(new EphemeralUnavailableError('ephemeral state closed'));
    if (!this.connected || this.nc.isClosed())
      return Promise.reject(new EphemeralUnavailableError(`NATS unavailable: ${what} failed`));
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (then: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.waiting.delete(fail);
        then();
      };
      const fail = (err: Error) => finish(() => reject(err));
      const timer = setTimeout(
        () => fail(new EphemeralUnavailableError(`NATS did not answer ${what} within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      this.waiting.add(fail);
      op(() => settled).then(
        (value) => finish(() => resolve(value)),
        (err: unknown) => {
          if (isMissingBucket(err)) this.reopen();
          fail(new EphemeralUnavailableError(`NATS unavailable: ${what} failed`, err));
        },
      );
    });
  }

  /** Opens the bucket again, creating it if the server lost it; one attempt at a time. */
  private reopen(): void {
    this.reopening ??= openBucket(this.nc, this.bucket)
      .then(
        (kv) => {
          this.kv = kv;
          this.reopenFailed = false;
        },
        (err: unknown) => {
          // Calls keep failing as unavailable and each tries again: log the first failure only.
          if (this.closing || this.reopenFailed) return;
          this.reopenFailed = true;
          this.logger?.error({ error: errorMessage(err) }, 'ephemeral: cannot reopen the NATS KV bucket');
        },
      )
      .finally(() => {
        this.reopening = null;
      });
  }

  private async watch(): Promise<void> {
    for await (const s of this.nc.status()) {
      switch (s.type) {
        case Events.Disconnect:
          this.connected = false;
          for (const fail of [...this.waiting])
            fail(new EphemeralUnavailableError('NATS connection lost before it answered'));
          if (!this.closing)
            this.logger?.warn({ server: String(s.data) }, 'ephemeral: NATS connection lost; reconnecting');
          break;
        case Events.Reconnect:
          this.connected = true;
          if (this.closing) break;
          this.logger?.info({ server: String(s.data) }, 'ephemeral: NATS connection back');
          this.reopen();
          break;
        case Events.Error:
          this.logger?.warn({ error: String(s.data) }, 'ephemeral: NATS reported an error');
          break;
        case Events.LDM:
        case Events.Update:
        case DebugEvents.Reconnecting:
        case DebugEvents.PingTimer:
        case DebugEvents.StaleConnection:
        case DebugEvents.ClientInitiatedReconnect:
          break;
      }
    }
  }
}
