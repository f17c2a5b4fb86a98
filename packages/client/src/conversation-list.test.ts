/** Unit tests of the SDK's conversation list over a scripted source (no server). */
import { describe, expect, it } from 'vitest';
import type { Conversation, Message } from '@natter/protocol';
import { ConversationList, type ConversationListSource } from './conversation-list.js';

function view(id: string, o: Partial<Conversation> & { readSeq?: number } = {}): Conversation {
  const { readSeq = 1, ...rest } = o;
  return {
    id,
    kind: 'group',
    title: null,
    lastSeq: 1,
    createdAt: 0,
    members: ['me', 'ann'],
    membership: { role: 'member', state: 'active', joinedSeq: 1, leftSeq: null, readSeq },
    lastMessage: null,
    lastActivityAt: 0,
    unreadCount: 0,
    mentioned: false,
    pinned: false,
    muted: false,
    archived: false,
    ...rest,
  };
}

const msg = (conversationId: string, seq: number, senderId = 'ann', extra: Partial<Message> = {}): Message => ({
  id: `m${seq}`,
  conversationId,
  seq,
  senderId,
  type: 'text',
  body: { text: `#${seq}` },
  clientMsgId: null,
  replyTo: null,
  createdAt: seq * 1000,
  ...extra,
});

/** A source whose events the test fires, and whose server answers `getConversation` from `server`. */
function source() {
  const listeners = { conversation: [] as ((c: Conversation) => void)[], message: [] as ((m: Message) => void)[] };
  const server = new Map<string, Conversation>();
  let asked = 0;
  const s: ConversationListSource = {
    userId: 'me',
    on: ((event: 'conversation' | 'message', l: (v: never) => void) => {
      (listeners[event] as unknown[]).push(l);
      return () => {};
    }) as ConversationListSource['on'],
    getConversation: async (id) => {
      asked++;
      return server.get(id)!;
    },
    conversations: async () => [],
    lastAppliedSeq: async () => 0,
  };
  return {
    s,
    server,
    asked: () => asked,
    view: (c: Conversation) => listeners.conversation.forEach((l) => l(c)),
    message: (m: Message) => listeners.message.forEach((l) => l(m)),
  };
}

describe('ConversationList', () => {
  it('counts live messages after a view as the server does: others\' only, system entries never, own ones read everything', async () => {
    const src = source();
    const list = new ConversationList(src.s);
    src.view(view('c1', { lastSeq: 3, unreadCount: 2 }));
    src.message(msg('c1', 4));
    src.message(msg('c1', 5, 'ann', { type: 'system' }));
    expect(list.get('c1')).toMatchObject({ unreadCount: 3, lastSeq: 5, lastActivityAt: 5000 });
    src.message(msg('c1', 6, 'ann', { mentions: ['me'] }));
    expect(list.get('c1')).toMatchObject({ unreadCount: 4, mentioned: true });
    // Entries the view already counted are not counted again (a catch-up after the view).
    src.message(msg('c1', 3));
    expect(list.get('c1')?.unreadCount).toBe(4);
    src.message(msg('c1', 7, 'me'));
    expect(list.get('c1')).toMatchObject({ unreadCount: 0, mentioned: false, membership: { readSeq: 7 } });
  });

  it('sorts pinned first, then newest activity; the badge leaves out muted and left conversations', () => {
    const src = source();
    const list = new ConversationList(src.s);
    src.view(view('old', { lastActivityAt: 1, unreadCount: 1 }));
    src.view(view('new', { lastActivityAt: 9, unreadCount: 2 }));
    src.view(view('pin', { lastActivityAt: 0, pinned: true, unreadCount: 4 }));
    src.view(view('quiet', { lastActivityAt: 5, muted: true, unreadCount: 8 }));
    src.view(view('gone', { lastActivityAt: 3, unreadCount: 16, membership: { role: 'member', state: 'left', joinedSeq: 1, leftSeq: 2, readSeq: 1 } }));
    expect(list.items.map((c) => c.id)).toEqual(['pin', 'new', 'quiet', 'gone', 'old']);
    expect(list.totalUnread).toBe(7);
  });

  it('does not go back to a view older than what it has applied: it asks for the current one', async () => {
    const src = source();
    const list = new ConversationList(src.s);
    src.view(view('c1', { lastSeq: 3, unreadCount: 2 }));
    src.message(msg('c1', 4));
    src.server.set('c1', view('c1', { lastSeq: 4, unreadCount: 1, readSeq: 3 }));
    // A read from another device, taken before entry 4: applying it would lose entry 4's count.
    src.view(view('c1', { lastSeq: 3, unreadCount: 0, readSeq: 3 }));
    expect(list.get('c1')?.unreadCount).toBe(3);
    await list.settled();
    expect(src.asked()).toBe(1);
    expect(list.get('c1')).toMatchObject({ unreadCount: 1, lastSeq: 4, membership: { readSeq: 3 } });
    // A view whose read cursor is behind the one shown is stale too.
    src.server.set('c1', view('c1', { lastSeq: 4, unreadCount: 1, readSeq: 3 }));
    src.view(view('c1', { lastSeq: 4, unreadCount: 3, readSeq: 1 }));
    await list.settled();
    expect(list.get('c1')?.unreadCount).toBe(1);
  });
});
