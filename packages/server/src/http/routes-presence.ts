/**
 * REST for presence (docs/presence.md): `PUT /v1/me/presence { visible }` shows or hides the
 * caller's presence, as the `presence.setVisible` frame does. (To be unified with the other
 * per-user settings of issue 21 under /v1/me/settings.)
 */
import type { FastifyInstance } from 'fastify';
import { NatterError } from '@natter/protocol';
import type { Accounts } from '../core/accounts.js';
import type { FairShare } from '../core/fair-share.js';
import type { PresenceService } from '../core/presence/presence.js';
import { presenceBody } from './schemas.js';
import { parse } from './validate.js';

export function registerPresenceRoutes(app: FastifyInstance, d: { accounts: Accounts; presence: PresenceService; fairShare: FairShare }): void {
  app.put('/v1/me/presence', async (req) => {
    const header = req.headers.authorization;
    if (!header?.startsWith('Bearer ')) throw new NatterError('invalid_token', 'send Authorization: Bearer <access token>');
    const claims = await d.accounts.authenticate(header.slice(7).trim());
    d.fairShare.admit(claims.userId, 'write', null);
    return d.presence.setVisible(claims.userId, parse(presenceBody, req.body).visible);
  });
}
