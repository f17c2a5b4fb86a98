/**
 * REST routes of the caller's settings (docs/api.md): `GET /v1/me/settings` and
 * `PATCH /v1/me/settings` (the fields to change; the answer is every setting after the change).
 */
import type { FastifyInstance } from 'fastify';
import { NatterError } from '@natter/protocol';
import type { Accounts } from '../core/accounts.js';
import type { Settings } from '../core/settings.js';
import { settingsBody } from './schemas.js';
import { parse } from './validate.js';

export interface SettingsRouteDeps {
  accounts: Accounts;
  settings: Settings;
}

export function registerSettingsRoutes(app: FastifyInstance, d: SettingsRouteDeps): void {
  async function userId(authorization: string | undefined): Promise<string> {
    if (!authorization?.startsWith('Bearer ')) throw new NatterError('invalid_token', 'send Authorization: Bearer <access token>');
    return (await d.accounts.authenticate(authorization.slice(7).trim())).userId;
  }

  app.get('/v1/me/settings', async (req) => d.settings.get(await userId(req.headers.authorization)));
  app.patch('/v1/me/settings', async (req) => {
    const id = await userId(req.headers.authorization);
    return d.settings.update(id, parse(settingsBody, req.body));
  });
}
