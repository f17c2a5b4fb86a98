/** The socket side of contacts: which service call answers each contacts frame, and which budget it spends. */
import type { ClientFrame, ContactResultData } from '@natter/protocol';
import type { Contacts } from './contacts.js';
import type { RequestClass } from './fair-share.js';

export type ContactFrame = Extract<ClientFrame, { type: keyof ContactResultData }>;

/** Answers one contacts frame for the authenticated `userId`. */
export function dispatchContactFrame(c: Contacts, userId: string, f: ContactFrame): Promise<unknown> {
  switch (f.type) {
    case 'users.lookup':
      return c.lookup(userId, f.username);
    case 'users.search':
      return c.search(userId, f.prefix, f.limit);
    case 'contacts.list':
      return c.contacts(userId);
    case 'contacts.requests':
      return c.requests(userId);
    case 'contacts.blocks':
      return c.blocks(userId);
    case 'contacts.request':
      return c.request(userId, f.userId);
    case 'contacts.accept':
      return c.accept(userId, f.userId);
    case 'contacts.decline':
      return c.decline(userId, f.userId);
    case 'contacts.cancel':
      return c.cancel(userId, f.userId);
    case 'contacts.remove':
      return c.remove(userId, f.userId);
    case 'contacts.block':
      return c.block(userId, f.userId);
    case 'contacts.unblock':
      return c.unblock(userId, f.userId);
  }
}

export const CONTACT_REQUEST_CLASS: Record<ContactFrame['type'], RequestClass> = {
  'users.lookup': 'read',
  'users.search': 'read',
  'contacts.list': 'read',
  'contacts.requests': 'read',
  'contacts.blocks': 'read',
  'contacts.request': 'write',
  'contacts.accept': 'write',
  'contacts.decline': 'write',
  'contacts.cancel': 'write',
  'contacts.remove': 'write',
  'contacts.block': 'write',
  'contacts.unblock': 'write',
};
