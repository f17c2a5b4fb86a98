import { describe, expect, it } from 'vitest';
import { ConnectionCaps, RegisteredConnectionCap } from './connection-caps.js';

describe('ConnectionCaps', () => {
  it('gives each key at most max slots and frees one per release', () => {
    const caps = new ConnectionCaps(2);
    expect([caps.acquire('a'), caps.acquire('a'), caps.acquire('a')]).toEqual([true, true, false]);
    expect(caps.acquire('b')).toBe(true);
    caps.release('a');
    expect(caps.count('a')).toBe(1);
    expect(caps.acquire('a')).toBe(true);
  });

  it('forgets a key once its last connection is released', () => {
    const caps = new ConnectionCaps(1);
    caps.acquire('a');
    caps.release('a');
    expect(caps.count('a')).toBe(0);
    expect(caps.acquire('a')).toBe(true);
  });

  it('has no cap at 0', () => {
    const caps = new ConnectionCaps(0);
    for (let i = 0; i < 10_000; i++) expect(caps.acquire('a')).toBe(true);
  });
});

describe('RegisteredConnectionCap', () => {
  it('refuses the max+1th connection of a user from the registered count, per user, and again when one is gone', () => {
    const registered = new Map<string, number>();
    const cap = new RegisteredConnectionCap(2, (u) => registered.get(u) ?? 0);
    const open = (u: string) => {
      const ok = cap.acquire(u);
      if (ok) registered.set(u, (registered.get(u) ?? 0) + 1);
      return ok;
    };
    expect([open('a'), open('a'), open('a')]).toEqual([true, true, false]);
    expect(open('b')).toBe(true);
    registered.set('a', 1);
    expect(open('a')).toBe(true);
    expect(open('a')).toBe(false);
  });

  it('has no cap at 0', () => {
    const cap = new RegisteredConnectionCap(0, () => 1e9);
    expect(cap.acquire('a')).toBe(true);
  });
});
