/**
 * Recall, edit, reactions and delete for me over REST (docs/api.md "Message actions"): the
 * `message.recall`, `message.edit`, `message.react`, `message.unreact`, `message.hide` and `message.unhide` frames, through the same service
 * (core/message-actions.ts) and the same per-user write budget as the socket. Each answers
 * `{ message }`, the message as it now is.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NatterError } from '@natter/protocol';
import type { Accounts } from '../core/accounts.js';
import type { MessageActions } from '../core/message-actions.js';
import type { Messaging } from '../core/messaging.js';
import { editBody, messageParams, reactionParams } from './schemas-message-actions.js';
import { parse } from './validate.js';

export interface MessageActionRouteDeps {
  accounts: Accounts;
  messaging: Messaging;
  messageActions: MessageActions;
}

export function registerMessageActionRoutes(app: FastifyInstance, d: MessageActionRouteDeps): void {
  async function writer(req: FastifyRequest): Promise<string> {
    const header = req.headers.authorization;
    if (!header?.startsWith('Bearer ')) throw new NatterError('invalid_token', 'send Authorization: Bearer <access token>');
    const claims = await d.accounts.authenticate(header.slice(7).trim());
    d.messaging.fairShare.admit(claims.userId, 'write', null);
    return claims.userId;
  }

  app.post('/v1/conversations/:id/messages/:messageId/recall', async (req) => {
    const userId = await writer(req);
    const p = parse(messageParams, req.params, 'params');
    return d.messageActions.dispatch(userId, { type: 'message.recall', conversationId: p.id, messageId: p.messageId });
  });
  app.patch('/v1/conversations/:id/messages/:messageId', async (req) => {
    const userId = await writer(req);
    const p = parse(messageParams, req.params, 'params');
    const { text } = parse(editBody, req.body);
    return d.messageActions.dispatch(userId, { type: 'message.edit', conversationId: p.id, messageId: p.messageId, text });
  });
  app.post('/v1/conversations/:id/messages/:messageId/hide', async (req) => {
    const userId = await writer(req);
    const p = parse(messageParams, req.params, 'params');
    return d.messageActions.dispatch(userId, { type: 'message.hide', conversationId: p.id, messageId: p.messageId });
  });
  app.delete('/v1/conversations/:id/messages/:messageId/hide', async (req) => {
    const userId = await writer(req);
    const p = parse(messageParams, req.params, 'params');
    return d.messageActions.dispatch(userId, { type: 'message.unhide', conversationId: p.id, messageId: p.messageId });
  });
  app.put('/v1/conversations/:id/messages/:messageId/reactions/:emoji', async (req) => {
    const userId = await writer(req);
    const p = parse(reactionParams, req.params, 'params');
    return d.messageActions.dispatch(userId, { type: 'message.react', conversationId: p.id, messageId: p.messageId, emoji: p.emoji });
  });
  app.delete('/v1/conversations/:id/messages/:messageId/reactions/:emoji', async (req) => {
    const userId = await writer(req);
    const p = parse(reactionParams, req.params, 'params');
    return d.messageActions.dispatch(userId, { type: 'message.unreact', conversationId: p.id, messageId: p.messageId, emoji: p.emoji });
  });
}
