/**
 * The login and registration limiters on rate-limiter-flexible: in-process counters for one
 * process; in cluster mode the counters live in PostgreSQL (table `login_limits`) so every
 * process sees the same attempts. `consume` is one atomic increment in both, which is what makes
 * "count first, verify after" hold under any number of concurrent requests.
 *
 * Per (account, address): `perAccount` attempts per window; the attempt after that starts a
 * delay that doubles with each round spent (base, 2×base, 4×base … up to max), remembered for a
 * day. Per address: `perIp` password verifications per window, across accounts.
 */
import { createHash } from 'node:crypto';
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { NatterError } from '@natter/protocol';
import type { GuardedAction, LoginLimiter, RegistrationLimiter } from '../core/rate-limit.js';

export interface LoginLimits {
  /** Attempts per (account, address) per window before delays start. */
  account: number;
  /** Password verifications per address per window, across accounts. */
  ip: number;
  /** The first delay once an (account, address) pair has spent its attempts; doubles each round. */
  delayBaseSeconds: number;
  delayMaxSeconds: number;
  windowSeconds?: number;
}

/** Rounds of delays are remembered this long, so waiting out one delay does not reset the next. */
const STRIKE_MEMORY_SECONDS = 86_400;
const DEFAULT_WINDOW_SECONDS = 900;

export type Factory = (keyPrefix: string, points: number, duration: number) => RateLimiterAbstract;

/** Counters in this process. */
export const inMemory: Factory = (keyPrefix, points, duration) =>
  new RateLimiterMemory({ keyPrefix, points, duration });
/** Counters in PostgreSQL (table `login_limits`, created by the store's migrations): the whole cluster shares them. */
export const inPostgres =
  (pool: unknown): Factory =>
  (keyPrefix, points, duration) =>
    new RateLimiterPostgres({
      storeClient: pool,
      tableName: 'login_limits',
      tableCreated: true,
      keyPrefix,
      points,
      duration,
    });

interface Counters {
  pair: RateLimiterAbstract;
  strikes: RateLimiterAbstract;
  ip: RateLimiterAbstract;
}

export class FlexibleLoginLimiter implements LoginLimiter {
  private readonly counters: Record<GuardedAction, Counters>;

  constructor(
    make: Factory,
    private readonly limits: LoginLimits,
  ) {
    const window = limits.windowSeconds ?? DEFAULT_WINDOW_SECONDS;
    // Separate key prefixes: a login for the username `password-change:<id>` must not touch
    // that user's password-change counters (it did when both shared one key space).
    const counters = (prefix: string): Counters => ({
      pair: make(`${prefix}_pair`, limits.account, window),
      strikes: make(`${prefix}_strikes`, Number.MAX_SAFE_INTEGER, STRIKE_MEMORY_SECONDS),
      ip: make(`${prefix}_ip`, limits.ip, window),
    });
    this.counters = { login: counters('login'), 'password-change': counters('pwchange') };
  }

  static inMemory(limits: LoginLimits): FlexibleLoginLimiter {
    return new FlexibleLoginLimiter(inMemory, limits);
  }

  /** Counters in PostgreSQL (table `login_limits`, created by the store's migrations). */
  static postgres(pool: unknown, limits: LoginLimits): FlexibleLoginLimiter {
    return new FlexibleLoginLimiter(inPostgres(pool), limits);
  }

  async begin(action: GuardedAction, account: string, ip: string): Promise<void> {
    const c = this.counters[action];
    const pair = pairKey(account, ip);
    const taken = await guard(c.pair.consume(pair).then(ok, refused));
    if (taken !== true) {
      // Exactly one of any number of concurrent attempts sees the count pass the limit by one:
      // that one starts the next, longer delay.
      if (taken.consumedPoints === this.limits.account + 1) {
        const strikes = await guard(c.strikes.penalty(pair, 1));
        const delay = Math.min(
          this.limits.delayBaseSeconds * 2 ** (strikes.consumedPoints - 1),
          this.limits.delayMaxSeconds,
        );
        await guard(c.pair.block(pair, delay));
        throw limited(delay * 1000);
      }
      throw limited(taken.msBeforeNext);
    }
    const byIp = await guard(c.ip.consume(ip).then(ok, refused));
    if (byIp !== true) {
      // Not verified after all: the pair keeps its attempt for when the address may try again,
      // and the address's count stays the number of verifications (a refused consume still adds).
      await guard(Promise.all([c.pair.reward(pair, 1), c.ip.reward(ip, 1)]));
      throw limited(byIp.msBeforeNext);
    }
  }

  async succeeded(action: GuardedAction, account: string, ip: string): Promise<void> {
    const c = this.counters[action];
    const pair = pairKey(account, ip);
    await guard(Promise.all([c.pair.delete(pair), c.strikes.delete(pair), c.ip.reward(ip, 1)]));
  }
}

/** Registrations per address per hour. */
export class FlexibleRegistrationLimiter implements RegistrationLimiter {
  private readonly limiter: RateLimiterAbstract;

  constructor(make: Factory, perHour: number) {
    this.limiter = make('register_ip', perHour, 3600);
  }

  static inMemory(perHour: number): FlexibleRegistrationLimiter {
    return new FlexibleRegistrationLimiter(inMemory, perHour);
  }

  static postgres(pool: unknown, perHour: number): FlexibleRegistrationLimiter {
    return new FlexibleRegistrationLimiter(inPostgres(pool), perHour);
  }

  async consume(ip: string): Promise<void> {
    const taken = await guard(this.limiter.consume(ip).then(ok, refused));
    if (taken !== true)
      throw new NatterError('rate_limited', 'too many registrations from this address', {
        retryAfterMs: taken.msBeforeNext,
      });
  }
}

/**
 * Usernames are case-insensitive; the key is hashed because the username is whatever a client
 * typed (up to 64 characters of anything) and the PostgreSQL key column is 255 characters.
 */
function pairKey(account: string, ip: string): string {
  return createHash('sha256')
    .update(JSON.stringify([account.toLowerCase(), ip]))
    .digest('base64url');
}

const ok = (): true => true;
/** rate-limiter-flexible rejects with a RateLimiterRes when over the limit, with an Error when its store fails. */
function refused(e: unknown): RateLimiterRes {
  if (e instanceof RateLimiterRes) return e;
  throw e;
}

function limited(retryAfterMs: number): NatterError {
  return new NatterError('rate_limited', 'too many attempts; wait before trying again', {
    retryAfterMs: Math.max(1, Math.ceil(retryAfterMs)),
  });
}

/** The counters' store failing (the database is down) must read as "try later", not a crash. */
async function guard<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof NatterError) throw err;
    throw new NatterError('unavailable', 'login checks are unavailable; retry shortly', undefined, {
      cause: err,
    });
  }
}
