/**
 * Finding people and contacts (issue 22; rules in docs/contacts.md): exact username lookup,
 * prefix search, friend requests, friendships and blocks, the `contact` pushes that keep every
 * device's lists equal, and the relation checks Messaging asks before opening a direct
 * conversation or adding members to a group.
 *
 * Refusals that depend on the other user's choices (a block either way, DIRECT_MESSAGES=contacts
 * without friendship) all throw the same `forbidden` error with the same message, so a blocked
 * user learns nothing beyond "not possible"; nobody is ever told that they were blocked.
 */
import { CONTACT_LIMITS, NatterError, type BlockedUser, type Contact, type ContactEventKind, type FriendRequest, type FriendRequestResult, type FriendRequests, type PublicUser } from '@natter/protocol';
import { usernameKey } from '../store/rules/usernames.js';
import type { RelatedUser, Store, UserRecord } from '../store/store.js';
import { toPublicUser } from './accounts.js';
import type { Clock } from './clock.js';
import type { DomainEvents } from './events.js';

/** What is rate-limited per user, each with its own budget. */
export type PeopleAction = 'search' | 'lookup' | 'request';

export interface PeopleLimiter {
  /** Takes one `action` from the user's budget; throws `rate_limited` (with retryAfterMs) when it is spent. */
  consume(action: PeopleAction, userId: string): Promise<void>;
}

export interface ContactsPolicy {
  /**
   * Who can be found: `everyone` (lookup and search find any user), `contacts` (lookup finds
   * anyone by exact username; search lists only the searcher's friends), `none` (neither: users
   * are known by id only, for apps that introduce their users themselves).
   */
  discovery: 'everyone' | 'contacts' | 'none';
  /** `open`: anyone may open a direct conversation with anyone not blocking; `contacts`: only friends. */
  directMessages: 'open' | 'contacts';
  /** Shortest prefix searched, in characters after normalisation (at least 3). */
  searchMinPrefix: number;
  /** Accounts younger than this may look up exact usernames but not search by prefix. */
  searchMinAccountAgeMs: number;
}

/** What Messaging asks before a user opens a direct conversation or adds members (Messaging.relations). */
export interface RelationGuard {
  /** Throws the generic refusal when `userId` may not open a direct conversation with `otherId`. */
  directAllowed(userId: string, otherId: string): Promise<void>;
  /** Throws the generic refusal when any of `userIds` blocked `actor`. */
  addAllowed(actor: string, userIds: string[]): Promise<void>;
  /**
   * A direct conversation between the two was just created: if a block between them committed
   * after `directAllowed` looked (before the conversation existed for it to close), close it now.
   */
  directCreated(a: string, b: string): Promise<void>;
}

/** Lists are bounded: a user's contacts, requests and blocks are answered up to this many each. */
export const CONTACT_LIST_MAX = 1000;

/** The one answer to every refusal that depends on the other user's choices. */
export const refusal = (): NatterError => new NatterError('forbidden', 'this is not possible with this user');
const noSuchUser = (): NatterError => new NatterError('not_found', 'no such user');
const empty = (): Record<string, never> => ({});

export class Contacts implements RelationGuard {
  constructor(
    private readonly store: Store,
    private readonly events: DomainEvents,
    private readonly clock: Clock,
    private readonly limiter: PeopleLimiter,
    private readonly policy: ContactsPolicy,
  ) {}

  // --- finding people ---------------------------------------------------------------------------

  /** The user with exactly this username (case and compatibility forms folded). */
  async lookup(userId: string, username: string): Promise<PublicUser> {
    if (this.policy.discovery === 'none') throw new NatterError('forbidden', 'looking users up by username is disabled on this server');
    await this.limiter.consume('lookup', userId);
    const found = await this.store.getUserByUsername(username);
    if (!found) throw noSuchUser();
    if (found.id === userId) return toPublicUser(found);
    // Someone who blocked the caller (or whom the caller blocked) is not found.
    const [r] = await this.store.relations(userId, [found.id]);
    if (r && (r.blockedBy || r.blocking)) throw noSuchUser();
    return toPublicUser(found);
  }

