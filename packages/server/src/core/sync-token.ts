/**
 * Sync tokens, opaque to clients. The version inside is the server-wide change counter, which
 * advances with everyone's activity: a readable token told any user how busy the server is and,
 * by polling, when others were active. `v2` tokens are the version encrypted with AES-256-GCM
 * under a key derived from the signing secret, with the user id as associated data, and a fresh
 * nonce each time, so two tokens for the same version look unrelated.
 *
 * `v1.<version>` tokens, from before, are still accepted. A `v2` token that does not decrypt (the
 * secret was rotated, or it is another user's) means "from the start": the client catches up in
 * full once instead of being stuck with a token nothing accepts.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { NatterError } from '@natter/protocol';

const NONCE = 12;
const TAG = 16;
const V2 = /^v2\.([A-Za-z0-9_-]{48})$/;
const V1 = /^v1\.(\d{1,15})$/;

export class SyncTokens {
  private readonly key: Buffer;

  /** @param secret the server's signing secret (JWT_SECRET or the generated one), shared by every process. */
  constructor(secret: string) {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'natter', 'sync token v2', 32));
  }

  encode(userId: string, version: number): string {
    const nonce = randomBytes(NONCE);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(userId));
    const plain = Buffer.alloc(8);
    plain.writeBigUInt64BE(BigInt(version));
    const sealed = Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return `v2.${sealed.toString('base64url')}`;
  }

  /** The version a token stands for; 0 for none. Throws `invalid_request` for what is no sync token at all. */
  decode(userId: string, token: string | null | undefined): number {
    if (token === null || token === undefined || token === '') return 0;
    const v1 = V1.exec(token);
    if (v1) return Number(v1[1]);
    const v2 = V2.exec(token);
    if (!v2) throw new NatterError('invalid_request', 'since: not a sync token from this server');
    const sealed = Buffer.from(v2[1]!, 'base64url');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, NONCE));
      decipher.setAAD(Buffer.from(userId));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
      const plain = Buffer.concat([
        decipher.update(sealed.subarray(NONCE, sealed.length - TAG)),
        decipher.final(),
      ]);
      return Number(plain.readBigUInt64BE());
    } catch {
      return 0;
    }
  }
}
