/**
 * Object ids: a short type prefix, then for messages a millisecond timestamp, then random bits,
 * URL-safe and unguessable. Random bytes come from a pooled buffer: one trip into OpenSSL per
 * few hundred ids instead of one per id (a measurable share of server time under load).
 * Message ids start with the time in fixed-width hex, so they sort by creation and new rows
 * append to the end of the id index instead of dirtying a random page per insert.
 */
import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let offset = POOL_SIZE;

function random(n: number): Buffer {
  if (offset + n > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  // Copy: the pool is refilled in place later.
  const out = Buffer.from(pool.subarray(offset, offset + n));
  offset += n;
  return out;
}

const make = (prefix: string) => () => `${prefix}_${random(16).toString('base64url')}`;

export const newUserId = make('u');
export const newDeviceId = make('d');
export const newConversationId = make('c');
/** `m_` + 12 hex digits of milliseconds + 96 random bits. */
export const newMessageId = () => `m_${Date.now().toString(16).padStart(12, '0')}${random(12).toString('base64url')}`;
