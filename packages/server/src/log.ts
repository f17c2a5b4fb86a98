/** Structured logs (pino). Secrets are redacted wherever they might appear. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: {
      paths: [
        'password',
        '*.password',
        'currentPassword',
        '*.currentPassword',
        'newPassword',
        '*.newPassword',
        'token',
        '*.token',
        '*.accessToken',
        '*.refreshToken',
        'req.headers.authorization',
        'req.headers["x-admin-key"]',
      ],
      censor: '[redacted]',
    },
  });
}
