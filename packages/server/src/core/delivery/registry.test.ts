/**
 * The registry keeps a user's only connection as itself and a Set from the second on: the
 * answers must not depend on which form a user is in, through every add and remove.
 */
import { describe, expect, it } from 'vitest';
import type { Connection } from '../connection.js';
import { newAttachment, Registry } from './registry.js';

const conn = (): Connection => ({ send: () => {}, close: () => {} }) as unknown as Connection;

describe('Registry by user', () => {
  it('counts, lists and removes a user’s connections from one to three and back to none', () => {
    const r = new Registry();
    const [a, b, c] = ['d1', 'd2', 'd3'].map((d) => newAttachment(conn(), 'u', d)) as [ReturnType<typeof newAttachment>, ReturnType<typeof newAttachment>, ReturnType<typeof newAttachment>];
    expect(r.connectionsOf('u')).toBeUndefined();
    expect(r.addUser(a)).toBe(true);
    expect([...r.connectionsOf('u')!]).toEqual([a]);
    expect(r.addUser(b)).toBe(false);
    expect(r.addUser(c)).toBe(false);
    expect(r.countOf('u')).toBe(3);
    expect(r.connectionCount).toBe(3);
    expect(r.removeUser(b)).toBe('more');
    expect(r.removeUser(b)).toBe('absent');
    expect(r.isAttached(b)).toBe(false);
    expect(r.removeUser(a)).toBe('more');
    expect([...r.connectionsOf('u')!]).toEqual([c]);
    expect(r.isAttached(c)).toBe(true);
    expect(r.removeUser(a)).toBe('absent');
    expect(r.removeUser(c)).toBe('last');
    expect(r.connectionsOf('u')).toBeUndefined();
    expect(r.countOf('u')).toBe(0);
    expect(r.users()).toEqual([]);
    // A connection not registered leaves a registered one alone.
    r.addUser(a);
    expect(r.removeUser(b)).toBe('absent');
    expect(r.isAttached(a)).toBe(true);
    expect(r.connectionCount).toBe(1);
  });

  it('adding the same connection twice keeps one', () => {
    const r = new Registry();
    const a = newAttachment(conn(), 'u', 'd1');
    r.addUser(a);
    r.addUser(a);
    expect(r.countOf('u')).toBe(1);
    expect(r.removeUser(a)).toBe('last');
  });
});
