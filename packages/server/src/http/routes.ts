/**
 * REST API under /v1 (documented in docs/api.md). Clients authenticate with
 * `Authorization: Bearer <access token>`; app servers use `X-Admin-Key` on /v1/admin.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NatterError } from '@natter/protocol';
import type { Accounts } from '../core/accounts.js';
import type { RequestClass } from '../core/fair-share.js';
import type { AccessClaims } from '../core/tokens.js';
import type { Messaging } from '../core/messaging.js';
import type { UserAdmin } from '../core/user-admin.js';
import { registerAdminRoutes } from './routes-admin.js';
import type { Contacts } from '../core/contacts.js';
import { registerContactRoutes } from './routes-contacts.js';
import {
  adminUserBody,
  directBody,
  groupBody,
  historyQuery,
  idParam,
  loginBody,
  memberParams,
  membersBody,
  mintBody,
  passwordBody,
  profileBody,
  refreshBody,
  registerBody,
  roleBody,
  seqBody,
  flagsBody,
  syncQuery,
} from './schemas.js';
import { parse } from './validate.js';

export interface RouteDeps {
  accounts: Accounts;
  messaging: Messaging;
  contacts: Contacts;
  adminApiKey: string | undefined;
  /** `closed`: accounts come only from the admin API; `invite`: registration needs an invite code. */
  registration: 'open' | 'invite' | 'closed';
  /** The operator's user administration (routes-admin.ts); its routes are off without it. */
  users?: UserAdmin;
}

function hashKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

