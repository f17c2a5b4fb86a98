/** The logger's redaction: secrets never reach a log line, wherever they usually sit in an object. */
import { describe, expect, it } from 'vitest';
import { createLogger, wantsPretty } from './log.js';

describe('logs', () => {
  it('createLogger redacts secrets wherever they are usually found', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (s: string) => void lines.push(s) });
    const secrets = [
      's-password',
      's-current',
      's-new',
      's-token',
      's-access',
      's-refresh',
      's-bearer',
      's-adminkey',
    ];
    logger.info({
      password: 's-password',
      body: {
        password: 's-password',
        currentPassword: 's-current',
        newPassword: 's-new',
        refreshToken: 's-refresh',
        accessToken: 's-access',
      },
      token: 's-token',
      accessToken: 's-access',
      refreshToken: 's-refresh',
      req: { headers: { authorization: 'Bearer s-bearer', 'x-admin-key': 's-adminkey' } },
    });
    const out = lines.join('');
    expect(out).toContain('[redacted]');
    for (const s of secrets) expect(out).not.toContain(s);
  });
});

describe('log format', () => {
  it('is pretty in a terminal (auto) or when asked, and JSON otherwise', () => {
    expect(wantsPretty('auto', true)).toBe(true);
    expect(wantsPretty('auto', false)).toBe(false);
    expect(wantsPretty('json', true)).toBe(false);
    expect(wantsPretty('pretty', false)).toBe(true);
  });

  it('writes JSON lines to a given destination whatever the format', () => {
    const lines: string[] = [];
    createLogger('info', { write: (s: string) => void lines.push(s) }, 'pretty').info({ n: 1 }, 'hello');
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, n: 1, msg: 'hello' });
  });
});
