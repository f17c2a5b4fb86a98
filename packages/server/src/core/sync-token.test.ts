import { describe, expect, it } from 'vitest';
import { SyncTokens } from './sync-token.js';

const tokens = new SyncTokens('a test secret that is long enough for hkdf');

describe('SyncTokens', () => {
  it('round-trips a version for the same user', () => {
    for (const v of [0, 1, 41, 2 ** 40]) expect(tokens.decode('u_1', tokens.encode('u_1', v))).toBe(v);
  });

  it('does not reveal the version: no digits of it, and a fresh token each time', () => {
    const a = tokens.encode('u_1', 123456789);
    const b = tokens.encode('u_1', 123456789);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^v2\.[A-Za-z0-9_-]{50}$/);
    expect(a).not.toContain('123456789');
  });

  it('starts from 0 for a token of the other kind of version (a deployment that moved store)', () => {
    expect(tokens.decode('u_1', tokens.encode('u_1', 77, 'xid'), 'xid')).toBe(77);
    expect(tokens.decode('u_1', tokens.encode('u_1', 77, 'xid'), 'counter')).toBe(0);
    expect(tokens.decode('u_1', tokens.encode('u_1', 77), 'xid')).toBe(0);
    expect(tokens.decode('u_1', 'v1.42', 'xid')).toBe(0);
  });

  it('still accepts v1 tokens from before', () => {
    expect(tokens.decode('u_1', 'v1.42')).toBe(42);
    expect(tokens.decode('u_1', '')).toBe(0);
    expect(tokens.decode('u_1', null)).toBe(0);
  });

  it("starts from 0 for another user's token, a tampered one, or one sealed under another secret", () => {
    const t = tokens.encode('u_1', 77);
    expect(tokens.decode('u_2', t)).toBe(0);
    const flipped = t.slice(0, -2) + (t.endsWith('AA') ? 'AB' : 'AA');
    expect(tokens.decode('u_1', flipped)).toBe(0);
    expect(new SyncTokens('another secret altogether, also long').decode('u_1', t)).toBe(0);
  });

  it('refuses what is no sync token at all', () => {
    for (const bad of ['v1.x', 'v3.abc', 'hello', 'v2.short'])
      expect(() => tokens.decode('u_1', bad)).toThrow(/not a sync token/);
  });
});
