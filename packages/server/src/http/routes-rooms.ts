/**
 * REST for app servers (X-Admin-Key): broadcasts to every user or a segment, system notices
 * into live rooms, and rooms made on behalf of a host. Clients use the WebSocket frames
 * (room.*, broadcast.*); see docs/rooms.md.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { NatterError, roomSettingsPatch } from '@natter/protocol';
import type { Broadcasts } from '../core/rooms/broadcasts.js';
import type { Rooms } from '../core/rooms/rooms.js';
import { parse } from './validate.js';

export interface RoomRouteDeps {
  rooms: Rooms;
  broadcasts: Broadcasts;
  adminApiKey: string | undefined;
}

const id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/);
export const broadcastBody = z.object({
  title: z.string().min(1).max(200).optional(),
  body: z.unknown(),
  important: z.boolean().optional(),
  /** A segment: these users only. Absent: everyone. */
  userIds: z.array(id).min(1).max(100_000).optional(),
});
export const roomBody = z.object({ hostId: id, title: z.string().min(1).max(200).optional(), settings: roomSettingsPatch.optional() });
export const systemBody = z.object({ body: z.unknown() });

const hash = (key: string) => createHash('sha256').update(key).digest();

export function registerRoomRoutes(app: FastifyInstance, d: RoomRouteDeps): void {
  const keyHash = d.adminApiKey ? hash(d.adminApiKey) : null;
  function admin(req: FastifyRequest): void {
    const key = req.headers['x-admin-key'];
    if (!keyHash || typeof key !== 'string' || !timingSafeEqual(hash(key), keyHash)) throw new NatterError('invalid_api_key', 'missing or wrong X-Admin-Key');
  }

  app.post('/v1/admin/broadcasts', async (req, reply) => {
    admin(req);
    const b = parse(broadcastBody, req.body);
    const sent = await d.broadcasts.send({ title: b.title ?? null, body: b.body ?? null, important: b.important ?? false, userIds: b.userIds ?? null });
    return reply.status(201).send(sent);
  });

  app.post('/v1/admin/rooms', async (req, reply) => {
    admin(req);
    const b = parse(roomBody, req.body);
    const room = await d.rooms.create(b.hostId, { type: 'room.create', ...(b.title !== undefined && { title: b.title }), ...(b.settings !== undefined && { settings: b.settings }) });
    return reply.status(201).send(room);
  });

  app.post('/v1/admin/rooms/:id/messages', async (req, reply) => {
    admin(req);
    const roomId = parse(z.object({ id }), req.params, 'params').id;
    const b = parse(systemBody, req.body);
    return reply.status(201).send(await d.rooms.system(roomId, b.body ?? null));
  });
}
