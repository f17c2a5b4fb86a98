import type { ChatModel } from '../lib/model.js';

/** Says when messages cannot go out right now; nothing when online. */
export function ConnectionBanner({ model }: { model: ChatModel }) {
  const s = model.state;
  if (s.status === 'online' || s.status === 'idle') return null;
  let text: string;
  if (s.status === 'connecting') text = s.attempt > 1 ? 'Reconnecting…' : 'Connecting…';
  else if (s.status === 'offline')
    text = `You are offline. Messages you send will go out when the connection is back${s.retryInMs > 1500 ? ` (retrying in ${Math.ceil(s.retryInMs / 1000)} s)` : ''}.`;
  else text = `Disconnected: ${s.reason}`;
  return (
    <div class={`banner banner-${s.status}`} role="status" aria-live="polite">
      {text}
    </div>
  );
}
