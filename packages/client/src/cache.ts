/**
 * The client's local cache: conversations, the messages it has shown, the sync token and the
 * outbox. Pluggable so a browser can keep it in IndexedDB and a reopened client catches up
 * incrementally; MemoryCache is the default. Methods are async so storage can be too.
 */
import type { Conversation, MediaMessageType, Message } from '@natter/protocol/wire';

export interface PendingSend {
  clientMsgId: string;
  conversationId: string;
  msgType: 'text' | 'custom' | MediaMessageType;
  body: unknown;
  replyTo?: string;
  /** User ids and/or "all" (SendOptions.mentions). */
  mentions?: string[];
  createdAt: number;
  /** A media send: its file's upload, which must finish before the message is sent. */
  upload?: PendingUpload;
}

/** Where a media send's upload stands; shown with the pending message (progress bars). */
export interface PendingUpload {
  uploadId: string | null;
  type: string;
  name: string | null;
  total: number;
  sent: number;
  done: boolean;
}

export interface ClientCache {
  getSyncToken(): Promise<string | null>;
  setSyncToken(token: string): Promise<void>;
  getConversation(id: string): Promise<Conversation | null>;
  putConversation(conversation: Conversation): Promise<void>;
  listConversations(): Promise<Conversation[]>;
  /** The highest seq such that every visible entry up to it is stored (0 if none). */
  getLastSeq(conversationId: string): Promise<number>;
  /** Appends entries that continue the log exactly (seq = lastSeq + 1, + 2 …). */
  appendMessages(conversationId: string, messages: Message[]): Promise<void>;
  /** Older history fetched by paging backwards (stored before what is there). */
  prependMessages(conversationId: string, messages: Message[]): Promise<void>;
  getMessages(conversationId: string): Promise<Message[]>;
  /**
   * Replaces a held message (same conversation and seq) with its new state (recalled, edited,
   * reacted to); does nothing if not held. Optional for caches written before message actions:
   * without it, held messages keep their old state until fetched again.
   */
  replaceMessage?(message: Message): Promise<void>;
  listOutbox(): Promise<PendingSend[]>;
  putOutbox(item: PendingSend): Promise<void>;
  removeOutbox(clientMsgId: string): Promise<void>;
}

interface ConversationLog {
  lastSeq: number;
  messages: Message[];
}

/** In-memory cache. Pass the same instance to a new client to simulate a reopened app. */
export class MemoryCache implements ClientCache {
  private token: string | null = null;
  private readonly conversations = new Map<string, Conversation>();
  private readonly logs = new Map<string, ConversationLog>();
  private readonly outbox = new Map<string, PendingSend>();

  private log(id: string): ConversationLog {
    let l = this.logs.get(id);
    if (!l) this.logs.set(id, (l = { lastSeq: 0, messages: [] }));
    return l;
  }

  async getSyncToken(): Promise<string | null> {
    return this.token;
  }
  async setSyncToken(token: string): Promise<void> {
    this.token = token;
  }
  async getConversation(id: string): Promise<Conversation | null> {
    return this.conversations.get(id) ?? null;
  }
  async putConversation(c: Conversation): Promise<void> {
    this.conversations.set(c.id, c);
    const l = this.log(c.id);
    // Entries before joinedSeq are not visible: the log starts just before it.
    if (l.lastSeq < c.membership.joinedSeq - 1) l.lastSeq = c.membership.joinedSeq - 1;
  }
  async listConversations(): Promise<Conversation[]> {
    return [...this.conversations.values()];
  }
  async getLastSeq(id: string): Promise<number> {
    return this.log(id).lastSeq;
  }
  async appendMessages(id: string, messages: Message[]): Promise<void> {
    const l = this.log(id);
    for (const m of messages) {
      if (m.seq !== l.lastSeq + 1) throw new Error(`cache: seq ${m.seq} does not follow ${l.lastSeq}`);
      l.messages.push(m);
      l.lastSeq = m.seq;
    }
  }
  async prependMessages(id: string, messages: Message[]): Promise<void> {
    const l = this.log(id);
    const first = l.messages[0]?.seq ?? l.lastSeq + 1;
    l.messages.unshift(...messages.filter((m) => m.seq < first));
  }
  async getMessages(id: string): Promise<Message[]> {
    return [...this.log(id).messages];
  }
  async replaceMessage(m: Message): Promise<void> {
    const l = this.log(m.conversationId);
    const i = l.messages.findIndex((x) => x.seq === m.seq);
    if (i >= 0) l.messages[i] = m;
  }
  async listOutbox(): Promise<PendingSend[]> {
    return [...this.outbox.values()];
  }
  async putOutbox(item: PendingSend): Promise<void> {
    this.outbox.set(item.clientMsgId, item);
  }
  async removeOutbox(clientMsgId: string): Promise<void> {
    this.outbox.delete(clientMsgId);
  }
}
