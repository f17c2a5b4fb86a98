import { useEffect, useState } from 'preact/hooks';
import type { MediaBody, Message } from '@natter/client';
import type { ChatModel } from '../lib/model.js';

const MEDIA_TYPES = new Set(['image', 'file', 'voice', 'video']);

export function isMedia(m: Message): boolean {
  return MEDIA_TYPES.has(m.type);
}

/** A signed URL for the blob, fetched when the component shows. */
function useMediaUrl(
  model: ChatModel,
  blobId: string,
  variant: 'original' | 'thumbnail',
  enabled = true,
): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    model.mediaUrl(blobId, variant).then(
      (u) => live && setUrl(u),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [blobId, variant, enabled]);
  return url;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** An image (thumbnail, placeholder while it loads, full size in a viewer), a player, or a file card. */
export function MediaContent({ model, message }: { model: ChatModel; message: Message }) {
  const body = message.body as MediaBody;
  const [viewing, setViewing] = useState(false);
  if (message.type === 'image') {
    const box = fit(body.width ?? 320, body.height ?? 240, 280);
    return (
      <>
        <button
          class="image-button"
          onClick={() => setViewing(true)}
          aria-label={`Open image${body.name ? ` ${body.name}` : ''}`}
        >
          <Thumb model={model} body={body} width={box.w} height={box.h} />
        </button>
        {body.caption && <span class="caption">{body.caption}</span>}
        {viewing && <Viewer model={model} body={body} onClose={() => setViewing(false)} />}
      </>
    );
  }
  if (message.type === 'voice' || message.type === 'video')
    return <Player model={model} body={body} video={message.type === 'video'} />;
  return <FileCard model={model} body={body} />;
}

function Thumb({
  model,
  body,
  width,
  height,
}: {
  model: ChatModel;
  body: MediaBody;
  width: number;
  height: number;
}) {
  const url = useMediaUrl(model, body.blobId, body.thumbnail ? 'thumbnail' : 'original');
  const style = {
    width,
    height,
    backgroundImage: body.placeholder ? `url("${body.placeholder}")` : undefined,
  };
  return (
    <span class="thumb" style={style}>
      {url && <img src={url} alt={body.caption ?? body.name ?? 'image'} width={width} height={height} />}
    </span>
  );
}

function Viewer({ model, body, onClose }: { model: ChatModel; body: MediaBody; onClose: () => void }) {
  const url = useMediaUrl(model, body.blobId, 'original');
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
  return (
    <div class="overlay viewer" role="dialog" aria-modal="true" aria-label="Image" onClick={onClose}>
      {url && <img src={url} alt={body.caption ?? body.name ?? 'image'} />}
      <button class="icon-button viewer-close" onClick={onClose} aria-label="Close">
        ✕
      </button>
    </div>
  );
}

function Player({ model, body, video }: { model: ChatModel; body: MediaBody; video: boolean }) {
  const url = useMediaUrl(model, body.blobId, 'original');
  const label = body.name ?? (video ? 'video' : 'voice note');
  return (
    <span class="player">
      {url &&
        (video ? (
          <video src={url} controls preload="metadata" aria-label={label} />
        ) : (
          <audio src={url} controls preload="metadata" aria-label={label} />
        ))}
      {body.durationMs !== undefined && <span class="hint">{Math.round(body.durationMs / 1000)} s</span>}
    </span>
  );
}

function FileCard({ model, body }: { model: ChatModel; body: MediaBody }) {
  const [busy, setBusy] = useState(false);
  async function download() {
    setBusy(true);
    try {
      const a = document.createElement('a');
      a.href = await model.mediaUrl(body.blobId, 'original');
      a.download = body.name ?? 'file';
      a.click();
    } finally {
      setBusy(false);
    }
  }
  return (
    <span class="file-card">
      <span class="file-icon" aria-hidden="true">
        📄
      </span>
      <span class="file-meta">
        <strong>{body.name ?? 'File'}</strong>
        <span class="hint">
          {formatBytes(body.size)} · {body.mime}
        </span>
      </span>
      <button onClick={() => void download()} disabled={busy} aria-label={`Download ${body.name ?? 'file'}`}>
        Download
      </button>
    </span>
  );
}

function fit(w: number, h: number, max: number): { w: number; h: number } {
  const scale = Math.min(1, max / Math.max(w, h));
  return { w: Math.max(40, Math.round(w * scale)), h: Math.max(40, Math.round(h * scale)) };
}
