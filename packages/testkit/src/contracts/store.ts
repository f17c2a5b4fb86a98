/**
 * The Store contract: one vitest suite that every Store implementation runs (memory, SQLite in
 * process and on its thread, PostgreSQL), so they all keep the guarantees documented in
 * @natter/server's store/store.ts. It talks to the Store interface only — no SQL, no
 * implementation classes. The tests live in store/, one file per area.
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
import { accountsContract } from './store/accounts.js';
import { adminContract } from './store/admin.js';
import { contactsContract } from './store/contacts.js';
import { searchContract } from './store/search.js';
import { conversationsContract } from './store/conversations.js';
import { groupsContract } from './store/groups.js';
import { StoreHarness, type StoreFixture } from './store/harness.js';
import { mediaContract } from './store/media.js';
import { messageActionsContract } from './store/message-actions.js';
import { hiddenContract } from './store/hidden.js';
import { membershipContract } from './store/membership.js';
import { messagesContract } from './store/messages.js';
import { receiptsContract } from './store/receipts.js';
import { presenceContract } from './store/presence.js';
import { syncContract } from './store/sync.js';
import { unreadContract } from './store/unread.js';
import { roomsContract } from './store/rooms.js';
import { viewsContract } from './store/views.js';

export type { StoreFixture } from './store/harness.js';

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
    adminContract(t);
    conversationsContract(t);
    membershipContract(t);
    messagesContract(t);
    syncContract(t);
    viewsContract(t);
    unreadContract(t);
    receiptsContract(t);
    contactsContract(t);
    searchContract(t);
    presenceContract(t);
    roomsContract(t);
    mediaContract(t);
    groupsContract(t);
    messageActionsContract(t);
    hiddenContract(t);
  });
}
