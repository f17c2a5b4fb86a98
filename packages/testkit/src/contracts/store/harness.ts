/**
 * Shared state and helpers of the Store contract: the fixture under test and small builders for
 * users, devices, conversations and messages, all going through the Store interface.
 */
import type { MemberRole, Message } from '@natter/protocol';
import type {
  ConversationState,
  MembershipChange,
  NewConversation,
  NewMessage,
  PageQuery,
  Store,
  SyncPage,
} from '@natter/server';

export interface StoreFixture {
  /** A fresh, empty store. */
  store: Store;
  /** Closes every store the fixture opened and deletes its data. */
  cleanup(): Promise<void>;
  /**
   * Durable backends only: opens another Store on the same data. The suite closes `store`
   * first. Without it the durability tests are skipped.
   */
  reopen?(): Promise<Store>;
}

export const T0 = 1_700_000_000_000;
export const HOUR = 3_600_000;

export const sorted = (xs: string[]): string[] => [...xs].sort();

/**
 * What a send stored at `seq` reads back as: the same fields, the body parsed. Written out here
 * rather than taken from the server's row mapping, so the contract states what it expects.
 */
export const storedMessage = (m: NewMessage, seq: number): Message => ({
  id: m.id,
  conversationId: m.conversationId,
  seq,
  senderId: m.senderId,
  type: m.type,
  body: JSON.parse(m.body) as unknown,
  clientMsgId: m.clientMsgId,
  replyTo: m.replyTo,
  createdAt: m.createdAt,
});

/**
 * One per suite; `setUp` gives it a fresh fixture before each test. Helpers are arrow
 * properties so sections may pass them around. Ids are deterministic within a test.
 */
export class StoreHarness {
  fx!: StoreFixture;
  /** The store under test; the durability tests replace it with a reopened one. */
  store!: Store;
  private counter = 0;

  async setUp(createStore: () => Promise<StoreFixture>): Promise<void> {
    this.counter = 0;
    this.fx = await createStore();
    this.store = this.fx.store;
  }

  nextId = (prefix: string): string => `${prefix}_${++this.counter}`;

  /** Creates a user named `username` with id `u_<username>`. */
  user = async (username: string): Promise<string> => {
    const u = await this.store.createUser({
      id: `u_${username}`,
      username,
      passwordHash: null,
      displayName: null,
      avatarUrl: null,
      createdAt: T0,
    });
    if (!u) throw new Error(`username ${username} taken`);
    return u.id;
  };

  device = (userId: string, createdAt = T0, refreshHash = this.nextId('hash')) =>
    this.store.createDevice({
      id: this.nextId('d'),
      userId,
      name: null,
      refreshHash,
      refreshExpiresAt: createdAt + HOUR,
      createdAt,
    });

  newConversation = (
    kind: 'direct' | 'group',
    createdBy: string,
    members: { userId: string; role: MemberRole }[],
  ): NewConversation => ({
    id: this.nextId('c'),
    kind,
    title: kind === 'group' ? 'Team' : null,
    createdBy,
    members,
    createdMessageId: this.nextId('m'),
    createdAt: T0,
  });

  /** A group owned by `owner`, with `members` (role member) and `admins`. */
  group = async (owner: string, members: string[] = [], admins: string[] = []): Promise<ConversationState> =>
    (
      await this.store.createConversation(
        this.newConversation('group', owner, [
          { userId: owner, role: 'owner' },
          ...admins.map((userId) => ({ userId, role: 'admin' as const })),
          ...members.map((userId) => ({ userId, role: 'member' as const })),
        ]),
      )
    ).state;

  /** A `make` callback for openDirect. */
  direct =
    (a: string, b: string): (() => NewConversation) =>
    () =>
      this.newConversation('direct', a, [
        { userId: a, role: 'member' },
        { userId: b, role: 'member' },
      ]);

  /** A text send with a fresh id and clientMsgId. */
  msg = (
    conversationId: string,
    senderId: string,
    text: string,
    extra: Partial<NewMessage> = {},
  ): NewMessage => {
    const n = ++this.counter;
    return {
      id: `m_${n}`,
      conversationId,
      senderId,
      type: 'text',
      body: JSON.stringify({ text }),
      clientMsgId: `cm_${n}`,
      replyTo: null,
      createdAt: T0 + n,
      ...extra,
    };
  };

  send = async (
    conversationId: string,
    senderId: string,
    text = 'hi',
    extra: Partial<NewMessage> = {},
  ): Promise<Message> => {
    const m = this.msg(conversationId, senderId, text, extra);
    const [o] = await this.store.appendMessages([m]);
    if (o?.kind !== 'stored') throw new Error(`send failed: ${o?.kind}`);
    return storedMessage(m, o.seq);
  };

  sendMany = async (conversationId: string, senderId: string, count: number): Promise<Message[]> => {
    const out: Message[] = [];
    for (let i = 0; i < count; i++) out.push(await this.send(conversationId, senderId, `m${i}`));
    return out;
  };

  change = (conversationId: string, change: MembershipChange) =>
    this.store.changeMembership(conversationId, change, this.nextId('m'), T0 + 1000);

  /** The seqs of one getMessages page, for compact assertions. */
  seqs = async (conversationId: string, userId: string, q: PageQuery) => {
    const page = await this.store.getMessages(conversationId, userId, q);
    if (!page) throw new Error('not a member');
    return { seqs: page.messages.map((m) => m.seq), hasMore: page.hasMore };
  };

  /** Follows changesSince pages until hasMore is false. */
  allChanges = async (userId: string, since: number, limit: number) => {
    const pages: SyncPage[] = [];
    let version = since;
    for (;;) {
      const page = await this.store.changesSince(userId, version, limit);
      pages.push(page);
      version = page.version;
      if (!page.hasMore)
        return { pages, ids: pages.flatMap((p) => p.conversations.map((c) => c.id)), version };
      if (pages.length > 100) throw new Error('changesSince never ends');
    }
  };
}
