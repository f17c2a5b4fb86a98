/** @natter/protocol — frame types, schemas, codecs, error and close codes shared by server and SDK. */
export * from './model.js';
export * from './errors.js';
export * from './close-codes.js';
export * from './frames.js';
export * from './group-frames.js';
export * from './message-actions.js';
export * from './message-action-apply.js';
export * from './codec.js';
export * from './backoff.js';
export { ACK_DELAY_MS } from './ack-cadence.js';
export * from './contacts.js';
export * from './presence.js';
export * from './rooms.js';
export * from './media.js';
export * from './search.js';
export * from './search-frame.js';
