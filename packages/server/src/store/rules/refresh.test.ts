/** Unit tests of refresh-token rotation and reuse detection. */
import { describe, expect, it } from 'vitest';
import { decideRotation, REMEMBERED_REFRESH_HASHES, type RefreshRecord } from './refresh.js';

const device = (over: Partial<RefreshRecord> = {}): RefreshRecord => ({
  refreshHash: 'h3',
  refreshExpiresAt: 100,
  revokedAt: null,
  previousHashes: ['h2', 'h1'],
  ...over,
});

describe('decideRotation', () => {
  it('rotates the current hash, remembering it first', () => {
    expect(decideRotation(device(), 'h3', 50)).toEqual({ kind: 'rotate', remembered: ['h3', 'h2', 'h1'] });
  });

  it('remembers at most REMEMBERED_REFRESH_HASHES, forgetting the oldest', () => {
    const previous = Array.from({ length: REMEMBERED_REFRESH_HASHES }, (_, i) => `p${i}`);
    const d = decideRotation(device({ previousHashes: previous }), 'h3', 50);
    expect(d.kind === 'rotate' && d.remembered).toEqual(['h3', ...previous.slice(0, REMEMBERED_REFRESH_HASHES - 1)]);
  });

  it('calls a replayed earlier hash reuse, even once the current one has expired', () => {
    expect(decideRotation(device(), 'h1', 50)).toEqual({ kind: 'reused' });
    expect(decideRotation(device(), 'h2', 500)).toEqual({ kind: 'reused' });
  });

  it('refuses expired, revoked and unknown tokens', () => {
    expect(decideRotation(device(), 'h3', 100)).toEqual({ kind: 'expired' });
    expect(decideRotation(device({ revokedAt: 10 }), 'h3', 50)).toEqual({ kind: 'revoked' });
    expect(decideRotation(device({ revokedAt: 10 }), 'h1', 50)).toEqual({ kind: 'revoked' });
    expect(decideRotation(device(), 'never', 50)).toEqual({ kind: 'unknown' });
    expect(decideRotation(undefined, 'h3', 50)).toEqual({ kind: 'unknown' });
  });
});
