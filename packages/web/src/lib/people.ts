/**
 * The people the app has looked up: profiles fetched once per user (members of our conversations,
 * search results, contacts), and the names the views show for them.
 */
import type { NatterAuth, NatterClient, PublicUser } from '@natter/client';

export class People {
  private readonly users = new Map<string, PublicUser>();
  /** Lookups under way, so a user is asked for once however often a view needs them. */
  private readonly lookups = new Set<string>();

  constructor(
    private readonly me: string,
    private readonly client: NatterClient,
    private readonly auth: NatterAuth,
    private readonly changed: () => void,
  ) {}

  /** Fetches a profile in the background unless we have it or are already asking. */
  lookup(userId: string): void {
    if (this.users.has(userId) || this.lookups.has(userId)) return;
    this.lookups.add(userId);
    this.auth.request<PublicUser>('GET', `/v1/users/${encodeURIComponent(userId)}`).then(
      (u) => {
        this.users.set(u.id, u);
        this.changed();
      },
      // Forgotten, so a later view asks again.
      () => this.lookups.delete(userId),
    );
  }

  user(userId: string): PublicUser | undefined {
    return this.users.get(userId);
  }

  nameOf(userId: string): string {
    if (userId === this.me) return 'You';
    const u = this.users.get(userId);
    return u ? (u.displayName ?? u.username) : '…';
  }

  /** Looks a user up by username; null when there is no such (discoverable) user. */
  async find(username: string): Promise<PublicUser | null> {
    const name = username.trim().replace(/^@/, '');
    if (!name) return null;
    try {
      const user = await this.client.lookupUser(name);
      this.users.set(user.id, user);
      return user;
    } catch {
      return null;
    }
  }

  /** A profile learnt elsewhere (a contact list, a friend request). */
  remember(user: PublicUser): void {
    this.users.set(user.id, user);
    this.changed();
  }
}
