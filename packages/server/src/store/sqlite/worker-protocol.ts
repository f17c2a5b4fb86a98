/** Messages between SqliteWorkerStore and its thread (store-worker.ts). */
import type { ErrorCode } from '@natter/protocol';
import type { Store } from '../store.js';

export type StoreMethod = Exclude<keyof Store, 'appendsInOrder'>;

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
