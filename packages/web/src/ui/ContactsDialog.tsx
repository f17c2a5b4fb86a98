import { useEffect, useState } from 'preact/hooks';
import type { BlockedUser, Contact, FriendRequests, PublicUser } from '@natter/client';
import type { ChatModel } from '../lib/model.js';
import { Avatar } from './Avatar.js';
import { Dialog } from './Dialog.js';

/** Friends (with presence), friend requests both ways, adding someone by username, blocked people. */
export function ContactsDialog({
  model,
  onClose,
  onOpened,
}: {
  model: ChatModel;
  onClose: () => void;
  onOpened: (conversationId: string) => void;
}) {
  const [friends, setFriends] = useState<Contact[] | null>(null);
  const [requests, setRequests] = useState<FriendRequests>({ incoming: [], outgoing: [] });
  const [blocked, setBlocked] = useState<BlockedUser[]>([]);
  const [username, setUsername] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const c = model.client;
  const reload = async () => {
    const [f, r, b] = await Promise.all([c.contacts(), c.friendRequests(), c.blockedUsers()]);
    setFriends(f);
    setRequests(r);
    setBlocked(b);
    for (const x of [...f, ...r.incoming, ...r.outgoing, ...b]) model.rememberUser(x.user);
  };
  useEffect(() => {
    void reload().catch((e: Error) => setError(e.message));
    // Requests and changes made on another device or by the other person arrive as `contact` events.
    return c.on('contact', () => void reload().catch(() => undefined));
  }, []);

  async function act(f: () => Promise<unknown>, done?: string) {
    setError(null);
    setNotice(null);
    try {
      await f();
      if (done) setNotice(done);
      await reload();
    } catch (e) {
      setError((e as Error).message);
    }
  }

  async function add(e: Event) {
    e.preventDefault();
    await act(async () => {
      const user = await model.findUser(username);
      if (!user) throw new Error(`No user called “${username.trim()}”.`);
      const r = await c.sendFriendRequest(user.id);
      setUsername('');
      setNotice(
        r.status === 'friends' ? `You and ${name(user)} are now friends.` : `Request sent to ${name(user)}.`,
      );
    });
  }

  const name = (u: PublicUser) => u.displayName ?? u.username;
  const person = (u: PublicUser) => (
    <span>
      <Avatar id={u.id} name={name(u)} size={32} />
      <span>
        {name(u)} <span class="role">@{u.username}</span>
      </span>
    </span>
  );

  return (
    <Dialog title="Contacts" onClose={onClose}>
      <form class="dialog-body" onSubmit={add}>
        <label>
          Add a friend by username
          <span class="inline-row">
            <input
              value={username}
              onInput={(e) => setUsername(e.currentTarget.value)}
              placeholder="username"
              autoComplete="off"
            />
            <button type="submit" disabled={!username.trim()}>
              Send request
            </button>
          </span>
        </label>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        {notice && <p role="status">{notice}</p>}
      </form>
      {requests.incoming.length > 0 && (
        <section class="dialog-body" aria-labelledby="incoming-title">
          <h3 id="incoming-title">Friend requests</h3>
          <ul class="member-list">
            {requests.incoming.map((r) => (
              <li key={r.user.id}>
                {person(r.user)}
                <span class="inline-row">
                  <button
                    class="primary"
                    onClick={() => void act(() => c.acceptFriendRequest(r.user.id))}
                    aria-label={`Accept ${name(r.user)}`}
                  >
                    Accept
                  </button>
                  <button
                    onClick={() => void act(() => c.declineFriendRequest(r.user.id))}
                    aria-label={`Decline ${name(r.user)}`}
                  >
                    Decline
                  </button>
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}
      <section class="dialog-body" aria-labelledby="friends-title">
        <h3 id="friends-title">Friends</h3>
        {friends === null ? (
          <p class="hint">Loading…</p>
        ) : friends.length === 0 ? (
          <p class="hint">No friends yet.</p>
        ) : (
          <ul class="member-list">
            {friends.map((f) => {
              const online = model.presenceOf(f.user.id)?.online;
              return (
                <li key={f.user.id}>
                  {person(f.user)}
                  <span class="inline-row">
                    {online && <span class="role">online</span>}
                    <button
                      onClick={() => void act(async () => onOpened((await model.startDirect(f.user.id)).id))}
                      aria-label={`Message ${name(f.user)}`}
                    >
                      Message
                    </button>
                    <button
                      onClick={() => void act(() => c.removeFriend(f.user.id))}
                      aria-label={`Remove ${name(f.user)} from friends`}
                    >
                      Remove
                    </button>
                  </span>
                </li>
              );
            })}
          </ul>
        )}
      </section>
      {requests.outgoing.length > 0 && (
        <section class="dialog-body" aria-labelledby="outgoing-title">
          <h3 id="outgoing-title">Sent requests</h3>
          <ul class="member-list">
            {requests.outgoing.map((r) => (
              <li key={r.user.id}>
                {person(r.user)}
                <button
                  onClick={() => void act(() => c.cancelFriendRequest(r.user.id))}
                  aria-label={`Cancel request to ${name(r.user)}`}
                >
                  Cancel
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
      {blocked.length > 0 && (
        <section class="dialog-body" aria-labelledby="blocked-title">
          <h3 id="blocked-title">Blocked</h3>
          <ul class="member-list">
            {blocked.map((b) => (
              <li key={b.user.id}>
                {person(b.user)}
                <button
                  onClick={() => void act(() => c.unblock(b.user.id))}
                  aria-label={`Unblock ${name(b.user)}`}
                >
                  Unblock
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
    </Dialog>
  );
}
