/**
 * Finding people and contacts (issue 22, items 1–2): the frames for username lookup, prefix
 * search, friend requests, the contact list and blocks, the objects they carry, and the `contact`
 * push. The rules behind them (who may search, what a block refuses) are in docs/contacts.md.
 */
import { z } from 'zod';
import type { PublicUser } from './model.js';

export const CONTACT_LIMITS = {
  /** A username as typed: at most this many characters before normalisation. */
  usernameInput: 64,
  /** Prefix search: at least this many characters after normalisation (the server may ask for more). */
  searchMinPrefix: 3,
  searchPrefixMax: 64,
  /** Most results a search page returns. */
  searchPageMax: 20,
} as const;

const requestId = z.union([z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), z.string().min(1).max(64)]);
const userRef = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'ids are letters, digits, _ and -');
const base = { id: requestId.optional() };

export const userLookupFrame = z.object({ type: z.literal('users.lookup'), ...base, username: z.string().min(1).max(CONTACT_LIMITS.usernameInput) });
export const userSearchFrame = z.object({
  type: z.literal('users.search'),
  ...base,
  prefix: z.string().min(1).max(CONTACT_LIMITS.searchPrefixMax),
  limit: z.number().int().min(1).max(CONTACT_LIMITS.searchPageMax).optional(),
});
const onUser = <T extends string>(type: T) => z.object({ type: z.literal(type), ...base, userId: userRef });
const listing = <T extends string>(type: T) => z.object({ type: z.literal(type), ...base });

export const contactFrameSchemas = {
  'users.lookup': userLookupFrame,
  'users.search': userSearchFrame,
  'contacts.list': listing('contacts.list'),
  'contacts.requests': listing('contacts.requests'),
  'contacts.blocks': listing('contacts.blocks'),
  'contacts.request': onUser('contacts.request'),
  'contacts.accept': onUser('contacts.accept'),
  'contacts.decline': onUser('contacts.decline'),
  'contacts.cancel': onUser('contacts.cancel'),
  'contacts.remove': onUser('contacts.remove'),
  'contacts.block': onUser('contacts.block'),
  'contacts.unblock': onUser('contacts.unblock'),
} as const;

/** A friend of the caller. */
export interface Contact {
  user: PublicUser;
  /** When the friendship began (ms since the epoch). */
  since: number;
  /**
   * Reserved for presence (issue 21): null until presence is served. Clients treat null as
   * "unknown", never as "offline".
   */
  presence: null;
}

/** A pending friend request, seen from one side: `user` is the other person. */
export interface FriendRequest {
  user: PublicUser;
  createdAt: number;
}

export interface BlockedUser {
  user: PublicUser;
  createdAt: number;
}

export interface FriendRequests {
  incoming: FriendRequest[];
  outgoing: FriendRequest[];
}

/**
 * What a `contacts.request` did: `requested` (pending until the other accepts), or `friends`
 * (they had asked you already, so this accepted their request).
 */
export interface FriendRequestResult {
  status: 'requested' | 'friends';
}

/**
 * A `contact` push: something changed in the user's contacts, from the user's point of view;
 * `user` is the other person. Sent to every device of the user, so lists stay equal across them.
 * - request.received / request.sent: a new pending request (incoming / outgoing);
 * - request.accepted: the pending request became a friendship (both sides get it);
 * - request.declined / request.cancelled: the pending request is gone (both sides get it);
 * - friend.removed: the friendship ended (both sides get it);
 * - blocked / unblocked: only the blocker's own devices get these.
 */
export type ContactEventKind =
  | 'request.received'
  | 'request.sent'
  | 'request.accepted'
  | 'request.declined'
  | 'request.cancelled'
  | 'friend.removed'
  | 'blocked'
  | 'unblocked';

export interface ContactEvent {
  kind: ContactEventKind;
  user: PublicUser;
  at: number;
}

/** What each contacts request's `result.data` holds. */
export interface ContactResultData {
  'users.lookup': PublicUser;
  'users.search': { users: PublicUser[] };
  'contacts.list': { contacts: Contact[] };
  'contacts.requests': FriendRequests;
  'contacts.blocks': { blocked: BlockedUser[] };
  'contacts.request': FriendRequestResult;
  'contacts.accept': Contact;
  'contacts.decline': Record<string, never>;
  'contacts.cancel': Record<string, never>;
  'contacts.remove': Record<string, never>;
  'contacts.block': Record<string, never>;
  'contacts.unblock': Record<string, never>;
}
