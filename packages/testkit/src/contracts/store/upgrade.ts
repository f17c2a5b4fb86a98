/**
 * The idempotency-index upgrade checks shared by the SQLite and PostgreSQL migration tests: a send
 * stored by an older release must still be recognised when its sender retries it after the
 * upgrade (nothing stored twice, guarantee 2 of DESIGN.md).
 */
import { expect } from 'vitest';
import type { NewMessage, Store } from '@natter/server';

/** A user, a group and one stored send with clientMsgId `k1`; returns the send. */
export async function storeOneSend(store: Store): Promise<NewMessage> {
  await store.createUser({ id: 'u1', username: 'alice', passwordHash: null, displayName: null, avatarUrl: null, createdAt: 1 });
  await store.createConversation({
    id: 'c1',
    kind: 'group',
    title: null,
    createdBy: 'u1',
    members: [{ userId: 'u1', role: 'owner' }],
    createdMessageId: 'm1',
    createdAt: 2,
  });
  const send: NewMessage = { id: 'm2', conversationId: 'c1', senderId: 'u1', type: 'text', body: '{"text":"hi"}', clientMsgId: 'k1', replyTo: null, createdAt: 3 };
  expect(await store.appendMessages([send])).toEqual([{ kind: 'stored', seq: 2 }]);
  return send;
}

/** After the upgrade: the same send again is a duplicate of the stored one, a changed one a conflict. */
export async function expectRetriesRecognised(store: Store, send: NewMessage): Promise<void> {
  expect(await store.appendMessages([{ ...send, id: 'm3', createdAt: 4 }])).toEqual([
    { kind: 'duplicate', message: expect.objectContaining({ id: 'm2', seq: 2 }) },
  ]);
  expect(await store.appendMessages([{ ...send, id: 'm4', body: '{"text":"other"}' }])).toEqual([{ kind: 'conflict' }]);
}
