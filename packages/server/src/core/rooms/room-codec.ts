/**
 * What live rooms put on the wire and on the Bus. A room message is encoded once when it first
 * reaches a process (its JSON text, and its compact array form); a tick's frame is those texts
 * joined, so a frame costs one string concatenation per tick whatever the audience, and the
 * transport frames the result once for every viewer (websocket.ts's FrameCache).
 *
 * Bus payloads on a room's topic `r:<roomId>` (JSON):
 * - `{"k":"t","p":<process>,"v":<viewers here>,"m":[RoomMessage…]}`: one process's tick — the
 *   messages sent through it since its last tick, and how many viewers it has (every second at
 *   least while it has viewers, so counts fade when a process dies);
 * - `{"k":"kick","u":<userId>}`: a moderator kicked a user: their viewers leave the room;
 * - `{"k":"meta"}`: the room's stored settings changed: read them again.
 */
import type { RoomMessage } from '@natter/protocol';
import { outbound, type OutboundFrame } from '../connection.js';

/** A room message with its encodings, made once per process. */
export interface EncodedRoomMessage {
  m: RoomMessage;
  high: boolean;
  json: string;
  compact: string;
}

export type RoomEncoding = 'json' | 'compact';

export type RoomEnvelope =
  | { k: 't'; p: string; v: number; m: RoomMessage[] }
  | { k: 'kick'; u: string }
  | { k: 'meta' };

const str = JSON.stringify;

export function encodeRoomMessage(m: RoomMessage): EncodedRoomMessage {
  const body = str(m.body) ?? 'null';
  return {
    m,
    high: m.priority === 'high',
    json: `{"id":${str(m.id)},"roomId":${str(m.roomId)},"senderId":${str(m.senderId)},"type":${str(m.type)},"body":${body},"priority":${str(m.priority)},"createdAt":${m.createdAt}}`,
    compact: `[${str(m.id)},${str(m.senderId)},${str(m.type)},${body},${m.priority === 'high' ? 1 : 0},${m.createdAt}]`,
  };
}

/** One tick's frame for a room, shared by every viewer it goes to. */
export function roomFrame(encoding: RoomEncoding, roomId: string, viewers: number, messages: readonly EncodedRoomMessage[], dropped: number): OutboundFrame {
  if (encoding === 'compact') {
    const d = dropped > 0 ? `,"d":${dropped}` : '';
    return outbound(`{"type":"room~","r":${str(roomId)},"v":${viewers},"m":[${messages.map((x) => x.compact).join(',')}]${d}}`);
  }
  const d = dropped > 0 ? `,"dropped":${dropped}` : '';
  return outbound(`{"type":"room","roomId":${str(roomId)},"viewers":${viewers},"messages":[${messages.map((x) => x.json).join(',')}]${d}}`);
}

export function encodeRoomEnvelope(e: RoomEnvelope): string {
  return str(e);
}

/** A room topic's payload, or null when this version cannot read it (it is ignored: rooms are at most once). */
export function decodeRoomEnvelope(payload: string): RoomEnvelope | null {
  try {
    const e = JSON.parse(payload) as Partial<RoomEnvelope> & { k?: unknown };
    if (e.k === 't' && typeof (e as { p?: unknown }).p === 'string' && Array.isArray((e as { m?: unknown }).m)) return e as RoomEnvelope;
    if (e.k === 'kick' && typeof (e as { u?: unknown }).u === 'string') return e as RoomEnvelope;
    if (e.k === 'meta') return e as RoomEnvelope;
    return null;
  } catch {
    return null;
  }
}
