/**
 * What an authenticated Session does with each request frame: the service call that answers it
 * (FRAME_HANDLERS) and the budget it spends (REQUEST_CLASS). One entry per frame type in each,
 * checked by the compiler: a new frame type does not build until both say what it does.
 * `auth` and `ping` are the session's own (session.ts), before any of this.
 */
import type { ClientFrame, GroupFrame, MessageActionFrame } from '@natter/protocol';
import { CONTACT_REQUEST_CLASS, dispatchContactFrame, type ContactFrame } from './contact-frames.js';
import type { Attachment } from './delivery/delivery.js';
import type { RequestClass } from './fair-share.js';
import type { SessionInternals } from './session-context.js';

/** The frames that reach a service: every client frame but the session's own. */
export type RequestType = Exclude<ClientFrame['type'], 'auth' | 'ping'>;
export type RequestFrame<T extends RequestType = RequestType> = Extract<ClientFrame, { type: T }>;

/**
 * Answers one frame for the device `a` of an open session (admitted by its budget already):
 * the result's data, or undefined for no answer. Arguments rather than one context object: an
 * ack comes by the ten thousand a second, and this allocates nothing per frame.
 */
export type FrameHandler<T extends RequestType> = (s: SessionInternals, a: Attachment, frame: RequestFrame<T>) => unknown;

const contacts = (s: SessionInternals, a: Attachment, f: ContactFrame) => dispatchContactFrame(s.deps.contacts, a.userId, f);
const groups = (s: SessionInternals, a: Attachment, f: GroupFrame) => s.deps.groups.dispatch(a.userId, f);
const messageActions = (s: SessionInternals, a: Attachment, f: MessageActionFrame) => s.deps.messageActions.dispatch(a.userId, f);

export const FRAME_HANDLERS: { [T in RequestType]: FrameHandler<T> } = {
  send: (s, a, f) => s.deps.messaging.send(a.userId, f),
  ack: (s, a, f) => s.deps.messaging.ack(a.userId, a.deviceId, f.conversationId, f.seq, s.deps.delivery.shown(a, f.conversationId, f.seq)),
  read: (s, a, f) => s.deps.messaging.read(a.userId, f.conversationId, f.seq),
  sync: (s, a, f) => s.deps.messaging.sync(a.userId, f.since, f.limit, s.wanted()),
  messages: (s, a, f) => s.deps.messaging.messages(a.userId, f, s.wanted()),
  'conversation.direct': (s, a, f) => s.deps.messaging.openDirect(a.userId, f.userId),
  'conversation.create': (s, a, f) => s.deps.messaging.createGroup(a.userId, f.title ?? null, f.members),
  'conversation.get': (s, a, f) => s.deps.messaging.getConversation(a.userId, f.conversationId),
  'conversation.addMembers': (s, a, f) => s.deps.messaging.changeMembership(f.conversationId, { kind: 'add', userIds: f.userIds, by: a.userId }),
  'conversation.removeMember': (s, a, f) => s.deps.messaging.changeMembership(f.conversationId, { kind: 'remove', userId: f.userId, by: a.userId }),
  'conversation.leave': (s, a, f) => s.deps.messaging.changeMembership(f.conversationId, { kind: 'leave', userId: a.userId }),
  'conversation.setRole': (s, a, f) => s.deps.messaging.changeMembership(f.conversationId, { kind: 'role', userId: f.userId, role: f.role, by: a.userId }),
  'conversation.setFlags': (s, a, f) => s.deps.messaging.setFlags(a.userId, f.conversationId, f),
  'receipts.get': (s, a, f) => s.deps.receipts.get(a.userId, f.conversationId, f.seqs),
  'receipts.readers': (s, a, f) => s.deps.receipts.readers(a.userId, f),
  'settings.get': (s, a) => s.deps.settings.get(a.userId),
  'settings.update': (s, a, f) => s.deps.settings.update(a.userId, f.settings),
  'users.lookup': contacts,
  'users.search': contacts,
  'contacts.list': contacts,
  'contacts.requests': contacts,
  'contacts.blocks': contacts,
  'contacts.request': contacts,
  'contacts.accept': contacts,
  'contacts.decline': contacts,
  'contacts.cancel': contacts,
  'contacts.remove': contacts,
  'contacts.block': contacts,
  'contacts.unblock': contacts,
  typing: (s, a, f) => s.deps.typing.typing(a, f.conversationId, f.state),
  'messages.search': (s, a, f) => s.deps.search.search(a.userId, f.query, f),
  'presence.get': async (s, a, f) => ({ users: await s.deps.presence.query(a.userId, f.userIds) }),
  'presence.setVisible': (s, a, f) => s.deps.presence.setVisible(a.userId, f.visible),
  'room.create': (s, a, f) => s.deps.rooms.create(a.userId, f),
  'room.update': (s, a, f) => s.deps.rooms.update(a.userId, f),
  'room.join': (s, a, f) => s.deps.rooms.join(s.conn, a.userId, f),
  'room.leave': (s, _a, f) => s.deps.rooms.leave(s.conn, f.roomId),
  'room.send': (s, a, f) => s.deps.rooms.send(a.userId, f),
  'room.mute': (s, a, f) => s.deps.rooms.mute(a.userId, f),
  'room.kick': (s, a, f) => s.deps.rooms.kick(a.userId, f),
  'broadcast.sync': (s, a, f) => s.deps.broadcasts.sync(a.userId, f.after),
  'broadcast.read': (s, a, f) => s.deps.broadcasts.read(a.userId, f.seq),
  'group.update': groups,
  'group.transfer': groups,
  'group.dissolve': groups,
  'group.mute': groups,
  'group.muteAll': groups,
  'group.invite.create': groups,
  'group.invite.list': groups,
  'group.invite.revoke': groups,
  'group.join': groups,
  'message.recall': messageActions,
  'message.edit': messageActions,
  'message.react': messageActions,
  'message.unreact': messageActions,
  'message.hide': messageActions,
  'message.unhide': messageActions,
};

/** Which budget each store-bound request spends (FairShare). */
export const REQUEST_CLASS: Record<RequestType, RequestClass> = {
  sync: 'read',
  messages: 'read',
  'conversation.get': 'read',
  send: 'write',
  ack: 'write',
  read: 'write',
  'conversation.direct': 'write',
  'conversation.create': 'write',
  'conversation.addMembers': 'write',
  'conversation.removeMember': 'write',
  'conversation.leave': 'write',
  'conversation.setRole': 'write',
  'conversation.setFlags': 'write',
  'receipts.get': 'read',
  'receipts.readers': 'read',
  'settings.get': 'read',
  'settings.update': 'write',
  ...CONTACT_REQUEST_CLASS,
  'messages.search': 'read',
  // Typing reads the store only for a conversation not routed here; its own limit is in Typing.
  typing: 'write',
  'presence.get': 'read',
  'presence.setVisible': 'write',
  'room.join': 'read',
  'room.leave': 'read',
  'room.send': 'write',
  'room.create': 'write',
  'room.update': 'write',
  'room.mute': 'write',
  'room.kick': 'write',
  'broadcast.sync': 'read',
  'broadcast.read': 'write',
  'message.recall': 'write',
  'message.edit': 'write',
  'message.react': 'write',
  'message.unreact': 'write',
  'message.hide': 'write',
  'message.unhide': 'write',
  'group.update': 'write',
  'group.transfer': 'write',
  'group.dissolve': 'write',
  'group.mute': 'write',
  'group.muteAll': 'write',
  'group.invite.create': 'write',
  'group.invite.list': 'read',
  'group.invite.revoke': 'write',
  'group.join': 'write',
};