  /** Users whose username or display name starts with `prefix`, at most `limit` (≤ 20). */
  async search(userId: string, prefix: string, limit: number = CONTACT_LIMITS.searchPageMax): Promise<{ users: PublicUser[] }> {
    if (this.policy.discovery === 'none') throw new NatterError('forbidden', 'user search is disabled on this server');
    const key = usernameKey(prefix.trim());
    const min = Math.max(CONTACT_LIMITS.searchMinPrefix, this.policy.searchMinPrefix);
    if ([...key].length < min) throw new NatterError('invalid_request', `prefix: at least ${min} characters`);
    if (/[\p{Cc}\p{Cf}]/u.test(key)) throw new NatterError('invalid_request', 'prefix: no control or invisible characters');
    const me = await this.store.getUser(userId);
    if (!me) throw new NatterError('invalid_token', 'no such user');
    const ageMs = this.clock.now() - me.createdAt;
    if (ageMs < this.policy.searchMinAccountAgeMs) {
      throw new NatterError('forbidden', 'search opens to accounts after a while; look people up by their exact username meanwhile', {
        retryAfterMs: this.policy.searchMinAccountAgeMs - ageMs,
      });
    }
    await this.limiter.consume('search', userId);
    const users = await this.store.searchUsers({
      prefix: key,
      limit: Math.min(Math.max(1, limit), CONTACT_LIMITS.searchPageMax),
      viewer: userId,
      friendsOnly: this.policy.discovery === 'contacts',
    });
    return { users: users.map(toPublicUser) };
  }

  // --- friend requests ----------------------------------------------------------------------------

  async request(userId: string, otherId: string): Promise<FriendRequestResult> {
    if (otherId === userId) throw new NatterError('invalid_request', 'userId: not yourself');
    await this.limiter.consume('request', userId);
    const other = await this.store.getUser(otherId);
    if (!other) throw noSuchUser();
    const outcome = await this.store.sendFriendRequest(userId, otherId, this.clock.now());
    switch (outcome.kind) {
      case 'refused':
        throw refusal();
      case 'already_requested':
        return { status: 'requested' };
      case 'already_friends':
        return { status: 'friends' };
      case 'requested':
        await this.push(userId, 'request.sent', other, outcome.createdAt);
        await this.pushUser(otherId, 'request.received', userId, outcome.createdAt);
        return { status: 'requested' };
      case 'accepted':
        await this.bothWays(userId, other, 'request.accepted', outcome.since);
        return { status: 'friends' };
    }
  }

  /** Accepts the pending request from `fromId`: they become friends. */
  async accept(userId: string, fromId: string): Promise<Contact> {
    const since = await this.store.acceptFriendRequest(userId, fromId, this.clock.now());
    const other = since === null ? null : await this.store.getUser(fromId);
    if (since === null || !other) throw new NatterError('not_found', 'no such friend request');
    await this.bothWays(userId, other, 'request.accepted', since);
    return { user: toPublicUser(other), since, presence: null };
  }

  async decline(userId: string, fromId: string): Promise<Record<string, never>> {
    if (!(await this.store.deleteFriendRequest(fromId, userId))) throw new NatterError('not_found', 'no such friend request');
    await this.bothWaysById(userId, fromId, 'request.declined');
    return empty();
  }

  async cancel(userId: string, toId: string): Promise<Record<string, never>> {
    if (!(await this.store.deleteFriendRequest(userId, toId))) throw new NatterError('not_found', 'no such friend request');
    await this.bothWaysById(userId, toId, 'request.cancelled');
    return empty();
  }

  async remove(userId: string, otherId: string): Promise<Record<string, never>> {
    if (!(await this.store.removeFriend(userId, otherId))) throw new NatterError('not_found', 'not a friend');
    await this.bothWaysById(userId, otherId, 'friend.removed');
    return empty();
  }

