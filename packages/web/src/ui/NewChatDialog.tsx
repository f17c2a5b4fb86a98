import { useEffect, useRef, useState } from 'preact/hooks';
import type { PublicUser } from '@natter/client';
import type { ChatModel } from '../lib/model.js';

/** Start a direct chat with someone by username, or a group with several people. */
export function NewChatDialog({
  model,
  onClose,
  onOpened,
}: {
  model: ChatModel;
  onClose: () => void;
  onOpened: (conversationId: string) => void;
}) {
  const [tab, setTab] = useState<'direct' | 'group' | 'code'>('direct');
  const [code, setCode] = useState('');
  const [username, setUsername] = useState('');
  const [title, setTitle] = useState('');
  const [members, setMembers] = useState<PublicUser[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    document.addEventListener('keydown', onKey);
    box.current?.querySelector('input')?.focus();
    return () => document.removeEventListener('keydown', onKey);
  }, [tab]);

  async function find(): Promise<PublicUser | null> {
    const user = await model.findUser(username);
    if (!user) setError(`No user called “${username.trim()}”.`);
    else if (user.id === model.me) {
      setError('That is you.');
      return null;
    }
    return user;
  }

  async function startDirect(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const user = await find();
      if (user) onOpened((await model.startDirect(user.id)).id);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  async function addMember(e: Event) {
    e.preventDefault();
    setError(null);
    const user = await find();
    if (user && !members.some((m) => m.id === user.id)) setMembers([...members, user]);
    if (user) setUsername('');
  }

  async function createGroup() {
    setBusy(true);
    setError(null);
    try {
      onOpened(
        (
          await model.createGroup(
            title.trim(),
            members.map((m) => m.id),
          )
        ).id,
      );
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="overlay" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="new-chat-title" ref={box}>
        <header class="dialog-head">
          <h2 id="new-chat-title">New chat</h2>
          <button class="icon-button" onClick={onClose} aria-label="Close">
            ✕
          </button>
        </header>
        <div class="tabs" role="tablist">
          <button
            role="tab"
            aria-selected={tab === 'direct'}
            class={tab === 'direct' ? 'tab active' : 'tab'}
            onClick={() => setTab('direct')}
          >
            Direct message
          </button>
          <button
            role="tab"
            aria-selected={tab === 'group'}
            class={tab === 'group' ? 'tab active' : 'tab'}
            onClick={() => setTab('group')}
          >
            New group
          </button>
          <button
            role="tab"
            aria-selected={tab === 'code'}
            class={tab === 'code' ? 'tab active' : 'tab'}
            onClick={() => setTab('code')}
          >
            Join with a code
          </button>
        </div>
        {tab === 'code' ? (
          <form
            class="dialog-body"
            onSubmit={(e) => {
              e.preventDefault();
              setBusy(true);
              setError(null);
              model.joinByInvite(code).then(
                (conv) => onOpened(conv.id),
                (err: Error) => {
                  setError(err.message);
                  setBusy(false);
                },
              );
            }}
          >
            <label>
              Invite code
              <input
                value={code}
                onInput={(e) => setCode(e.currentTarget.value)}
                autoComplete="off"
                required
              />
            </label>
            {error && (
              <p class="form-error" role="alert">
                {error}
              </p>
            )}
            <button class="primary" type="submit" disabled={busy || !code.trim()}>
              Join group
            </button>
          </form>
        ) : tab === 'direct' ? (
          <form onSubmit={startDirect} class="dialog-body">
            <label>
              Username
              <input
                value={username}
                onInput={(e) => setUsername(e.currentTarget.value)}
                placeholder="e.g. alice"
                required
                autoComplete="off"
              />
            </label>
            {error && (
              <p class="form-error" role="alert">
                {error}
              </p>
            )}
            <button class="primary" type="submit" disabled={busy || !username.trim()}>
              Start chat
            </button>
          </form>
        ) : (
          <div class="dialog-body">
            <label>
              Group name
              <input
                value={title}
                onInput={(e) => setTitle(e.currentTarget.value)}
                placeholder="e.g. Weekend trip"
                maxLength={200}
              />
            </label>
            <form onSubmit={addMember} class="inline-form">
              <label>
                Add people by username
                <span class="inline-row">
                  <input
                    value={username}
                    onInput={(e) => setUsername(e.currentTarget.value)}
                    placeholder="username"
                    autoComplete="off"
                  />
                  <button type="submit" disabled={!username.trim()}>
                    Add
                  </button>
                </span>
              </label>
            </form>
            {members.length > 0 && (
              <ul class="chips" aria-label="Members to add">
                {members.map((m) => (
                  <li key={m.id} class="chip">
                    {m.displayName ?? m.username}
                    <button
                      class="icon-button"
                      aria-label={`Remove ${m.username}`}
                      onClick={() => setMembers(members.filter((x) => x.id !== m.id))}
                    >
                      ✕
                    </button>
                  </li>
                ))}
              </ul>
            )}
            {error && (
              <p class="form-error" role="alert">
                {error}
              </p>
            )}
            <button
              class="primary"
              onClick={() => void createGroup()}
              disabled={busy || members.length === 0}
            >
              Create group
            </button>
          </div>
        )}
      </div>
    </div>
  );
}
