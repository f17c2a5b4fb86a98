import { useState } from 'preact/hooks';
import type { Conversation } from '@natter/client';
import type { ChatModel } from '../lib/model.js';
import { Avatar } from './Avatar.js';
import { Dialog } from './Dialog.js';
import { GroupAdmin, MemberActions } from './GroupAdmin.js';

/** Who is in the conversation; for groups: add people, remove them (owner/admin), leave. */
export function ConversationInfoDialog({
  model,
  conv,
  onClose,
}: {
  model: ChatModel;
  conv: Conversation;
  onClose: () => void;
}) {
  const [username, setUsername] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const isGroup = conv.kind === 'group';
  const myRole = conv.membership.role;
  const canManage =
    isGroup && conv.membership.state === 'active' && (myRole === 'owner' || myRole === 'admin');

  async function run(f: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    try {
      await f();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  async function add(e: Event) {
    e.preventDefault();
    await run(async () => {
      const user = await model.findUser(username);
      if (!user) throw new Error(`No user called “${username.trim()}”.`);
      await model.addMembers(conv.id, [user.id]);
      setUsername('');
    });
  }

  return (
    <Dialog title={isGroup ? 'Group info' : 'Contact info'} onClose={onClose}>
      <section class="dialog-body" aria-labelledby="chat-options-title">
        <h3 id="chat-options-title">This chat</h3>
        {(
          [
            ['pinned', 'Pin to the top of the list', model.isPinned(conv)],
            ['muted', 'Mute (no notifications, not counted in the tab title)', model.isMuted(conv)],
            ['archived', 'Archive (moved to the Archived folder)', model.isArchived(conv)],
          ] as const
        ).map(([flag, label, on]) => (
          <label key={flag} class="toggle-row">
            {label}
            <input
              type="checkbox"
              checked={on}
              disabled={busy}
              onChange={(e) => void run(() => model.setFlag(conv.id, flag, e.currentTarget.checked))}
            />
          </label>
        ))}
      </section>
      <section class="dialog-body" aria-labelledby="members-title">
        <h3 id="members-title">{isGroup ? `${conv.members.length} members` : 'People'}</h3>
        <ul class="member-list">
          {conv.members.map((id) => {
            const u = model.user(id);
            const name = model.nameOf(id);
            return (
              <li key={id}>
                <span>
                  <Avatar id={id} name={u ? (u.displayName ?? u.username) : name} size={32} />
                  <span>
                    {name}
                    {u && <span class="role"> @{u.username}</span>}
                    {id === model.me && isGroup && <span class="role"> · {myRole}</span>}
                  </span>
                </span>
                {canManage && id !== model.me && (
                  <span class="inline-row">
                    <MemberActions model={model} conv={conv} userId={id} run={run} busy={busy} />
                    <button
                      disabled={busy}
                      onClick={() => void run(() => model.removeMember(conv.id, id))}
                      aria-label={`Remove ${name}`}
                    >
                      Remove
                    </button>
                  </span>
                )}
              </li>
            );
          })}
        </ul>
      </section>
      {canManage && !conv.group?.dissolvedAt && (
        <GroupAdmin model={model} conv={conv} run={run} busy={busy} />
      )}
      {isGroup && conv.membership.state === 'active' && (
        <form class="dialog-body" onSubmit={add}>
          <label>
            Add people by username
            <span class="inline-row">
              <input
                value={username}
                onInput={(e) => setUsername(e.currentTarget.value)}
                placeholder="username"
                autoComplete="off"
              />
              <button type="submit" disabled={busy || !username.trim()}>
                Add
              </button>
            </span>
          </label>
        </form>
      )}
      {error && (
        <p class="form-error dialog-body" role="alert">
          {error}
        </p>
      )}
      {!isGroup && model.peerOf(conv) && (
        <div class="dialog-body">
          <button
            class="danger"
            disabled={busy}
            onClick={() =>
              void run(async () => {
                await model.client.block(model.peerOf(conv)!);
                onClose();
              })
            }
          >
            Block {model.nameOf(model.peerOf(conv)!)}
          </button>
        </div>
      )}
      {isGroup && conv.membership.state === 'active' && (
        <div class="dialog-body">
          <button
            class="danger"
            disabled={busy}
            onClick={() =>
              void run(async () => {
                await model.leave(conv.id);
                onClose();
              })
            }
          >
            Leave group
          </button>
        </div>
      )}
    </Dialog>
  );
}
