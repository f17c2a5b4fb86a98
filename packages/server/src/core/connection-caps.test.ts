import { describe, expect, it } from 'vitest';
import { ConnectionCaps } from './connection-caps.js';

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
