/** Messages between SqliteWorkerStore and its thread (store-worker.ts). */
import type { ErrorCode } from '@natter/protocol';
import type { Store } from '../store.js';

export type StoreMethod = Exclude<keyof Store, 'appendsInOrder' | 'syncVersions'>;

export interface WorkerRequest {
  id: number;
  method: StoreMethod;
  args: unknown[];
}

export interface WorkerReply {
  id: number;
  value?: unknown;
  error?: { name: string; message: string; code?: string; natterCode?: ErrorCode; details?: Record<string, unknown> | undefined };
}

/** The error name of an openDirect request without a conversation when one is needed. */
export const NEEDS_CONVERSATION = 'NeedsConversation';

/**
 * Slots of the Int32Array over the SharedArrayBuffer the checkpointer shares with the store
 * thread and the main thread (see checkpointer.ts).
 */
export const WAL_STATE = {
  /** Set to 1 by the checkpointer when the WAL may start over; cleared by the store thread. */
  restartAsked: 0,
  /** Frames in the WAL at the checkpointer's last tick: what it holds since it last started over. */
  frames: 1,
  /** Ticks whose checkpoint ran to the end (wrapping): one that stops moving means none run. */
  ticks: 2,
  /** RESTART checkpoints the store thread ran (wrapping): each one held the sends behind it. */
  storeThreadRestarts: 3,
} as const;

/** Bytes of the SharedArrayBuffer behind WAL_STATE. */
export const WAL_STATE_BYTES = 4 * Int32Array.BYTES_PER_ELEMENT;
