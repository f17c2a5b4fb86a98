/**
 * The Store contract: one vitest suite that every Store implementation runs (SQLite today,
 * PostgreSQL later), so they all keep the guarantees documented in store.ts. It talks to the
 * Store interface only — no SQL, no implementation classes. The tests live in contract/, one
 * file per area.
 *
 * @example
 * runStoreContract('sqlite', async () => {
 *   const dir = mkdtempSync(join(tmpdir(), 'natter-store-'));
 *   const open = () => new SqliteStore({ path: join(dir, 'natter.db'), durability: 'normal' });
 *   const stores = [open()];
 *   return {
 *     store: stores[0]!,
 *     reopen: async () => (stores.push(open()), stores.at(-1)!),
 *     cleanup: async () => {
 *       for (const s of stores) await s.close();
 *       rmSync(dir, { recursive: true, force: true });
 *     },
 *   };
 * });
 */
import { afterEach, beforeEach, describe, it } from 'vitest';
import { accountsContract } from './contract/accounts.js';
import { conversationsContract } from './contract/conversations.js';
import { StoreHarness, type StoreFixture } from './contract/harness.js';
import { membershipContract } from './contract/membership.js';
import { messagesContract } from './contract/messages.js';
import { syncContract } from './contract/sync.js';
import { viewsContract } from './contract/views.js';

export type { StoreFixture } from './contract/harness.js';

/** Registers the Store contract suite; `createStore` is called for a fresh store per test. */
export function runStoreContract(name: string, createStore: () => Promise<StoreFixture>): void {
  describe(`Store contract: ${name}`, () => {
    const t = new StoreHarness();
    beforeEach(() => t.setUp(createStore));
    afterEach(() => t.fx.cleanup());

    it('close is idempotent', async () => {
      await t.store.close();
      await t.store.close();
    });

    accountsContract(t);
    conversationsContract(t);
    membershipContract(t);
    messagesContract(t);
    syncContract(t);
    viewsContract(t);
  });
}
