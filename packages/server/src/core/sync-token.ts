/**
 * Sync tokens, opaque to clients. The version inside is the server-wide change counter, which
 * advances with everyone's activity: a readable token told any user how busy the server is and,
 * by polling, when others were active. `v2` tokens are the version encrypted with AES-256-GCM
 * under a key derived from the signing secret, with the user id as associated data, and a fresh
 * nonce each time, so two tokens for the same version look unrelated.
 *
 * The sealed version also says what kind of version it is (see Store.syncVersions): a counter
 * (SQLite) or PostgreSQL transaction-id stamps. A token of the other kind (a deployment that moved
 * store) means "from the start" rather than comparing numbers that mean different things.
 *
 * `v1.<version>` tokens, from before, are still accepted where versions are a counter. A `v2` token
 * that does not decrypt (the secret was rotated, or it is another user's) means "from the start"
 * too: the client catches up in full once instead of being stuck with a token nothing accepts.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { NatterError } from '@natter/protocol';

const NONCE = 12;
const TAG = 16;
/** 12-byte nonce, 9 bytes sealed (kind, version), 16-byte tag: 37 bytes, 50 base64url characters. */
const V2 = /^v2\.([A-Za-z0-9_-]{50})$/;
/** What a version counts: see Store.syncVersions. */
export type VersionKind = 'counter' | 'xid';
const KIND_BYTE: Record<VersionKind, number> = { counter: 0, xid: 1 };
const V1 = /^v1\.(\d{1,15})$/;

export class SyncTokens {
  private readonly key: Buffer;

  /** @param secret the server's signing secret (JWT_SECRET or the generated one), shared by every process. */
  constructor(secret: string) {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'natter', 'sync token v2', 32));
  }

  encode(userId: string, version: number, kind: VersionKind = 'counter'): string {
    const nonce = randomBytes(NONCE);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(userId));
    const plain = Buffer.alloc(9);
    plain.writeUInt8(KIND_BYTE[kind], 0);
    plain.writeBigUInt64BE(BigInt(version), 1);
    const sealed = Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return `v2.${sealed.toString('base64url')}`;
  }

  /** The version a token stands for; 0 for none. Throws `invalid_request` for what is no sync token at all. */
  decode(userId: string, token: string | null | undefined, kind: VersionKind = 'counter'): number {
    if (token === null || token === undefined || token === '') return 0;
    const v1 = V1.exec(token);
    if (v1) return kind === 'counter' ? Number(v1[1]) : 0;
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
      return plain.readUInt8(0) === KIND_BYTE[kind] ? Number(plain.readBigUInt64BE(1)) : 0;
    } catch {
      return 0;
    }
  }
}
