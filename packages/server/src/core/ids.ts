/** Object ids: a short type prefix and 128 random bits, URL-safe. Unguessable by design. */
import { randomBytes } from 'node:crypto';

const make = (prefix: string) => () => `${prefix}_${randomBytes(16).toString('base64url')}`;

export const newUserId = make('u');
export const newDeviceId = make('d');
export const newConversationId = make('c');
export const newMessageId = make('m');
