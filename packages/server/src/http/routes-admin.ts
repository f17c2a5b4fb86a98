/**
 * Admin routes for operators (issue 20), beside the app-server ones in routes.ts and behind the
 * same X-Admin-Key: list users, disable or enable one, create registration invites. The `natter`
 * CLI's `user list|disable|enable` and `invite create` call these.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { UserAdmin } from '../core/user-admin.js';
import { adminUsersQuery, inviteBody, userRefParam } from './schemas.js';
import { parse } from './validate.js';

export function registerAdminRoutes(app: FastifyInstance, d: { admin(req: FastifyRequest): void; users: UserAdmin }): void {
  app.get('/v1/admin/users', async (req) => {
    d.admin(req);
    const q = parse(adminUsersQuery, req.query, 'query');
    return d.users.list(q.after ?? null, q.limit ?? 100);
  });
  app.get('/v1/admin/users/:id', async (req) => {
    d.admin(req);
    return d.users.get(parse(userRefParam, req.params, 'params').id);
  });
  app.post('/v1/admin/users/:id/disable', async (req) => {
    d.admin(req);
    return d.users.setDisabled(parse(userRefParam, req.params, 'params').id, true);
  });
  app.post('/v1/admin/users/:id/enable', async (req) => {
    d.admin(req);
    return d.users.setDisabled(parse(userRefParam, req.params, 'params').id, false);
  });
  app.post('/v1/admin/invites', async (req, reply) => {
    d.admin(req);
    const b = parse(inviteBody, req.body ?? {});
    return reply.status(201).send(await d.users.createInvite(b.expiresInHours === undefined ? 7 * 24 : b.expiresInHours));
  });
}
