import type { Conversation, Message, NatterAuth, NatterClient } from '@natter/client';
import { describe, expect, it } from 'vitest';
import { ConversationList } from './conversation-list.js';
import { MessageStore } from './message-store.js';
import { People } from './people.js';

const ME = 'me';

const conv = (id: string, extra: Partial<Conversation> = {}): Conversation => ({
  id,
  kind: 'direct',
  title: null,
  lastSeq: 0,
  createdAt: 100,
  members: [ME, 'ann'],
  membership: { role: 'member', state: 'active', joinedSeq: 1, leftSeq: null, readSeq: 0 },
  lastMessage: null,
  lastActivityAt: 100,
  unreadCount: 0,
  mentioned: false,
  pinned: false,
  muted: false,
  archived: false,
  ...extra,
});

const msg = (conversationId: string, seq: number, senderId = 'ann'): Message => ({
  id: `${conversationId}-${seq}`,
  conversationId,
  seq,
  senderId,
  type: 'text',
  body: { text: 'hi' },
  clientMsgId: null,
  replyTo: null,
  createdAt: 1000 + seq,
});

function setup() {
  const asked: string[] = [];
  // Profiles are never answered here: names stay unknown ('…') and every lookup is recorded.
  const auth = {
    request: (_method: string, path: string) => {
      asked.push(path);
      return new Promise(() => undefined);
    },
  } as unknown as NatterAuth;
  const store = new MessageStore();
  const people = new People(ME, {} as NatterClient, auth, () => undefined);
  return { list: new ConversationList(ME, store, people), store, asked };
}

describe('ConversationList', () => {
  it('puts pinned conversations first, then the most recently active, and looks members up once', () => {
    const { list, store, asked } = setup();
    list.put(conv('a', { createdAt: 300 }));
    list.put(conv('b', { createdAt: 200, pinned: true }));
    list.put(conv('c', { createdAt: 100 }));
    expect(list.items.map((c) => c.id)).toEqual(['b', 'a', 'c']);
    store.add(msg('c', 1));
    list.noteMessage(msg('c', 1));
    expect(list.items.map((c) => c.id)).toEqual(['b', 'c', 'a']);
    expect(asked).toEqual(['/v1/users/me', '/v1/users/ann']);
  });

  it("counts someone else's new message as unread, not our own, and reading clears it", () => {
    const { list } = setup();
    list.put(conv('a'));
    list.noteMessage(msg('a', 1));
    list.noteMessage(msg('a', 2, ME));
    const a = list.find('a')!;
    expect(a.lastSeq).toBe(2);
    expect(list.unreadOf(a)).toBe(1);
    list.markReadUpTo(a, 2);
    expect(list.find('a')!.membership.readSeq).toBe(2);
    expect(list.totalUnread()).toBe(0);
  });

  it('leaves muted conversations out of the total and names a direct chat after the peer', () => {
    const { list } = setup();
    list.put(conv('a', { unreadCount: 2 }));
    list.put(conv('b', { unreadCount: 5, muted: true }));
    expect(list.totalUnread()).toBe(2);
    expect(list.peerOf(list.find('a')!)).toBe('ann');
    expect(list.titleOf(list.find('a')!)).toBe('…');
    expect(list.titleOf(conv('g', { kind: 'group', title: 'Team' }))).toBe('Team');
  });
});
