import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { NatterError } from '@natter/protocol';
import { FlexibleLoginLimiter } from './login-limiter.js';

const limits = { account: 2, ip: 5, delayBaseSeconds: 10, delayMaxSeconds: 35 };

async function code(p: Promise<unknown>): Promise<string | null> {
  try {
    await p;
    return null;
  } catch (err) {
    return err instanceof NatterError ? `${err.code}:${String(err.details?.retryAfterMs ?? '')}` : 'other';
  }
}

describe('FlexibleLoginLimiter', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('delays grow per round (base, 2×base …) up to the maximum, for that address only', async () => {
    const l = FlexibleLoginLimiter.inMemory({ ...limits, ip: 1000 });
    const round = async () => {
      for (let i = 0; i < 2; i++) expect(await code(l.begin('login', 'Alice', '10.0.0.1'))).toBeNull();
      return code(l.begin('login', 'alice', '10.0.0.1'));
    };
    expect(await round()).toBe('rate_limited:10000');
    // Still waiting: the remaining time, not a new round.
    vi.advanceTimersByTime(4000);
    expect(await code(l.begin('login', 'alice', '10.0.0.1'))).toMatch(/^rate_limited:/);
    expect(await code(l.begin('login', 'alice', '10.0.0.2'))).toBeNull();
    vi.advanceTimersByTime(6001);
    expect(await round()).toBe('rate_limited:20000');
    vi.advanceTimersByTime(20_001);
    expect(await round()).toBe('rate_limited:35000');
  });

  it('a success forgets the rounds and gives the address its attempt back', async () => {
    const l = FlexibleLoginLimiter.inMemory(limits);
    await l.begin('login', 'alice', '10.0.0.1');
    await l.succeeded('login', 'alice', '10.0.0.1');
    for (let i = 0; i < 2; i++) expect(await code(l.begin('login', 'alice', '10.0.0.1'))).toBeNull();
    // 1 (given back) + 2 + these 2 of another account = 4 of the address's 5.
    for (let i = 0; i < 2; i++) expect(await code(l.begin('login', 'bob', '10.0.0.1'))).toBeNull();
    expect(await code(l.begin('login', 'carol', '10.0.0.1'))).toBeNull();
    expect(await code(l.begin('login', 'dave', '10.0.0.1'))).toMatch(/^rate_limited:/);
  });

  it('a pair refused by the address limit keeps its attempt', async () => {
    const l = FlexibleLoginLimiter.inMemory({ ...limits, ip: 2 });
    for (let i = 0; i < 2; i++) await l.begin('login', 'bob', '10.0.0.1');
    expect(await code(l.begin('login', 'alice', '10.0.0.1'))).toBe('rate_limited:900000');
    // Each success of bob's gives the address one verification back; alice still has both of hers.
    for (let i = 0; i < 2; i++) {
      await l.succeeded('login', 'bob', '10.0.0.1');
      expect(await code(l.begin('login', 'alice', '10.0.0.1'))).toBeNull();
    }
    await l.succeeded('login', 'bob', '10.0.0.1');
    expect(await code(l.begin('login', 'alice', '10.0.0.1'))).toBe('rate_limited:10000');
  });

  it('logins and password changes do not share counters', async () => {
    const l = FlexibleLoginLimiter.inMemory(limits);
    for (let i = 0; i < 3; i++) await code(l.begin('login', 'u_1', '10.0.0.1'));
    expect(await code(l.begin('password-change', 'u_1', '10.0.0.1'))).toBeNull();
  });

  it('a counter store that fails reads as unavailable, and nothing is verified', async () => {
    const failing = new RateLimiterMemory({ points: 1, duration: 1 });
    failing.consume = () => Promise.reject(new Error('connection refused'));
    const l = new FlexibleLoginLimiter(() => failing, limits);
    expect(await code(l.begin('login', 'alice', '10.0.0.1'))).toBe('unavailable:');
  });
});
