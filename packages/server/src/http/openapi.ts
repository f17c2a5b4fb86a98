/**
 * The OpenAPI 3.1 document of the REST API, served at GET /v1/openapi.json. Request bodies, path
 * parameters and queries are generated from the zod schemas the routes validate with
 * (schemas.ts, through zod's own `z.toJSONSchema`, whose draft 2020-12 output is OpenAPI 3.1's
 * dialect); this file adds only what zod cannot know: summaries, auth and statuses. Answers'
 * bodies are described in prose (docs/api.md): the core returns plain objects with no schema.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ERROR_CODES } from '@natter/protocol';
import * as s from './schemas.js';
import * as sc from './schemas-contacts.js';
import { broadcastBody, roomBody, systemBody } from './routes-rooms.js';
import * as m from './schemas-media.js';
import * as g from './schemas-groups.js';
import { searchQuery } from './schemas-search.js';
import * as ma from './schemas-message-actions.js';

type Auth = 'none' | 'bearer' | 'admin' | 'metrics';

interface Operation {
  summary: string;
  tag: 'meta' | 'auth' | 'me' | 'conversations' | 'contacts' | 'groups' | 'media' | 'admin';
  auth: Auth;
  /** The status of a successful answer. */
  ok: 200 | 201 | 204;
  body?: z.ZodType;
  params?: z.ZodObject;
  query?: z.ZodObject;
}

