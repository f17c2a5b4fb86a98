import { useEffect, useState } from 'preact/hooks';
import type { Conversation, GroupInvite } from '@natter/client';
import type { ChatModel } from '../lib/model.js';
import { listTime } from './format.js';

/** What the owner and admins manage: the profile and announcement, invite codes, mutes, and (owner) the end. */
export function GroupAdmin({
  model,
  conv,
  run,
  busy,
}: {
  model: ChatModel;
  conv: Conversation;
  run: (f: () => Promise<unknown>) => Promise<void>;
  busy: boolean;
}) {
  const c = model.client;
  const owner = conv.membership.role === 'owner';
  const [title, setTitle] = useState(conv.title ?? '');
  const [description, setDescription] = useState(conv.group?.description ?? '');
  const [announcement, setAnnouncement] = useState(conv.group?.announcement ?? '');
  const [invites, setInvites] = useState<GroupInvite[]>([]);
  // Shown as asked at once; the answer (or its failure) sets it right.
  const [mutedAll, setMutedAll] = useState(conv.group?.mutedAll ?? false);
  useEffect(() => setMutedAll(conv.group?.mutedAll ?? false), [conv.group?.mutedAll]);
  const live = invites.filter(
    (i) => i.revokedAt === null && (i.expiresAt === null || i.expiresAt > Date.now()),
  );
  const loadInvites = () => c.listInvites(conv.id).then(setInvites, () => setInvites([]));
  useEffect(() => void loadInvites(), [conv.id]);

  const apply = (f: () => Promise<Conversation>) => run(async () => model.applyConversation(await f()));

  return (
    <>
      <form
        class="dialog-body"
        onSubmit={(e) => {
          e.preventDefault();
          void apply(() =>
            c.updateGroup(conv.id, {
              title: title.trim() || null,
              description: description.trim() || null,
              announcement: announcement.trim() || null,
            }),
          );
        }}
      >
        <h3>Group profile</h3>
        <label>
          Name
          <input value={title} maxLength={200} onInput={(e) => setTitle(e.currentTarget.value)} />
        </label>
        <label>
          Description
          <textarea
            rows={2}
            value={description}
            maxLength={2000}
            onInput={(e) => setDescription(e.currentTarget.value)}
          />
        </label>
        <label>
          Announcement (shown to everyone at the top of the chat)
          <textarea
            rows={2}
            value={announcement}
            maxLength={2000}
            onInput={(e) => setAnnouncement(e.currentTarget.value)}
          />
        </label>
        <button type="submit" class="primary" disabled={busy}>
          Save
        </button>
      </form>
      <section class="dialog-body" aria-labelledby="invites-title">
        <h3 id="invites-title">Invite codes</h3>
        <p class="hint">
          Anyone with a code can join (New chat → Join with a code). Codes expire after 7 days.
        </p>
        <ul class="member-list">
          {live.map((i) => (
            <li key={i.code}>
              <span class="invite-code">{i.code}</span>
              <span class="inline-row">
                <span class="hint">
                  {i.uses} used{i.expiresAt ? ` · until ${listTime(i.expiresAt)}` : ''}
                </span>
                <button
                  onClick={() => void run(async () => (await c.revokeInvite(conv.id, i.code), loadInvites()))}
                  aria-label="Revoke this code"
                >
                  Revoke
                </button>
              </span>
            </li>
          ))}
        </ul>
        <button
          disabled={busy}
          onClick={() =>
            void run(
              async () => (await c.createInvite(conv.id, { expiresInSeconds: 7 * 86_400 }), loadInvites()),
            )
          }
        >
          Create an invite code
        </button>
      </section>
      <section class="dialog-body" aria-labelledby="moderation-title">
        <h3 id="moderation-title">Moderation</h3>
        <label class="toggle-row">
          Only admins can send
          <input
            type="checkbox"
            checked={mutedAll}
            disabled={busy}
            onChange={(e) => {
              const on = e.currentTarget.checked;
              setMutedAll(on);
              void apply(() => c.muteAll(conv.id, on));
            }}
          />
        </label>
        {owner && (
          <button
            class="danger"
            disabled={busy}
            onClick={() => {
              if (confirm('Dissolve this group? Nobody will be able to send in it again.'))
                void apply(() => c.dissolveGroup(conv.id));
            }}
          >
            Dissolve group
          </button>
        )}
      </section>
    </>
  );
}

/** Per-member actions for the owner and admins: mute for an hour or lift it; (owner) admin role, hand over ownership. */
export function MemberActions({
  model,
  conv,
  userId,
  run,
  busy,
}: {
  model: ChatModel;
  conv: Conversation;
  userId: string;
  run: (f: () => Promise<unknown>) => Promise<void>;
  busy: boolean;
}) {
  const c = model.client;
  const owner = conv.membership.role === 'owner';
  const name = model.nameOf(userId);
  const apply = (f: () => Promise<Conversation>) => run(async () => model.applyConversation(await f()));
  return (
    <span class="inline-row">
      <button
        disabled={busy}
        onClick={() => void apply(() => c.muteMember(conv.id, userId, 3600))}
        aria-label={`Mute 1 h: ${name}`}
      >
        Mute 1 h
      </button>
      <button
        disabled={busy}
        onClick={() => void apply(() => c.muteMember(conv.id, userId, 0))}
        aria-label={`Unmute ${name}`}
      >
        Unmute
      </button>
      {owner && (
        <>
          <button
            disabled={busy}
            onClick={() => void apply(() => c.setRole(conv.id, userId, 'admin'))}
            aria-label={`Make ${name} an admin`}
          >
            Admin
          </button>
          <button
            disabled={busy}
            onClick={() => void apply(() => c.transferOwnership(conv.id, userId))}
            aria-label={`Make ${name} the owner`}
          >
            Owner
          </button>
        </>
      )}
    </span>
  );
}