  // --- blocks -------------------------------------------------------------------------------------

  /**
   * Blocks `otherId`: ends a friendship and pending requests between the two, closes their direct
   * conversation to sends, hides each from the other's lookups and searches, and stops `otherId`
   * adding the caller to groups. Only the caller's devices are told (`blocked`).
   */
  async block(userId: string, otherId: string): Promise<Record<string, never>> {
    if (otherId === userId) throw new NatterError('invalid_request', 'userId: not yourself');
    const now = this.clock.now();
    const outcome = await this.store.blockUser(userId, otherId, now);
    const other = outcome && (await this.store.getUser(otherId));
    if (!outcome || !other) throw noSuchUser();
    if (outcome.created) await this.push(userId, 'blocked', other, now);
    return empty();
  }

  async unblock(userId: string, otherId: string): Promise<Record<string, never>> {
    if (!(await this.store.unblockUser(userId, otherId))) throw new NatterError('not_found', 'not blocked');
    const other = await this.store.getUser(otherId);
    if (other) await this.push(userId, 'unblocked', other, this.clock.now());
    return empty();
  }

  // --- lists --------------------------------------------------------------------------------------

  async contacts(userId: string): Promise<{ contacts: Contact[] }> {
    const friends = await this.store.listFriends(userId, CONTACT_LIST_MAX);
    return { contacts: friends.map((f) => ({ user: toPublicUser(f.user), since: f.at, presence: null })) };
  }

  async requests(userId: string): Promise<FriendRequests> {
    const r = await this.store.listFriendRequests(userId, CONTACT_LIST_MAX);
    return { incoming: r.incoming.map(related), outgoing: r.outgoing.map(related) };
  }

  async blocks(userId: string): Promise<{ blocked: BlockedUser[] }> {
    return { blocked: (await this.store.listBlocks(userId, CONTACT_LIST_MAX)).map(related) };
  }

  // --- checks for Messaging -------------------------------------------------------------------------

  async directAllowed(userId: string, otherId: string): Promise<void> {
    const [r] = await this.store.relations(userId, [otherId]);
    if (!r || r.blocking || r.blockedBy) throw refusal();
    if (this.policy.directMessages === 'contacts' && !r.friends) throw refusal();
  }

  async directCreated(a: string, b: string): Promise<void> {
    const [r] = await this.store.relations(a, [b]);
    // Blocking again is idempotent and closes the pair's conversation, which exists now.
    if (r?.blocking) await this.store.blockUser(a, b, this.clock.now());
    if (r?.blockedBy) await this.store.blockUser(b, a, this.clock.now());
  }

  async addAllowed(actor: string, userIds: string[]): Promise<void> {
    const others = [...new Set(userIds)].filter((id) => id !== actor);
    if (others.length === 0) return;
    const rs = await this.store.relations(actor, others);
    if (rs.some((r) => r.blockedBy)) throw refusal();
  }

  // --- pushes -------------------------------------------------------------------------------------

  private push(to: string, kind: ContactEventKind, about: UserRecord, at: number): Promise<void> {
    return this.events.emit({ type: 'contact.changed', userId: to, event: { kind, user: toPublicUser(about), at } });
  }

  private async pushUser(to: string, kind: ContactEventKind, aboutId: string, at: number): Promise<void> {
    const about = await this.store.getUser(aboutId);
    if (about) await this.push(to, kind, about, at);
  }

  private async bothWays(userId: string, other: UserRecord, kind: ContactEventKind, at: number): Promise<void> {
    await this.push(userId, kind, other, at);
    await this.pushUser(other.id, kind, userId, at);
  }

  private async bothWaysById(userId: string, otherId: string, kind: ContactEventKind): Promise<void> {
    const other = await this.store.getUser(otherId);
    if (other) await this.bothWays(userId, other, kind, this.clock.now());
  }
}

const related = (r: RelatedUser): FriendRequest => ({ user: toPublicUser(r.user), createdAt: r.at });
