/**
 * The user's sends not yet in the log: waiting (a clock, or an upload's progress; a tick once
 * the server stored it) and failed (the reason, with retry and delete).
 */
import type { PendingSend } from '@natter/client';
import type { ChatModel } from '../../lib/model.js';
import type { FailedSend } from '../../lib/outbox.js';
import { formatBytes } from '../Media.js';

export function PendingBubble({
  item,
  stored,
  progress,
}: {
  item: PendingSend;
  stored: boolean;
  progress: { sent: number; total: number } | null;
}) {
  const media = item.msgType !== 'text' && item.msgType !== 'custom';
  const name = (item.body as { name?: string; text?: string }).name ?? 'file';
  return (
    <div class="message-group mine">
      <div class="bubbles">
        <div class="bubble pending" data-client-msg-id={item.clientMsgId}>
          {media ? (
            <span class="upload">
              <span>{name}</span>
              {progress && !stored && (
                <progress max={progress.total} value={progress.sent} aria-label={`Uploading ${name}`}>
                  {formatBytes(progress.sent)} of {formatBytes(progress.total)}
                </progress>
              )}
            </span>
          ) : (
            <span class="text">{(item.body as { text?: string }).text ?? ''}</span>
          )}
          <span class="meta">
            {stored ? (
              <span class="tick" aria-label="Sent" title="Sent">
                ✓
              </span>
            ) : (
              <span class="clock" role="img" aria-label="Waiting to send" title="Waiting to send">
                <svg viewBox="0 0 24 24" width="12" height="12" aria-hidden="true">
                  <path
                    fill="currentColor"
                    d="M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 18a8 8 0 1 1 0-16 8 8 0 0 1 0 16zm.5-13H11v6l5.2 3.2.8-1.3-4.5-2.7z"
                  />
                </svg>
              </span>
            )}
          </span>
        </div>
      </div>
    </div>
  );
}

export function FailedBubble({ failed, model }: { failed: FailedSend; model: ChatModel }) {
  return (
    <div class="message-group mine">
      <div class="bubbles">
        <div class="bubble failed" role="alert">
          <span class="text">{(failed.item.body as { text?: string }).text ?? ''}</span>
          <span class="failure">
            Not sent: {failed.message}
            <button class="link" onClick={() => model.retry(failed.item.clientMsgId)}>
              Retry
            </button>
            <button class="link" onClick={() => model.discard(failed.item.clientMsgId)}>
              Delete
            </button>
          </span>
        </div>
      </div>
    </div>
  );
}
