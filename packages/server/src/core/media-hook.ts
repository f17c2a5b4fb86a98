/**
 * What Messaging needs from the media service for image/file/voice/video sends, as an interface
 * so the core imports no blob store or image library (media/media-service.ts implements it).
 */
import type { MediaMessageType } from '@natter/protocol';

export interface MediaHook {
  /**
   * Checks a media send's body (`{ blobId, caption? }`): the blob must be the sender's own
   * finished upload of a kind the type accepts. Attaches it (the collector will not delete it)
   * and returns the body to store, filled with the blob's metadata, as JSON.
   */
  prepare(userId: string, type: MediaMessageType, body: unknown): Promise<{ json: string; blobId: string }>;
  /** Records that the stored message carries the blob (idempotent; called again on a retried send). */
  stored(blobId: string, conversationId: string, messageId: string, seq: number): Promise<void>;
}
