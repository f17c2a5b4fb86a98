/**
 * A ClientCache in the browser's IndexedDB: conversations, the messages shown, the sync token and
 * the outbox survive a page reload, so a reopened tab shows its chats at once, catches up with an
 * incremental sync, and sends what was typed offline (each send keeps its clientMsgId, so the
 * server stores it once however many times it is retried).
 *
 * One database per user and server (`name`): logging in as someone else never shows the previous
 * user's messages. Messages are rows keyed by [conversationId, seq]; the contiguous end of each
 * log (`lastSeq`) is kept beside them, exactly as MemoryCache keeps it.
 */
import { deleteDB, openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { Conversation, Message } from '@natter/protocol/wire';
import type { ClientCache, PendingSend } from './cache.js';

interface Schema extends DBSchema {
  meta: { key: string; value: string };
  conversations: { key: string; value: Conversation };
  /** Per conversation: every visible entry up to lastSeq is stored. */
  logs: { key: string; value: { conversationId: string; lastSeq: number } };
  messages: { key: [string, number]; value: Message };
  /** `order` keeps sends in the order they were made (several may share a millisecond). */
  outbox: { key: string; value: { clientMsgId: string; order: number; item: PendingSend } };
}

const VERSION = 1;

export class IndexedDbCache implements ClientCache {
  private readonly db: Promise<IDBPDatabase<Schema>>;

  /** `name`: one database per account, e.g. `natter:${origin}:${userId}`. */
  constructor(readonly name: string) {
    this.db = openDB<Schema>(name, VERSION, {
      upgrade(db) {
        db.createObjectStore('meta');
        db.createObjectStore('conversations', { keyPath: 'id' });
        db.createObjectStore('logs', { keyPath: 'conversationId' });
        db.createObjectStore('messages', { keyPath: ['conversationId', 'seq'] });
        db.createObjectStore('outbox', { keyPath: 'clientMsgId' });
      },
    });
  }

  /** Deletes the database (logging out on a shared computer). */
  static async destroy(name: string): Promise<void> {
    await deleteDB(name);
  }

  async close(): Promise<void> {
    (await this.db).close();
  }

  async getSyncToken(): Promise<string | null> {
    return (await (await this.db).get('meta', 'syncToken')) ?? null;
  }
  async setSyncToken(token: string): Promise<void> {
    await (await this.db).put('meta', token, 'syncToken');
  }
  async getConversation(id: string): Promise<Conversation | null> {
    return (await (await this.db).get('conversations', id)) ?? null;
  }
  async putConversation(c: Conversation): Promise<void> {
    const tx = (await this.db).transaction(['conversations', 'logs'], 'readwrite');
    await tx.objectStore('conversations').put(c);
    const logs = tx.objectStore('logs');
    const log = (await logs.get(c.id)) ?? { conversationId: c.id, lastSeq: 0 };
    // Entries before joinedSeq are not visible: the log starts just before it.
    if (log.lastSeq < c.membership.joinedSeq - 1) log.lastSeq = c.membership.joinedSeq - 1;
    await logs.put(log);
    await tx.done;
  }
  async listConversations(): Promise<Conversation[]> {
    return (await this.db).getAll('conversations');
  }
  async getLastSeq(id: string): Promise<number> {
    return (await (await this.db).get('logs', id))?.lastSeq ?? 0;
  }
  async appendMessages(id: string, messages: Message[]): Promise<void> {
    const tx = (await this.db).transaction(['logs', 'messages'], 'readwrite');
    const logs = tx.objectStore('logs');
    const log = (await logs.get(id)) ?? { conversationId: id, lastSeq: 0 };
    for (const m of messages) {
      if (m.seq !== log.lastSeq + 1) {
        tx.abort();
        throw new Error(`cache: seq ${m.seq} does not follow ${log.lastSeq}`);
      }
      await tx.objectStore('messages').put(m);
      log.lastSeq = m.seq;
    }
    await logs.put(log);
    await tx.done;
  }
  async prependMessages(id: string, messages: Message[]): Promise<void> {
    const tx = (await this.db).transaction(['logs', 'messages'], 'readwrite');
    const store = tx.objectStore('messages');
    const first = await store.getKey(IDBKeyRange.bound([id, -Infinity], [id, Infinity]));
    const firstSeq = first ? first[1] : ((await tx.objectStore('logs').get(id))?.lastSeq ?? 0) + 1;
    for (const m of messages) if (m.seq < firstSeq) await store.put(m);
    await tx.done;
  }
  async getMessages(id: string): Promise<Message[]> {
    return (await this.db).getAll('messages', IDBKeyRange.bound([id, -Infinity], [id, Infinity]));
  }
  async replaceMessage(m: Message): Promise<void> {
    const tx = (await this.db).transaction('messages', 'readwrite');
    if ((await tx.store.getKey([m.conversationId, m.seq])) !== undefined) await tx.store.put(m);
    await tx.done;
  }
  async listOutbox(): Promise<PendingSend[]> {
    const rows = await (await this.db).getAll('outbox');
    return rows.sort((a, b) => a.order - b.order).map((r) => r.item);
  }
  async putOutbox(item: PendingSend): Promise<void> {
    const tx = (await this.db).transaction('outbox', 'readwrite');
    const rows = await tx.store.getAll();
    const existing = rows.find((r) => r.clientMsgId === item.clientMsgId);
    const order = existing?.order ?? rows.reduce((max, r) => Math.max(max, r.order), 0) + 1;
    await tx.store.put({ clientMsgId: item.clientMsgId, order, item });
    await tx.done;
  }
  async removeOutbox(clientMsgId: string): Promise<void> {
    await (await this.db).delete('outbox', clientMsgId);
  }
}
