/** Store contract: user administration and registration invites (issue 20). Run through runStoreContract in ../store.ts. */
import { describe, expect, it } from 'vitest';
import { HOUR, T0, type StoreHarness } from './harness.js';

export function adminContract(t: StoreHarness): void {
  describe('user administration', () => {
    it('lists users in id order, a page at a time', async () => {
      for (const name of ['carol', 'alice', 'bob', 'dave']) await t.user(name);
      const first = await t.store.listUsers(null, 3);
      expect(first.map((u) => u.id)).toEqual(['u_alice', 'u_bob', 'u_carol']);
      expect(first[0]).toMatchObject({ username: 'alice', disabledAt: null, createdAt: T0 });
      expect((await t.store.listUsers('u_carol', 3)).map((u) => u.id)).toEqual(['u_dave']);
      expect(await t.store.listUsers('u_dave', 3)).toEqual([]);
    });

    it('disabling a user keeps the time and revokes every live device in the same step; enabling clears it', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const [d1, d2, other] = [await t.device(alice), await t.device(alice), await t.device(bob)];
      await t.store.revokeDevice(alice, d2.id, T0 + 1);

      const disabled = await t.store.setUserDisabled(alice, T0 + HOUR);
      expect(disabled).toMatchObject({ id: alice, disabledAt: T0 + HOUR });
      expect((await t.store.getUser(alice))?.disabledAt).toBe(T0 + HOUR);
      expect((await t.store.getUserByUsername('ALICE'))?.disabledAt).toBe(T0 + HOUR);
      expect((await t.store.getDevice(d1.id))?.revokedAt).toBe(T0 + HOUR);
      expect((await t.store.getDevice(d2.id))?.revokedAt).toBe(T0 + 1); // revoked before: unchanged
      expect((await t.store.getDevice(other.id))?.revokedAt).toBeNull();
      expect(await t.store.listDevices(alice)).toEqual([]);

      const enabled = await t.store.setUserDisabled(alice, null);
      expect(enabled?.disabledAt).toBeNull();
      expect((await t.store.getUser(alice))?.disabledAt).toBeNull();
      expect((await t.store.getDevice(d1.id))?.revokedAt).toBe(T0 + HOUR); // devices stay signed out
    });

    it('answers null for a user that does not exist', async () => {
      expect(await t.store.setUserDisabled('u_nobody', T0)).toBeNull();
    });
  });

  describe('invites', () => {
    it('an invite is spent once, however many race for it', async () => {
      await t.store.createInvite({ codeHash: 'h1', createdAt: T0, expiresAt: T0 + HOUR });
      const outcomes = await Promise.all(Array.from({ length: 8 }, () => t.store.useInvite('h1', T0 + 1)));
      expect(outcomes.filter(Boolean)).toHaveLength(1);
      expect(await t.store.useInvite('h1', T0 + 2)).toBe(false);
    });

    it('an unknown or expired invite is refused; one without expiry keeps', async () => {
      await t.store.createInvite({ codeHash: 'old', createdAt: T0, expiresAt: T0 + HOUR });
      await t.store.createInvite({ codeHash: 'forever', createdAt: T0, expiresAt: null });
      expect(await t.store.useInvite('nope', T0)).toBe(false);
      expect(await t.store.useInvite('old', T0 + HOUR)).toBe(false);
      expect(await t.store.useInvite('forever', T0 + 1000 * HOUR)).toBe(true);
    });

    it('a restored invite can be spent again', async () => {
      await t.store.createInvite({ codeHash: 'h2', createdAt: T0, expiresAt: null });
      expect(await t.store.useInvite('h2', T0)).toBe(true);
      await t.store.restoreInvite('h2');
      expect(await t.store.useInvite('h2', T0 + 1)).toBe(true);
    });
  });
}
