/** Store contract: users and devices. Run through runStoreContract in ../store.ts. */
import { describe, expect, it } from 'vitest';
import { HOUR, sorted, T0, type StoreHarness } from './harness.js';

export function accountsContract(t: StoreHarness): void {
  // --- users --------------------------------------------------------------------------------

  describe('users', () => {
    it('creates a user and returns the stored record', async () => {
      const u = await t.store.createUser({
        id: 'u1',
        username: 'Alice',
        passwordHash: 'h',
        displayName: 'Alice A',
        avatarUrl: null,
        createdAt: T0,
      });
      expect(u).toEqual({
        id: 'u1',
        username: 'Alice',
        passwordHash: 'h',
        displayName: 'Alice A',
        avatarUrl: null,
        createdAt: T0,
        disabledAt: null,
      });
      expect(await t.store.getUser('u1')).toEqual(u);
    });

    it('refuses a username taken case-insensitively and keeps the original', async () => {
      await t.user('alice');
      expect(
        await t.store.createUser({
          id: 'u2',
          username: 'ALICE',
          passwordHash: null,
          displayName: null,
          avatarUrl: null,
          createdAt: T0,
        }),
      ).toBeNull();
      expect(await t.store.getUser('u2')).toBeNull();
      expect((await t.store.getUserByUsername('alice'))?.id).toBe('u_alice');
    });

    it('looks users up by id and by username in any case', async () => {
      const id = await t.user('Bob');
      expect((await t.store.getUserByUsername('bob'))?.id).toBe(id);
      expect((await t.store.getUserByUsername('BOB'))?.username).toBe('Bob');
      expect(await t.store.getUserByUsername('nobody')).toBeNull();
      expect(await t.store.getUser('missing')).toBeNull();
      expect(sorted(await t.store.existingUserIds([id, 'missing']))).toEqual([id]);
    });

    it('updates only the given profile fields and the password hash', async () => {
      const id = await t.user('carol');
      await t.store.updateProfile(id, { displayName: 'Carol', avatarUrl: 'https://a/c.png' });
      const u = await t.store.updateProfile(id, { displayName: null });
      expect(u).toMatchObject({ displayName: null, avatarUrl: 'https://a/c.png' });
      await t.store.setPasswordHash(id, 'new-hash');
      expect((await t.store.getUser(id))?.passwordHash).toBe('new-hash');
      expect(await t.store.updateProfile('missing', { displayName: 'x' })).toBeNull();
    });
  });

  // --- devices ------------------------------------------------------------------------------

  describe('devices', () => {
    it('creates a live device', async () => {
      const alice = await t.user('alice');
      const d = await t.store.createDevice({
        id: 'd1',
        userId: alice,
        name: 'phone',
        refreshHash: 'h1',
        refreshExpiresAt: T0 + HOUR,
        createdAt: T0,
      });
      expect(d).toEqual({
        id: 'd1',
        userId: alice,
        name: 'phone',
        refreshHash: 'h1',
        refreshExpiresAt: T0 + HOUR,
        createdAt: T0,
        lastSeenAt: T0,
        revokedAt: null,
      });
      expect(await t.store.getDevice('d1')).toEqual(d);
      expect(await t.store.getDevice('missing')).toBeNull();
    });

    it('lists live devices newest first, without revoked ones or other users', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const d1 = await t.device(alice, T0);
      const d2 = await t.device(alice, T0 + 10);
      const d3 = await t.device(alice, T0 + 20);
      await t.device(bob, T0 + 30);
      expect(await t.store.revokeDevice(alice, d2.id, T0 + 40)).toBe(true);
      expect((await t.store.listDevices(alice)).map((d) => d.id)).toEqual([d3.id, d1.id]);
    });

    it('rotates a current refresh hash', async () => {
      const alice = await t.user('alice');
      const d = await t.device(alice, T0, 'h1');
      const out = await t.store.rotateRefresh(d.id, 'h1', { hash: 'h2', expiresAt: T0 + 2 * HOUR }, T0 + 5);
      expect(out).toEqual({
        kind: 'rotated',
        device: { ...d, refreshHash: 'h2', refreshExpiresAt: T0 + 2 * HOUR, lastSeenAt: T0 + 5 },
      });
      expect((await t.store.getDevice(d.id))?.refreshHash).toBe('h2');
    });

    it('revokes the device when an old refresh hash is replayed', async () => {
      const alice = await t.user('alice');
      const d = await t.device(alice, T0, 'h1');
      await t.store.rotateRefresh(d.id, 'h1', { hash: 'h2', expiresAt: T0 + HOUR }, T0 + 5);
      const out = await t.store.rotateRefresh(d.id, 'h1', { hash: 'h3', expiresAt: T0 + HOUR }, T0 + 6);
      expect(out.kind).toBe('reused');
      if (out.kind === 'reused') expect(out.device).toMatchObject({ id: d.id, revokedAt: T0 + 6 });
      expect((await t.store.getDevice(d.id))?.revokedAt).toBe(T0 + 6);
      expect(await t.store.listDevices(alice)).toEqual([]);
      // The thief's token is dead, and so is the legitimate one.
      expect(await t.store.rotateRefresh(d.id, 'h2', { hash: 'h4', expiresAt: T0 + HOUR }, T0 + 7)).toEqual({
        kind: 'revoked',
      });
    });

    it('treats a refresh hash that was never issued as unknown, without revoking (regression: anyone knowing a device id could sign it out)', async () => {
      const alice = await t.user('alice');
      const d = await t.device(alice, T0, 'h1');
      expect(await t.store.rotateRefresh(d.id, 'forged', { hash: 'h2', expiresAt: T0 + HOUR }, T0 + 5)).toEqual({ kind: 'unknown' });
      expect((await t.store.getDevice(d.id))?.revokedAt).toBeNull();
      expect((await t.store.rotateRefresh(d.id, 'h1', { hash: 'h2', expiresAt: T0 + HOUR }, T0 + 6)).kind).toBe('rotated');
    });

    it('recognises a replay of any of the recent earlier hashes', async () => {
      const alice = await t.user('alice');
      const d = await t.device(alice, T0, 'h1');
      for (let i = 1; i < 6; i++) await t.store.rotateRefresh(d.id, `h${i}`, { hash: `h${i + 1}`, expiresAt: T0 + HOUR }, T0 + i);
      expect((await t.store.rotateRefresh(d.id, 'h2', { hash: 'x', expiresAt: T0 + HOUR }, T0 + 10)).kind).toBe('reused');
    });

    it('reports expired, revoked and unknown devices without rotating', async () => {
      const alice = await t.user('alice');
      const d = await t.device(alice, T0, 'h1');
      expect(
        await t.store.rotateRefresh(d.id, 'h1', { hash: 'h2', expiresAt: T0 + 3 * HOUR }, T0 + HOUR),
      ).toEqual({ kind: 'expired' });
      expect((await t.store.getDevice(d.id))?.refreshHash).toBe('h1');
      await t.store.revokeDevice(alice, d.id, T0 + 1);
      expect(await t.store.rotateRefresh(d.id, 'h1', { hash: 'h2', expiresAt: T0 + HOUR }, T0 + 2)).toEqual({
        kind: 'revoked',
      });
      expect(
        await t.store.rotateRefresh('missing', 'h1', { hash: 'h2', expiresAt: T0 + HOUR }, T0 + 2),
      ).toEqual({ kind: 'unknown' });
    });

    it('revokes a device only for its owner, once', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const d = await t.device(alice);
      expect(await t.store.revokeDevice(bob, d.id, T0 + 1)).toBe(false);
      expect((await t.store.getDevice(d.id))?.revokedAt).toBeNull();
      expect(await t.store.revokeDevice(alice, d.id, T0 + 2)).toBe(true);
      expect(await t.store.revokeDevice(alice, d.id, T0 + 3)).toBe(false);
      expect((await t.store.getDevice(d.id))?.revokedAt).toBe(T0 + 2);
      expect(await t.store.revokeDevice(alice, 'missing', T0 + 3)).toBe(false);
    });

    it('revokes all other live devices of the user and returns their ids', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const keep = await t.device(alice, T0);
      const d2 = await t.device(alice, T0 + 1);
      const d3 = await t.device(alice, T0 + 2);
      const old = await t.device(alice, T0 + 3);
      await t.store.revokeDevice(alice, old.id, T0 + 4);
      const bobs = await t.device(bob);
      expect(sorted(await t.store.revokeOtherDevices(alice, keep.id, T0 + 5))).toEqual(
        sorted([d2.id, d3.id]),
      );
      expect((await t.store.listDevices(alice)).map((d) => d.id)).toEqual([keep.id]);
      expect((await t.store.getDevice(old.id))?.revokedAt).toBe(T0 + 4);
      expect((await t.store.listDevices(bob)).map((d) => d.id)).toEqual([bobs.id]);
      expect(await t.store.revokeOtherDevices(alice, null, T0 + 6)).toEqual([keep.id]);
      expect(await t.store.listDevices(alice)).toEqual([]);
    });
  });
}
