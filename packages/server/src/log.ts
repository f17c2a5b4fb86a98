/**
 * Structured logs (pino). Secrets are redacted wherever they might appear. In a terminal the lines
 * are made readable by pino-pretty (an optional dependency, loaded only then); anywhere else, and
 * always when a destination is given, they are JSON, one object a line, for log collectors.
 */
import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** `auto`: pretty when stdout is a terminal. */
export type LogFormat = 'auto' | 'json' | 'pretty';

type PrettyFactory = (options: Record<string, unknown>) => DestinationStream;

/** pino-pretty's stream factory, or null when the optional dependency is not installed. */
function loadPretty(): PrettyFactory | null {
  try {
    // Synchronous, so createLogger stays synchronous; never reached on the JSON path.
    return createRequire(import.meta.url)('pino-pretty') as PrettyFactory;
  } catch {
    return null;
  }
}

/** Whether `format` asks for human lines on this process's stdout. */
export function wantsPretty(format: LogFormat, isTTY = process.stdout.isTTY === true): boolean {
  return format === 'pretty' || (format === 'auto' && isTTY);
}

/**
 * `destination` (tests pass an in-memory stream to inspect what is logged) means JSON to it;
 * without one, lines go to stdout in `format`.
 */
export function createLogger(level: string, destination?: DestinationStream, format: LogFormat = 'auto'): Logger {
  const options: LoggerOptions = {
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
        'accessToken',
        '*.accessToken',
        'refreshToken',
        '*.refreshToken',
        'req.headers.authorization',
        'req.headers["x-admin-key"]',
      ],
      censor: '[redacted]',
    },
  };
  if (destination) return pino(options, destination);
  const pretty = wantsPretty(format) ? loadPretty() : null;
  if (pretty) return pino(options, pretty({ colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
  if (format === 'pretty') process.stderr.write('natter: LOG_FORMAT=pretty needs the optional package pino-pretty; logging JSON\n');
  return pino(options);
}
