import { describe, expect, it } from 'vitest';
import { newClientMsgId } from './index.js';

describe('generated clientMsgId', () => {
  it('is a UUIDv7 that the protocol accepts', () => {
    const id = newClientMsgId();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('starts with the time, so later ids sort after earlier ones', () => {
    const t = Date.UTC(2026, 10, 29, 12, 0, 0);
    const ids = [0, 1, 255, 256, 65_536, 2 ** 32, 2 ** 40].map((d) => newClientMsgId(t + d));
    expect([...ids].sort()).toEqual(ids);
    // The first 48 bits are the milliseconds themselves.
    expect(parseInt(ids[0]!.replace(/-/g, '').slice(0, 12), 16)).toBe(t);
    expect(parseInt(ids[6]!.replace(/-/g, '').slice(0, 12), 16)).toBe(t + 2 ** 40);
  });

  it('differs between ids made in the same millisecond', () => {
    const t = Date.now();
    const ids = new Set(Array.from({ length: 1000 }, () => newClientMsgId(t)));
    expect(ids.size).toBe(1000);
  });
});
