/**
 * The Store's part for finding people and contacts (issue 22): prefix search over users,
 * friend requests, friendships and blocks. Every Store implements it (Store extends it) and
 * passes the contacts part of `runStoreContract`. The rules it keeps:
 * - Each method is one transaction; relations are between two distinct existing users.
 * - A friendship is symmetric; at most one pending request per ordered pair, never between
 *   friends, never between users with a block in either direction.
 * - A block removes the pair's friendship and pending requests (both directions) and closes
 *   the pair's direct conversation: `appendMessages` answers `not_found` for every send into a
 *   closed conversation until no block is left between the two (unblock reopens it).
 */
import type { UserRecord } from './store.js';

export interface UserSearch {
  /** A normalised key prefix (usernameKey of what was typed): matched against username and display name keys. */
  prefix: string;
  limit: number;
  /** The searcher: never in the results, nor anyone with a block either way between them. */
  viewer: string;
  /** Only the viewer's friends (USER_DISCOVERY=contacts). */
  friendsOnly: boolean;
}

export type FriendRequestOutcome =
  /** A new pending request. */
  | { kind: 'requested'; createdAt: number }
  /** The other had asked already: that request was accepted, they are friends since `since`. */
  | { kind: 'accepted'; since: number }
  | { kind: 'already_requested' }
  | { kind: 'already_friends' }
  /** A block either way (or no such user): nothing changed. */
  | { kind: 'refused' };

/** Another user as seen in one of the caller's lists, with the time of the relation. */
export interface RelatedUser {
  user: UserRecord;
  at: number;
}

export interface BlockOutcome {
  /** False when the block was there already. */
  created: boolean;
  /** What the block ended: a friendship, a request to the blocker, a request from the blocker. */
  endedFriendship: boolean;
  endedIncoming: boolean;
  endedOutgoing: boolean;
}

/** What holds between the caller and one other user. */
export interface Relation {
  userId: string;
  friends: boolean;
  /** The caller blocked them. */
  blocking: boolean;
  /** They blocked the caller. */
  blockedBy: boolean;
}

export interface ContactsStore {
  /** Users whose username key or display-name key starts with `prefix`, by username key. */
  searchUsers(q: UserSearch): Promise<UserRecord[]>;
  /** `from` asks `to` to be friends (see FriendRequestOutcome). */
  sendFriendRequest(from: string, to: string, now: number): Promise<FriendRequestOutcome>;
  /** `userId` accepts the pending request from `from`: the friendship's start, or null when there was none. */
  acceptFriendRequest(userId: string, from: string, now: number): Promise<number | null>;
  /** Removes the pending request from `from` to `to` (decline or cancel); false when there was none. */
  deleteFriendRequest(from: string, to: string): Promise<boolean>;
  /** Ends the friendship; false when they were not friends. */
  removeFriend(a: string, b: string): Promise<boolean>;
  /** The user's friends (`at`: since when), oldest first, at most `limit`. */
  listFriends(userId: string, limit: number): Promise<RelatedUser[]>;
  /** Pending requests to and from the user, oldest first, at most `limit` of each. */
  listFriendRequests(userId: string, limit: number): Promise<{ incoming: RelatedUser[]; outgoing: RelatedUser[] }>;
  /** `blocker` blocks `blocked` (see the module comment); null when `blocked` does not exist. */
  blockUser(blocker: string, blocked: string, now: number): Promise<BlockOutcome | null>;
  /** Lifts the block; false when there was none. */
  unblockUser(blocker: string, blocked: string): Promise<boolean>;
  /** Users the user blocked, oldest first, at most `limit`. */
  listBlocks(userId: string, limit: number): Promise<RelatedUser[]>;
  /** The relation between `userId` and each of `others` (every id given, existing or not), in order. */
  relations(userId: string, others: string[]): Promise<Relation[]>;
}
