/**
 * REST routes for finding people, friend requests, contacts and blocks (docs/api.md, rules in
 * docs/contacts.md). Every route needs a bearer token and spends the caller's request budget, as
 * the socket frames do; the services apply the rest (discovery, rate limits, blocks).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Contacts } from '../core/contacts.js';
import type { RequestClass } from '../core/fair-share.js';
import type { AccessClaims } from '../core/tokens.js';
import { friendRequestBody, lookupQuery, searchQuery, userIdParam } from './schemas-contacts.js';
import { parse } from './validate.js';

export function registerContactRoutes(app: FastifyInstance, contacts: Contacts, budgeted: (req: FastifyRequest, kind: RequestClass) => Promise<AccessClaims>): void {
  const other = (req: FastifyRequest) => parse(userIdParam, req.params, 'params').userId;

  app.get('/v1/users', async (req) => {
    const claims = await budgeted(req, 'read');
    return contacts.lookup(claims.userId, parse(lookupQuery, req.query, 'query').username);
  });
  app.get('/v1/users/search', async (req) => {
    const claims = await budgeted(req, 'read');
    const q = parse(searchQuery, req.query, 'query');
    return contacts.search(claims.userId, q.prefix, q.limit);
  });

  app.get('/v1/contacts', async (req) => contacts.contacts((await budgeted(req, 'read')).userId));
  app.delete('/v1/contacts/:userId', async (req, reply) => {
    const claims = await budgeted(req, 'write');
    await contacts.remove(claims.userId, other(req));
    return reply.status(204).send();
  });
  app.get('/v1/contacts/requests', async (req) => contacts.requests((await budgeted(req, 'read')).userId));
  app.post('/v1/contacts/requests', async (req) => {
    const claims = await budgeted(req, 'write');
    return contacts.request(claims.userId, parse(friendRequestBody, req.body).userId);
  });
  app.post('/v1/contacts/requests/:userId/accept', async (req) => {
    const claims = await budgeted(req, 'write');
    return contacts.accept(claims.userId, other(req));
  });
  app.post('/v1/contacts/requests/:userId/decline', async (req, reply) => {
    const claims = await budgeted(req, 'write');
    await contacts.decline(claims.userId, other(req));
    return reply.status(204).send();
  });
  app.delete('/v1/contacts/requests/:userId', async (req, reply) => {
    const claims = await budgeted(req, 'write');
    await contacts.cancel(claims.userId, other(req));
    return reply.status(204).send();
  });

  app.get('/v1/blocks', async (req) => contacts.blocks((await budgeted(req, 'read')).userId));
  app.put('/v1/blocks/:userId', async (req, reply) => {
    const claims = await budgeted(req, 'write');
    await contacts.block(claims.userId, other(req));
    return reply.status(204).send();
  });
  app.delete('/v1/blocks/:userId', async (req, reply) => {
    const claims = await budgeted(req, 'write');
    await contacts.unblock(claims.userId, other(req));
    return reply.status(204).send();
  });
}
