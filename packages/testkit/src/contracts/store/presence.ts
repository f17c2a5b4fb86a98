/**
 * Store contract: presence settings and the membership questions presence asks — who is pushed a
 * user's presence (active direct peers only) and whom a viewer may ask about (anyone sharing an
 * active conversation with them). Run through runStoreContract.
 */
import { describe, expect, it } from 'vitest';
import { sorted, T0, type StoreHarness } from './harness.js';

export function presenceContract(t: StoreHarness): void {
  describe('presence', () => {
    it('presence is visible until hidden, and setting it is idempotent', async () => {
      const alice = await t.user('alice');
      expect(await t.store.getPresenceVisible(alice)).toBe(true);
      await t.store.setPresenceVisible(alice, false);
      await t.store.setPresenceVisible(alice, false);
      expect(await t.store.getPresenceVisible(alice)).toBe(false);
      await t.store.setPresenceVisible(alice, true);
      expect(await t.store.getPresenceVisible(alice)).toBe(true);
    });

    it('presencePeers lists active direct peers only, each once', async () => {
      const [alice, bob, carol, dave] = [await t.user('alice'), await t.user('bob'), await t.user('carol'), await t.user('dave')];
      await t.store.openDirect(alice, bob, t.direct(alice, bob));
      await t.store.openDirect(carol, alice, t.direct(carol, alice));
      await t.group(alice, [dave, bob]);
      expect(sorted(await t.store.presencePeers(alice))).toEqual(sorted([bob, carol]));
      expect(await t.store.presencePeers(dave)).toEqual([]);
      expect(await t.store.presencePeers('nobody')).toEqual([]);
    });

    it('presenceAudience keeps only users sharing an active conversation, with their visibility', async () => {
      const [alice, bob, carol, dave, erin] = [await t.user('alice'), await t.user('bob'), await t.user('carol'), await t.user('dave'), await t.user('erin')];
      await t.store.openDirect(alice, bob, t.direct(alice, bob));
      const g = await t.group(alice, [carol, dave]);
      await t.store.setPresenceVisible(carol, false);
      const out = await t.store.presenceAudience(alice, [bob, carol, erin, 'nobody', bob]);
      expect(out).toEqual([
        { userId: bob, visible: true },
        { userId: carol, visible: false },
      ]);
      // Dave leaves the group: alice may no longer ask about him, nor he about her.
      expect(await t.store.presenceAudience(alice, [dave])).toEqual([{ userId: dave, visible: true }]);
      await t.store.changeMembership(g.id, { kind: 'leave', userId: dave }, t.nextId('e'), T0 + 1);
      expect(await t.store.presenceAudience(alice, [dave])).toEqual([]);
      expect(await t.store.presenceAudience(dave, [alice])).toEqual([]);
      expect(await t.store.presenceAudience(alice, [])).toEqual([]);
    });
  });
}