export function registerRoutes(app: FastifyInstance, d: RouteDeps): void {
  const adminKeyHash = d.adminApiKey ? hashKey(d.adminApiKey) : null;

  // Every /v1 answer is about one user (tokens above all): no shared or browser cache may keep it.
  app.addHook('onSend', async (req, reply) => {
    // (Media downloads set their own: an immutable blob may be kept privately, see routes-media.ts.)
    if (req.url.startsWith('/v1/') && !reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
  });

  async function user(req: FastifyRequest): Promise<AccessClaims> {
    const header = req.headers.authorization;
    if (!header?.startsWith('Bearer ')) throw new NatterError('invalid_token', 'send Authorization: Bearer <access token>');
    return d.accounts.authenticate(header.slice(7).trim());
  }

  /**
   * The caller of a store-bound route, admitted by their budget (the same per-user buckets as
   * their sockets': HTTP is no way around them). Throws `rate_limited` when over it.
   */
  async function budgeted(req: FastifyRequest, kind: RequestClass): Promise<AccessClaims> {
    const claims = await user(req);
    d.messaging.fairShare.admit(claims.userId, kind, null);
    return claims;
  }

  /** Sends a page serialised here (Fastify would do it anyway) so its size is charged to the budget. */
  function charged(reply: FastifyReply, claims: AccessClaims, page: unknown): FastifyReply {
    const json = JSON.stringify(page);
    d.messaging.fairShare.chargeAnswer(claims.userId, json.length, null);
    return reply.type('application/json; charset=utf-8').send(json);
  }

  /** False once the client has gone: a page read still queued is then dropped (FairShare.read). */
  const wanted = (req: FastifyRequest) => () => !req.raw.socket.destroyed;

  function admin(req: FastifyRequest): void {
    const key = req.headers['x-admin-key'];
    // Hashing first makes the comparison constant-time whatever the key's length.
    if (!adminKeyHash || typeof key !== 'string' || !timingSafeEqual(hashKey(key), adminKeyHash)) {
      throw new NatterError('invalid_api_key', 'missing or wrong X-Admin-Key');
    }
  }

  // --- auth ---
  app.post('/v1/auth/register', async (req, reply) => {
    if (d.registration === 'closed') throw new NatterError('forbidden', 'registration is closed on this server');
    const b = parse(registerBody, req.body);
    const r = await d.accounts.register(b, req.ip, d.registration === 'invite');
    return reply.status(201).send(r);
  });
  app.post('/v1/auth/login', async (req) => d.accounts.login(parse(loginBody, req.body), req.ip));
  app.post('/v1/auth/refresh', async (req) => d.accounts.refresh(parse(refreshBody, req.body).refreshToken));
  app.post('/v1/auth/logout', async (req, reply) => {
    await d.accounts.logout(await user(req));
    return reply.status(204).send();
  });

  // --- me ---
  app.get('/v1/me', async (req) => d.accounts.me((await user(req)).userId));
  app.patch('/v1/me', async (req) => {
    const claims = await user(req);
    return d.accounts.updateProfile(claims.userId, parse(profileBody, req.body));
  });
  app.post('/v1/me/password', async (req, reply) => {
    const claims = await user(req);
    const b = parse(passwordBody, req.body);
    await d.accounts.changePassword(claims, b.currentPassword, b.newPassword, req.ip);
    return reply.status(204).send();
  });
  app.get('/v1/me/devices', async (req) => ({ devices: await d.accounts.listDevices(await user(req)) }));
  app.delete('/v1/me/devices/:id', async (req, reply) => {
    const claims = await user(req);
    await d.accounts.revokeDevice(claims.userId, parse(idParam, req.params, 'params').id);
    return reply.status(204).send();
  });
  app.get('/v1/users/:id', async (req) => {
    await user(req);
    return d.accounts.getUser(parse(idParam, req.params, 'params').id);
  });

  // --- conversations and messages ---
  app.get('/v1/sync', async (req, reply) => {
    const claims = await budgeted(req, 'read');
    const q = parse(syncQuery, req.query, 'query');
    return charged(reply, claims, await d.messaging.sync(claims.userId, q.since, q.limit, wanted(req)));
  });
  app.post('/v1/conversations', async (req, reply) => {
    const claims = await budgeted(req, 'write');
    const b = parse(groupBody, req.body);
    return reply.status(201).send(await d.messaging.createGroup(claims.userId, b.title ?? null, b.members));
  });
  app.post('/v1/conversations/direct', async (req) => {
    const claims = await budgeted(req, 'write');
    return d.messaging.openDirect(claims.userId, parse(directBody, req.body).userId);
  });
  app.get('/v1/conversations/:id', async (req) => {
    const claims = await budgeted(req, 'read');
    return d.messaging.getConversation(claims.userId, parse(idParam, req.params, 'params').id);
  });
  app.get('/v1/conversations/:id/messages', async (req, reply) => {
    const claims = await budgeted(req, 'read');
    const { id } = parse(idParam, req.params, 'params');
    const q = parse(historyQuery, req.query, 'query');
    return charged(reply, claims, await d.messaging.messages(claims.userId, { type: 'messages', conversationId: id, ...q }, wanted(req)));
  });
  app.post('/v1/conversations/:id/members', async (req) => {
    const claims = await budgeted(req, 'write');
    const { id } = parse(idParam, req.params, 'params');
    return d.messaging.changeMembership(id, { kind: 'add', userIds: parse(membersBody, req.body).userIds, by: claims.userId });
  });
  app.delete('/v1/conversations/:id/members/:userId', async (req) => {
    const claims = await budgeted(req, 'write');
    const p = parse(memberParams, req.params, 'params');
    if (p.userId === claims.userId) return d.messaging.changeMembership(p.id, { kind: 'leave', userId: claims.userId });
    return d.messaging.changeMembership(p.id, { kind: 'remove', userId: p.userId, by: claims.userId });
  });
  app.put('/v1/conversations/:id/members/:userId/role', async (req) => {
    const claims = await budgeted(req, 'write');
    const p = parse(memberParams, req.params, 'params');
    const { role } = parse(roleBody, req.body);
    return d.messaging.changeMembership(p.id, { kind: 'role', userId: p.userId, role, by: claims.userId });
  });
  app.post('/v1/conversations/:id/read', async (req) => {
    const claims = await budgeted(req, 'write');
    const { id } = parse(idParam, req.params, 'params');
    return d.messaging.read(claims.userId, id, parse(seqBody, req.body).seq);
  });
  app.patch('/v1/conversations/:id/flags', async (req) => {
    const claims = await budgeted(req, 'write');
    const { id } = parse(idParam, req.params, 'params');
    return d.messaging.setFlags(claims.userId, id, parse(flagsBody, req.body));
  });

  // --- finding people, contacts, blocks (routes-contacts.ts) ---
  registerContactRoutes(app, d.contacts, budgeted);

  // --- admin (app servers) ---
  app.post('/v1/admin/users', async (req, reply) => {
    admin(req);
    return reply.status(201).send(await d.accounts.createUser(parse(adminUserBody, req.body)));
  });
  app.post('/v1/admin/users/:id/tokens', async (req, reply) => {
    admin(req);
    const { id } = parse(idParam, req.params, 'params');
    return reply.status(201).send(await d.accounts.mintTokens(id, parse(mintBody, req.body).deviceName ?? null));
  });
  if (d.users) registerAdminRoutes(app, { admin, users: d.users });
}