/** Every route the server registers, keyed `METHOD /path` as Fastify spells it. */
export const OPERATIONS: Record<string, Operation> = {
  'GET /healthz': { summary: 'Liveness: 200 while the process serves', tag: 'meta', auth: 'none', ok: 200 },
  'GET /metrics': { summary: 'Prometheus metrics (on the main port unless METRICS_PORT is set)', tag: 'meta', auth: 'metrics', ok: 200 },
  'GET /v1/openapi.json': { summary: 'This document', tag: 'meta', auth: 'none', ok: 200 },
  'POST /v1/auth/register': { summary: 'Create an account (REGISTRATION=open, or invite with an inviteCode) and its first device', tag: 'auth', auth: 'none', ok: 201, body: s.registerBody },
  'POST /v1/auth/login': { summary: 'Log in: tokens for a new device', tag: 'auth', auth: 'none', ok: 200, body: s.loginBody },
  'POST /v1/auth/refresh': { summary: 'Exchange a refresh token for new tokens (rotation)', tag: 'auth', auth: 'none', ok: 200, body: s.refreshBody },
  'POST /v1/auth/logout': { summary: "Revoke the caller's device", tag: 'auth', auth: 'bearer', ok: 204 },
  'GET /v1/me': { summary: "The caller's profile", tag: 'me', auth: 'bearer', ok: 200 },
  'PATCH /v1/me': { summary: 'Change display name or avatar', tag: 'me', auth: 'bearer', ok: 200, body: s.profileBody },
  'POST /v1/me/password': { summary: 'Change password (revokes the other devices)', tag: 'me', auth: 'bearer', ok: 204, body: s.passwordBody },
  'GET /v1/me/settings': { summary: "The caller's settings (readReceipts …)", tag: 'me', auth: 'bearer', ok: 200 },
  'PATCH /v1/me/settings': { summary: 'Change settings; answers all of them', tag: 'me', auth: 'bearer', ok: 200, body: s.settingsBody },
  'GET /v1/me/devices': { summary: "The caller's devices", tag: 'me', auth: 'bearer', ok: 200 },
  'DELETE /v1/me/devices/:id': { summary: 'Revoke one of the caller\'s devices', tag: 'me', auth: 'bearer', ok: 204, params: s.idParam },
  'PUT /v1/me/presence': { summary: "Show or hide the caller's presence (online, last seen)", tag: 'me', auth: 'bearer', ok: 200, body: s.presenceBody },
  'GET /v1/users/:id': { summary: "Another user's public profile", tag: 'me', auth: 'bearer', ok: 200, params: s.idParam },
  'GET /v1/search': {
    summary: 'Search the messages the caller may see (text and captions; docs/search.md), newest first, paged by cursor',
    tag: 'conversations',
    auth: 'bearer',
    ok: 200,
    query: searchQuery,
  },
  'GET /v1/sync': { summary: 'Conversations changed since a sync token', tag: 'conversations', auth: 'bearer', ok: 200, query: s.syncQuery },
  'POST /v1/conversations': { summary: 'Create a group', tag: 'conversations', auth: 'bearer', ok: 201, body: s.groupBody },
  'POST /v1/conversations/direct': { summary: 'Open (or find) the 1:1 conversation with a user', tag: 'conversations', auth: 'bearer', ok: 200, body: s.directBody },
  'GET /v1/conversations/:id': { summary: 'One conversation with its members', tag: 'conversations', auth: 'bearer', ok: 200, params: s.idParam },
  'GET /v1/conversations/:id/messages': { summary: 'A page of history', tag: 'conversations', auth: 'bearer', ok: 200, params: s.idParam, query: s.historyQuery },
  'POST /v1/conversations/:id/messages/:messageId/recall': {
    summary: 'Recall a message (its sender within RECALL_WINDOW_SECONDS, group owner/admins any time); answers { message }',
    tag: 'conversations',
    auth: 'bearer',
    ok: 200,
    params: ma.messageParams,
  },
  'PATCH /v1/conversations/:id/messages/:messageId': { summary: "Edit one's own text message; answers { message }", tag: 'conversations', auth: 'bearer', ok: 200, params: ma.messageParams, body: ma.editBody },
  'POST /v1/conversations/:id/messages/:messageId/hide': {
    summary: 'Delete a message for the caller only (any message they can see); answers { message }, its tombstone',
    tag: 'conversations',
    auth: 'bearer',
    ok: 200,
    params: ma.messageParams,
  },
  'DELETE /v1/conversations/:id/messages/:messageId/hide': {
    summary: 'Undo a delete for me: the caller sees the message again; answers { message }',
    tag: 'conversations',
    auth: 'bearer',
    ok: 200,
    params: ma.messageParams,
  },
  'PUT /v1/conversations/:id/messages/:messageId/reactions/:emoji': { summary: 'React with an emoji (one per user per emoji); answers { message }', tag: 'conversations', auth: 'bearer', ok: 200, params: ma.reactionParams },
  'DELETE /v1/conversations/:id/messages/:messageId/reactions/:emoji': { summary: "Take one's reaction back; answers { message }", tag: 'conversations', auth: 'bearer', ok: 200, params: ma.reactionParams },
  'POST /v1/conversations/:id/members': { summary: 'Add members (group admins)', tag: 'conversations', auth: 'bearer', ok: 200, params: s.idParam, body: s.membersBody },
  'DELETE /v1/conversations/:id/members/:userId': { summary: 'Remove a member, or leave (your own id)', tag: 'conversations', auth: 'bearer', ok: 200, params: s.memberParams },
  'PUT /v1/conversations/:id/members/:userId/role': { summary: "Set a member's role (group admins)", tag: 'conversations', auth: 'bearer', ok: 200, params: s.memberParams, body: s.roleBody },
  'POST /v1/conversations/:id/read': { summary: 'Move the read cursor', tag: 'conversations', auth: 'bearer', ok: 200, params: s.idParam, body: s.seqBody },
  'PATCH /v1/conversations/:id/flags': {
    summary: "Set this user's pinned / muted / archived flags",
    tag: 'conversations',
    auth: 'bearer',
    ok: 200,
    params: s.idParam,
    body: s.flagsBody,
  },
  'GET /v1/users': { summary: 'Look a user up by exact username (case-insensitive; USER_DISCOVERY)', tag: 'contacts', auth: 'bearer', ok: 200, query: sc.lookupQuery },
  'GET /v1/users/search': { summary: 'Users whose username or display name starts with a prefix (rate-limited)', tag: 'contacts', auth: 'bearer', ok: 200, query: sc.searchQuery },
  'GET /v1/contacts': { summary: "The caller's friends", tag: 'contacts', auth: 'bearer', ok: 200 },
  'DELETE /v1/contacts/:userId': { summary: 'Remove a friend', tag: 'contacts', auth: 'bearer', ok: 204, params: sc.userIdParam },
  'GET /v1/contacts/requests': { summary: 'Pending friend requests, incoming and outgoing', tag: 'contacts', auth: 'bearer', ok: 200 },
  'POST /v1/contacts/requests': { summary: 'Send a friend request (accepts theirs if they asked first)', tag: 'contacts', auth: 'bearer', ok: 200, body: sc.friendRequestBody },
  'POST /v1/contacts/requests/:userId/accept': { summary: 'Accept the request from a user', tag: 'contacts', auth: 'bearer', ok: 200, params: sc.userIdParam },
  'POST /v1/contacts/requests/:userId/decline': { summary: 'Decline the request from a user', tag: 'contacts', auth: 'bearer', ok: 204, params: sc.userIdParam },
  'DELETE /v1/contacts/requests/:userId': { summary: 'Cancel your request to a user', tag: 'contacts', auth: 'bearer', ok: 204, params: sc.userIdParam },
  'GET /v1/blocks': { summary: 'Users the caller blocked', tag: 'contacts', auth: 'bearer', ok: 200 },
  'PUT /v1/blocks/:userId': { summary: 'Block a user', tag: 'contacts', auth: 'bearer', ok: 204, params: sc.userIdParam },
  'DELETE /v1/blocks/:userId': { summary: 'Unblock a user', tag: 'contacts', auth: 'bearer', ok: 204, params: sc.userIdParam },
  'POST /v1/uploads': { summary: 'Begin an upload (size, type and quota checked now); docs/media.md', tag: 'media', auth: 'bearer', ok: 201, body: m.uploadBody },
  'GET /v1/uploads/:id': { summary: 'An upload, with the offset to resume from', tag: 'media', auth: 'bearer', ok: 200, params: s.idParam },
  'PATCH /v1/uploads/:id': { summary: 'One chunk (application/offset+octet-stream, Upload-Offset, Content-Length)', tag: 'media', auth: 'bearer', ok: 200, params: s.idParam },
  'DELETE /v1/uploads/:id': { summary: 'Cancel an upload no message carries', tag: 'media', auth: 'bearer', ok: 204, params: s.idParam },
  'GET /v1/media/:id': { summary: 'The file (bearer token or signed URL; Range supported)', tag: 'media', auth: 'bearer', ok: 200, params: s.idParam, query: m.signedQuery },
  'GET /v1/media/:id/thumbnail': { summary: "An image's thumbnail (WebP)", tag: 'media', auth: 'bearer', ok: 200, params: s.idParam, query: m.signedQuery },
  'POST /v1/media/:id/url': { summary: 'A short-lived signed URL for the caller', tag: 'media', auth: 'bearer', ok: 200, params: s.idParam, query: m.urlQuery },
  'PATCH /v1/conversations/:id/group': { summary: "Change a group's title, avatar, description or announcement (owner, admins)", tag: 'groups', auth: 'bearer', ok: 200, params: g.idParam, body: g.groupPatch },
  'POST /v1/conversations/:id/owner': { summary: 'Hand the group to another member (owner)', tag: 'groups', auth: 'bearer', ok: 200, params: g.idParam, body: g.transferBody },
  'POST /v1/conversations/:id/dissolve': { summary: 'Dissolve the group: read-only for everyone from now (owner)', tag: 'groups', auth: 'bearer', ok: 200, params: g.idParam },
  'PUT /v1/conversations/:id/members/:userId/mute': { summary: 'Mute a member for some seconds, 0 to lift (owner, admins)', tag: 'groups', auth: 'bearer', ok: 200, params: g.memberParams, body: g.muteBody },
  'PUT /v1/conversations/:id/mute': { summary: 'Mute or unmute everyone but the owner and admins', tag: 'groups', auth: 'bearer', ok: 200, params: g.idParam, body: g.muteAllBody },
  'POST /v1/conversations/:id/invites': { summary: 'Create an invite code (owner, admins)', tag: 'groups', auth: 'bearer', ok: 201, params: g.idParam, body: g.inviteBody },
  'GET /v1/conversations/:id/invites': { summary: "The group's invite codes (owner, admins)", tag: 'groups', auth: 'bearer', ok: 200, params: g.idParam },
  'DELETE /v1/conversations/:id/invites/:code': { summary: 'Revoke an invite code (owner, admins)', tag: 'groups', auth: 'bearer', ok: 200, params: g.inviteParams },
  'POST /v1/invites/join': { summary: 'Join a group with an invite code', tag: 'groups', auth: 'bearer', ok: 200, body: g.joinBody },
  'POST /v1/admin/users': { summary: 'Create a user (app servers)', tag: 'admin', auth: 'admin', ok: 201, body: s.adminUserBody },
  'POST /v1/admin/users/:id/tokens': { summary: 'Mint tokens for a user on a new device', tag: 'admin', auth: 'admin', ok: 201, params: s.idParam, body: s.mintBody },
  'GET /v1/admin/users': { summary: 'List users in id order, a page at a time (`next` is the following page\'s `after`)', tag: 'admin', auth: 'admin', ok: 200, query: s.adminUsersQuery },
  'GET /v1/admin/users/:id': { summary: 'One user by id or username, with createdAt and disabledAt', tag: 'admin', auth: 'admin', ok: 200, params: s.userRefParam },
  'POST /v1/admin/users/:id/disable': { summary: 'Disable a user (by id or username): no login, devices revoked, connections closed', tag: 'admin', auth: 'admin', ok: 200, params: s.userRefParam },
  'POST /v1/admin/users/:id/enable': { summary: 'Enable a disabled user again', tag: 'admin', auth: 'admin', ok: 200, params: s.userRefParam },
  'POST /v1/admin/invites': { summary: 'Create a single-use registration invite code (REGISTRATION=invite); default expiry 7 days', tag: 'admin', auth: 'admin', ok: 201, body: s.inviteBody },
  'POST /v1/admin/broadcasts': { summary: 'A notice to every user or a segment, stored once (docs/rooms.md)', tag: 'admin', auth: 'admin', ok: 201, body: broadcastBody },
  'POST /v1/admin/rooms': { summary: 'Create a live room for a host', tag: 'admin', auth: 'admin', ok: 201, body: roomBody },
  'POST /v1/admin/rooms/:id/messages': { summary: 'A system notice into a live room (high priority)', tag: 'admin', auth: 'admin', ok: 201, params: s.idParam, body: systemBody },
};

