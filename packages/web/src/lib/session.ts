/**
 * The signed-in account: tokens in localStorage (through the SDK's SessionStore), one NatterClient
 * per account with its cache and outbox in IndexedDB, so a reload shows the chats at once and
 * sends what was typed offline.
 */
import {
  IndexedDbCache,
  NatterAuth,
  NatterClient,
  type AuthSession,
  type SessionStore,
} from '@natter/client';

const KEY = 'natter.session';

class LocalSessionStore implements SessionStore {
  load(): AuthSession | null {
    try {
      const raw = localStorage.getItem(KEY);
      return raw ? (JSON.parse(raw) as AuthSession) : null;
    } catch {
      return null;
    }
  }
  save(s: AuthSession | null): void {
    if (s) localStorage.setItem(KEY, JSON.stringify(s));
    else localStorage.removeItem(KEY);
  }
}

export const auth = new NatterAuth({ baseUrl: '', store: new LocalSessionStore() });

export function webSocketUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/ws`;
}

export function cacheName(userId: string): string {
  return `natter:${location.host}:${userId}`;
}

export function openClient(session: AuthSession): NatterClient {
  return new NatterClient({
    url: webSocketUrl(),
    token: () => auth.accessToken(),
    cache: new IndexedDbCache(cacheName(session.userId)),
  });
}
