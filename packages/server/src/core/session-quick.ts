/**
 * The spot path of a Session (issue 17): an ack the SDK sends after every message it applies is
 * handled at once, without a promise or the store, when the full path would accept it unchecked.
 */
import type { DecodeResult } from '@natter/protocol';
import { REQUEST_CLASS } from './session-frames.js';
import type { SessionInternals } from './session-context.js';

/**
 * Handles at once, without a promise, a frame that needs no answer and no store: an `ack`
 * without an id of an entry this process delivered to the device (what the SDK sends after
 * every message it applies). The checks are those of the full path: the connection is open,
 * the device was shown `seq` (Delivery.shown: else the store checks the ack, on the full
 * path), a write token is there (else the full path refuses it, counted as before); the
 * cursor only moves forward (DeliveryCursors.ack). Returns false, having done nothing, for
 * any other frame: the caller then hands it to `handle`.
 */
export function quickAck(s: SessionInternals, decoded: DecodeResult): boolean {
  if (!decoded.ok) return false;
  const frame = decoded.frame;
  if (frame.type !== 'ack' || frame.id !== undefined) return false;
  const state = s.state;
  if (state.kind !== 'open' || s.gone) return false;
  const a = state.attachment;
  if (!s.deps.delivery.shown(a, frame.conversationId, frame.seq)) return false;
  const m = s.deps.messaging;
  s.budget ??= m.fairShare.newConnectionBudget();
  if (m.fairShare.tryAdmit(a.userId, REQUEST_CLASS.ack, s.budget) > 0) return false;
  s.refusedInARow = 0;
  m.ackShown(a.userId, a.deviceId, frame.conversationId, frame.seq);
  s.deps.hooks.onQuickFrame('ack');
  return true;
}