/** JSON Schema 2020-12 of what a client may send (`io: 'input'`: before coercion and defaults). */
function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  // Refinements (common passwords, display-name rules) cannot be expressed: the checks behind
  // them are the server's, and the document says which constraints are JSON-Schema-checkable.
  const js = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  // The dialect is the document's (jsonSchemaDialect defaults to 2020-12 in OpenAPI 3.1).
  delete js.$schema;
  return js;
}

function parameters(schema: z.ZodObject | undefined, where: 'path' | 'query'): object[] {
  if (!schema) return [];
  const js = jsonSchema(schema) as { properties?: Record<string, object>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, prop]) => ({
    name,
    in: where,
    required: where === 'path' || (js.required ?? []).includes(name),
    schema: prop,
  }));
}

const SECURITY: Record<Auth, object[] | undefined> = {
  none: [],
  bearer: [{ bearer: [] }],
  admin: [{ adminKey: [] }],
  metrics: [{}, { bearer: [] }],
};

const errorResponse = { description: 'An error: `{ error: { code, message, retryable } }`', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };

/** The document for the routes that `has` says are registered (/metrics may be on its own port). */
export function openApiDocument(version: string, has: (method: string, url: string) => boolean): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const [key, op] of Object.entries(OPERATIONS)) {
    const [method, url] = key.split(' ') as [string, string];
    if (!has(method, url)) continue;
    const path = url.replace(/:([A-Za-z]+)/g, '{$1}');
    const params = [...parameters(op.params, 'path'), ...parameters(op.query, 'query')];
    (paths[path] ??= {})[method.toLowerCase()] = {
      operationId: `${method.toLowerCase()}${url.replace(/[/:.]+(\w)/g, (_m, c: string) => c.toUpperCase())}`,
      summary: op.summary,
      tags: [op.tag],
      security: SECURITY[op.auth],
      ...(params.length > 0 ? { parameters: params } : {}),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body) } } } } : {}),
      responses: {
        [String(op.ok)]: { description: op.ok === 204 ? 'Done; no body' : 'Success (see docs/api.md for the body)' },
        default: errorResponse,
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Natter REST API', version, description: 'Generated from the zod schemas the server validates requests with. Prose and examples: docs/api.md.' },
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from /v1/auth/*' },
        adminKey: { type: 'apiKey', in: 'header', name: 'X-Admin-Key', description: 'ADMIN_API_KEY, for app servers only' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message', 'retryable'],
              properties: {
                code: { type: 'string', enum: Object.keys(ERROR_CODES) },
                message: { type: 'string' },
                retryable: { type: 'boolean' },
                details: { type: 'object', description: 'e.g. retryAfterMs on rate_limited' },
              },
            },
          },
        },
      },
    },
  };
}

/** Serves the document, built once on first request, when every route is registered. */
export function serveOpenApi(app: FastifyInstance): void {
  // src/http/ and dist/http/ are both two levels under the package.
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  let document: string | null = null;
  app.get('/v1/openapi.json', async (_req, reply) => {
    document ??= JSON.stringify(openApiDocument(version, (method, url) => app.hasRoute({ method, url })));
    return reply.type('application/json; charset=utf-8').send(document);
  });
}
