import { useEffect, useState } from 'preact/hooks';
import type { DeviceInfo } from '@natter/client';
import type { ChatModel } from '../lib/model.js';
import { Dialog } from './Dialog.js';
import { listTime } from './format.js';

/** Profile, signed-in devices (with sign-out of any other one), notifications, sign out. */
export function SettingsDialog({ model, onClose }: { model: ChatModel; onClose: () => void }) {
  const me = model.user(model.me);
  const [displayName, setDisplayName] = useState(me?.displayName ?? '');
  const [saved, setSaved] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [devices, setDevices] = useState<DeviceInfo[] | null>(null);
  const [permission, setPermission] = useState(
    typeof Notification === 'undefined' ? 'unsupported' : Notification.permission,
  );

  const [readReceipts, setReadReceipts] = useState<boolean | null>(null);
  const [showPresence, setShowPresence] = useState(
    () => localStorage.getItem('natter.showPresence') !== 'false',
  );
  useEffect(() => {
    model.client.settings().then(
      (s) => setReadReceipts(s.readReceipts),
      () => setReadReceipts(null),
    );
  }, []);

  const loadDevices = () =>
    model.auth.devices().then(
      (d) => setDevices(d),
      () => setDevices([]),
    );
  useEffect(() => void loadDevices(), []);

  async function saveProfile(e: Event) {
    e.preventDefault();
    setError(null);
    setSaved(null);
    try {
      const u = await model.auth.updateProfile({ displayName: displayName.trim() || null });
      model.rememberUser(u);
      setSaved('Saved.');
    } catch (err) {
      setError((err as Error).message);
    }
  }

  return (
    <Dialog title="Settings" onClose={onClose}>
      <form class="dialog-body" onSubmit={saveProfile}>
        <h3>Profile</h3>
        <p class="hint">Signed in as @{me?.username}</p>
        <label>
          Display name
          <input value={displayName} maxLength={64} onInput={(e) => setDisplayName(e.currentTarget.value)} />
        </label>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        {saved && <p role="status">{saved}</p>}
        <button type="submit" class="primary">
          Save profile
        </button>
      </form>
      <section class="dialog-body" aria-labelledby="privacy-title">
        <h3 id="privacy-title">Privacy</h3>
        <label class="toggle-row">
          Send read receipts (off: nobody sees when you read, and you see nobody's)
          <input
            type="checkbox"
            checked={readReceipts ?? true}
            disabled={readReceipts === null}
            onChange={(e) => {
              const on = e.currentTarget.checked;
              void model.client
                .updateSettings({ readReceipts: on })
                .then((s) => setReadReceipts(s.readReceipts));
            }}
          />
        </label>
        <label class="toggle-row">
          Show when I am online
          <input
            type="checkbox"
            checked={showPresence}
            onChange={(e) => {
              const on = e.currentTarget.checked;
              void model.client.setPresenceVisible(on).then((r) => {
                localStorage.setItem('natter.showPresence', String(r.visible));
                setShowPresence(r.visible);
              });
            }}
          />
        </label>
      </section>
      <section class="dialog-body" aria-labelledby="devices-title">
        <h3 id="devices-title">Devices</h3>
        {devices === null ? (
          <p class="hint">Loading…</p>
        ) : (
          <ul class="device-list">
            {devices.map((d) => (
              <li key={d.id}>
                <span>
                  <strong>{d.name ?? 'Unnamed device'}</strong>
                  <span class="hint">
                    {' '}
                    · {d.current ? 'this device' : `last seen ${listTime(d.lastSeenAt)}`}
                  </span>
                </span>
                {!d.current && (
                  <button
                    onClick={() => void model.auth.revokeDevice(d.id).then(loadDevices)}
                    aria-label={`Sign out ${d.name ?? 'device'}`}
                  >
                    Sign out
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section class="dialog-body" aria-labelledby="notifications-title">
        <h3 id="notifications-title">Notifications</h3>
        {permission === 'granted' ? (
          <p class="hint">On: new messages are announced while this tab is hidden (not for muted chats).</p>
        ) : permission === 'denied' ? (
          <p class="hint">Blocked in this browser's site settings.</p>
        ) : permission === 'unsupported' ? (
          <p class="hint">This browser cannot show notifications.</p>
        ) : (
          <button onClick={() => void Notification.requestPermission().then(setPermission)}>
            Turn on notifications
          </button>
        )}
      </section>
      <div class="dialog-body">
        <button class="danger" onClick={() => void model.auth.logout()}>
          Sign out
        </button>
      </div>
    </Dialog>
  );
}
