/**
 * Media sends through the outbox: the entry is queued at once with its upload's progress (so it
 * shows among the pending sends and survives a restart), the file is uploaded in chunks, then
 * the message carrying the blob is sent like any other. NatterClient.sendMedia is the public
 * method, documented there.
 */
import type { MediaMessageType, SendResult } from '@natter/protocol/wire';
import type { ClientCache, PendingSend, PendingUpload } from './cache.js';
import type { MediaFile, MediaUploader } from './media.js';
import type { Outbox } from './outbox.js';
import { newClientMsgId, type SendOptions } from './send-api.js';

export class MediaApi {
  constructor(
    private readonly cache: ClientCache,
    private readonly outbox: Outbox,
    private readonly uploader: MediaUploader,
    private readonly emitUpload: (item: PendingSend & { upload: PendingUpload }) => void,
  ) {}

  async sendMedia(conversationId: string, msgType: MediaMessageType, file: MediaFile, options: SendOptions & { caption?: string; chunkBytes?: number }): Promise<SendResult> {
    const upload: PendingUpload = {
      uploadId: null,
      type: file.type,
      name: file.name ?? null,
      total: file.data instanceof Uint8Array ? file.data.byteLength : file.data.size,
      sent: 0,
      done: false,
    };
    const item: PendingSend & { upload: PendingUpload } = {
      clientMsgId: options.clientMsgId ?? newClientMsgId(),
      conversationId,
      msgType,
      body: options.caption !== undefined ? { caption: options.caption } : {},
      createdAt: Date.now(),
      ...(options.replyTo !== undefined && { replyTo: options.replyTo }),
      upload,
    };
    await this.cache.putOutbox(item);
    this.emitUpload(item);
    let blobId: string;
    try {
      ({ uploadId: blobId } = await this.uploader.upload(file, {
        ...(options.chunkBytes !== undefined && { chunkBytes: options.chunkBytes }),
        onProgress: (p) => {
          upload.uploadId = p.uploadId;
          upload.sent = p.sent;
          void this.cache.putOutbox(item);
          this.emitUpload(item);
        },
      }));
    } catch (err) {
      await this.cache.removeOutbox(item.clientMsgId);
      throw err;
    }
    upload.done = true;
    item.body = { blobId, ...(options.caption !== undefined && { caption: options.caption }) };
    return this.outbox.send(item);
  }
}
