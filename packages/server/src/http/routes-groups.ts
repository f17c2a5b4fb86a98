/**
 * REST routes of group management (docs/api.md, docs/groups.md): the same operations as the
 * `group.*` frames, for the same authenticated user, through the same service and budgets.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { groupPatch, NatterError } from '@natter/protocol';
import type { Accounts } from '../core/accounts.js';
import type { RequestClass } from '../core/fair-share.js';
import type { Groups } from '../core/groups.js';
import type { Messaging } from '../core/messaging.js';
import type { AccessClaims } from '../core/tokens.js';
import { idParam, inviteBody, inviteParams, joinBody, memberParams, muteAllBody, muteBody, transferBody } from './schemas-groups.js';
import { parse } from './validate.js';

export interface GroupRouteDeps {
  accounts: Accounts;
  messaging: Messaging;
  groups: Groups;
}

export function registerGroupRoutes(app: FastifyInstance, d: GroupRouteDeps): void {
  /** The caller, admitted by their budget (the same buckets as their sockets'). */
  async function budgeted(req: FastifyRequest, kind: RequestClass): Promise<AccessClaims> {
    const header = req.headers.authorization;
    if (!header?.startsWith('Bearer ')) throw new NatterError('invalid_token', 'send Authorization: Bearer <access token>');
    const claims = await d.accounts.authenticate(header.slice(7).trim());
    d.messaging.fairShare.admit(claims.userId, kind, null);
    return claims;
  }

  app.patch('/v1/conversations/:id/group', async (req) => {
    const { userId } = await budgeted(req, 'write');
    return d.groups.update(userId, parse(idParam, req.params, 'params').id, parse(groupPatch, req.body));
  });
  app.post('/v1/conversations/:id/owner', async (req) => {
    const { userId } = await budgeted(req, 'write');
    const { id } = parse(idParam, req.params, 'params');
    return d.groups.change(id, { kind: 'transfer', by: userId, userId: parse(transferBody, req.body).userId });
  });
  app.post('/v1/conversations/:id/dissolve', async (req) => {
    const { userId } = await budgeted(req, 'write');
    return d.groups.change(parse(idParam, req.params, 'params').id, { kind: 'dissolve', by: userId });
  });
  app.put('/v1/conversations/:id/members/:userId/mute', async (req) => {
    const { userId } = await budgeted(req, 'write');
    const p = parse(memberParams, req.params, 'params');
    return d.groups.mute(userId, p.id, p.userId, parse(muteBody, req.body).seconds);
  });
  app.put('/v1/conversations/:id/mute', async (req) => {
    const { userId } = await budgeted(req, 'write');
    const { id } = parse(idParam, req.params, 'params');
    return d.groups.change(id, { kind: 'muteAll', by: userId, muted: parse(muteAllBody, req.body).muted });
  });
  app.post('/v1/conversations/:id/invites', async (req, reply) => {
    const { userId } = await budgeted(req, 'write');
    const { id } = parse(idParam, req.params, 'params');
    return reply.status(201).send(await d.groups.createInvite(userId, id, parse(inviteBody, req.body)));
  });
  app.get('/v1/conversations/:id/invites', async (req) => {
    const { userId } = await budgeted(req, 'read');
    return { invites: await d.groups.listInvites(userId, parse(idParam, req.params, 'params').id) };
  });
  app.delete('/v1/conversations/:id/invites/:code', async (req) => {
    const { userId } = await budgeted(req, 'write');
    const p = parse(inviteParams, req.params, 'params');
    return d.groups.revokeInvite(userId, p.id, p.code);
  });
  // The code travels in the body, not the path: paths end up in access logs.
  app.post('/v1/invites/join', async (req) => {
    const { userId } = await budgeted(req, 'write');
    return d.groups.join(userId, parse(joinBody, req.body).code);
  });
}
