/**
 * Media messages: the message types that carry an uploaded blob, what their bodies hold, and the
 * upload object of the REST API (docs/media.md). Shared by server and SDK.
 */

/** Message types whose body is a MediaBody. */
export type MediaMessageType = 'image' | 'file' | 'voice' | 'video';
export const MEDIA_MESSAGE_TYPES: readonly MediaMessageType[] = ['image', 'file', 'voice', 'video'];

/** What a blob's bytes turned out to be (sniffed from the bytes, never from the name). */
export type MediaKind = 'image' | 'audio' | 'video' | 'file';

/** Which kinds of blob each message type accepts. */
export const MESSAGE_TYPE_KINDS: Record<MediaMessageType, readonly MediaKind[]> = {
  image: ['image'],
  voice: ['audio'],
  video: ['video'],
  file: ['image', 'audio', 'video', 'file'],
};

/** Derived data of a finished upload. */
export interface MediaInfo {
  /** The type detected from the bytes, e.g. `image/jpeg`. */
  mime: string;
  kind: MediaKind;
  /** Bytes of the stored blob (for images: after metadata was stripped). */
  size: number;
  /** Pixels, for images (after EXIF orientation is applied). */
  width?: number;
  height?: number;
  /** For audio and video, where the container says it cheaply. */
  durationMs?: number;
  /** A thumbnail exists for images: fetch it at `/v1/media/{blobId}/thumbnail`. */
  thumbnail?: { width: number; height: number; mime: string };
  /** A tiny blurred preview as a `data:image/webp;base64,…` URL (well under 1 KB), for images. */
  placeholder?: string;
}

/**
 * The body of an image/file/voice/video message as stored and delivered. The sender sends only
 * `{ blobId, caption? }`; the server fills in the rest from the blob.
 */
export interface MediaBody extends MediaInfo {
  blobId: string;
  /** The sanitised display name given at upload (never used in any path). */
  name: string | null;
  caption?: string;
}

/** An upload as the REST API returns it. */
export interface UploadInfo {
  id: string;
  state: 'uploading' | 'ready';
  /** Total bytes announced when the upload was created. */
  size: number;
  /** Bytes received so far: the offset of the next chunk. */
  offset: number;
  name: string | null;
  /** Set once `state` is `ready`. */
  media?: MediaInfo;
}
