import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

/** The ConfigError thrown for `env`, or a failure if none was thrown. */
function errorFor(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be rejected`);
}

describe('loadConfig defaults', () => {
  it('gives the documented defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      PORT: 8080,
      HOST: '0.0.0.0',
      DATA_DIR: './data',
      LOG_LEVEL: 'info',
      ACCESS_TOKEN_TTL_SECONDS: 900,
      REFRESH_TOKEN_TTL_DAYS: 30,
      REGISTRATION: 'open',
      LOG_FORMAT: 'auto',
      DURABILITY: 'normal',
      MAX_FRAME_BYTES: 65536,
      MAX_SEND_QUEUE_BYTES: 4 * 1024 * 1024,
      AUTH_TIMEOUT_MS: 10_000,
      HEARTBEAT_INTERVAL_MS: 25_000,
      LOGIN_ATTEMPTS_PER_ACCOUNT: 10,
      LOGIN_ATTEMPTS_PER_IP: 100,
      TRUST_PROXY: false,
    });
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.BUS_URL).toBeUndefined();
    expect(c.ADMIN_API_KEY).toBeUndefined();
    expect(c.JWT_SECRET).toBeUndefined();
    expect(c.dataDir).toBe(resolve('./data'));
    expect(c.allowedOrigins).toEqual([]);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', LOG_LEVEL: '' }).PORT).toBe(8080);
  });

  it('parses numbers, booleans and origins from strings', () => {
    const c = loadConfig({
      PORT: '9000',
      REGISTRATION: 'closed',
      TRUST_PROXY: '1',
      ALLOWED_ORIGINS: ' https://a.example , https://b.example ,',
      DATABASE_URL: 'sqlite:/tmp/x.db',
      BUS_URL: 'memory:',
    });
    expect(c.PORT).toBe(9000);
    expect(c.REGISTRATION).toBe('closed');
    expect(c.TRUST_PROXY).toBe(true);
    expect(c.allowedOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(loadConfig({ ALLOWED_ORIGINS: '*' }).allowedOrigins).toBe('*');
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).DATABASE_URL).toBe('postgres://u@h/db');
  });

  it('maps the deprecated REGISTRATION_OPEN onto REGISTRATION, with a warning, and refuses the two disagreeing', () => {
    const closed = loadConfig({ REGISTRATION_OPEN: 'false' });
    expect(closed.REGISTRATION).toBe('closed');
    expect(closed.warnings.join('\n')).toMatch(/REGISTRATION_OPEN is deprecated: set REGISTRATION=closed/);
    expect(loadConfig({ REGISTRATION_OPEN: 'true', REGISTRATION: 'open' }).REGISTRATION).toBe('open');
    expect(loadConfig({}).warnings).toEqual([]);
    expect(errorFor({ REGISTRATION_OPEN: 'true', REGISTRATION: 'closed' }).message).toMatch(/^\s*REGISTRATION_OPEN: deprecated, and says open where REGISTRATION says closed/m);
  });

  it('ignores environment variables that are not Natter settings', () => {
    const c = loadConfig({ PATH: '/bin', HOME: '/root' }) as unknown as Record<string, unknown>;
    expect(c.PATH).toBeUndefined();
  });
});

describe('loadConfig rejects wrong values, naming the variable', () => {
  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['LOG_LEVEL', 'loud'],
    ['DATABASE_URL', 'mysql://db/natter'],
    ['BUS_URL', 'kafka://x'],
    ['EPHEMERAL_URL', 'memcached://x'],
    ['PRESENCE_TTL_MS', '10'],
    ['PRESENCE_GRACE_MS', '0'],
    ['TYPING_TTL_MS', '100'],
    ['TYPING_MAX_FRAMES', '0'],
    ['ADMIN_API_KEY', 'too-short'],
    ['JWT_SECRET', 'short-secret'],
    ['ACCESS_TOKEN_TTL_SECONDS', '5'],
    ['REGISTRATION_OPEN', 'yes'],
    ['REGISTRATION', 'invited'],
    ['LOG_FORMAT', 'text'],
    ['DURABILITY', 'sometimes'],
    ['MAX_FRAME_BYTES', '10'],
    ['HEARTBEAT_INTERVAL_MS', 'often'],
  ])('%s=%s', (name, value) => {
    const err = errorFor({ [name]: value });
    expect(err.name).toBe('ConfigError');
    expect(err.message).toMatch(new RegExp(`^\\s*${name}: `, 'm'));
  });

  it('rejects a blank number instead of reading it as 0 (regression: PORT=" " bound a random port)', () => {
    expect(errorFor({ PORT: '  ' }).message).toMatch(/^\s*PORT: /m);
    expect(errorFor({ AUTH_TIMEOUT_MS: ' ' }).message).toMatch(/^\s*AUTH_TIMEOUT_MS: /m);
  });

  it('lists every wrong value at once, not only the first', () => {
    const err = errorFor({ PORT: 'abc', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' });
    for (const name of ['PORT', 'LOG_LEVEL', 'DATABASE_URL']) expect(err.message).toMatch(new RegExp(`^\\s*${name}: `, 'm'));
  });

  it('shows the wrong value for ordinary settings', () => {
    expect(errorFor({ LOG_LEVEL: 'loud' }).message).toContain('"loud"');
  });

  it('never echoes a secret in the error (regression: a short ADMIN_API_KEY was printed to stderr)', () => {
    const key = 'my-admin-key-42';
    const secret = 'my-jwt-secret-xyz';
    const err = errorFor({ ADMIN_API_KEY: key, JWT_SECRET: secret });
    expect(err.message).toMatch(/^\s*ADMIN_API_KEY: /m);
    expect(err.message).toMatch(/^\s*JWT_SECRET: /m);
    expect(err.message).not.toContain(key);
    expect(err.message).not.toContain(secret);
  });
});

describe('config file (NATTER_CONFIG)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'natter-config-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const write = (content: unknown): string => {
    const path = join(dir, 'natter.json');
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };

  it('reads settings from the file, with native JSON types', () => {
    const path = write({ PORT: 7000, LOG_LEVEL: 'warn', REGISTRATION_OPEN: false, ALLOWED_ORIGINS: 'https://app.example' });
    const c = loadConfig({ NATTER_CONFIG: path });
    expect(c.PORT).toBe(7000);
    expect(c.LOG_LEVEL).toBe('warn');
    expect(c.REGISTRATION).toBe('closed');
    expect(c.allowedOrigins).toEqual(['https://app.example']);
  });

  it('lets the environment win over the file', () => {
    const path = write({ PORT: 7000, LOG_LEVEL: 'warn' });
    const c = loadConfig({ NATTER_CONFIG: path, PORT: '7001' });
    expect(c.PORT).toBe(7001);
    expect(c.LOG_LEVEL).toBe('warn');
  });

  it('lets explicit overrides win over both', () => {
    const path = write({ PORT: 7000 });
    expect(loadConfig({ NATTER_CONFIG: path, PORT: '7001' }, { PORT: 7002 }).PORT).toBe(7002);
  });

  it('names the variable when a value in the file is wrong', () => {
    const path = write({ PORT: 'abc' });
    expect(errorFor({ NATTER_CONFIG: path }).message).toMatch(/^\s*PORT: /m);
  });

  it('names NATTER_CONFIG when the file is missing or not JSON', () => {
    expect(errorFor({ NATTER_CONFIG: join(dir, 'missing.json') }).message).toMatch(/^NATTER_CONFIG: /);
    expect(errorFor({ NATTER_CONFIG: write('{ PORT: 1 ') }).message).toMatch(/^NATTER_CONFIG: /);
  });

  it('rejects a file that is not a JSON object', () => {
    expect(errorFor({ NATTER_CONFIG: write('[1, 2]') }).message).toMatch(/^NATTER_CONFIG: /);
  });

  it('rejects an unknown key in the file, naming it (regression: a misspelt setting was silently ignored)', () => {
    const err = errorFor({ NATTER_CONFIG: write({ PROT: 7000 }) });
    expect(err.message).toContain('PROT');
  });
});

describe('limits that contradict each other', () => {
  it('refuses a frame limit too small for the largest message the other limits allow', () => {
    const err = errorFor({ MAX_FRAME_BYTES: '8192', MAX_TEXT_LENGTH: '4000' });
    expect(err.message).toMatch(/^\s*MAX_FRAME_BYTES: must be at least 24512/m);
    expect(() => loadConfig({ MAX_FRAME_BYTES: '8192', MAX_TEXT_LENGTH: '1000', MAX_CUSTOM_BODY_BYTES: '4096' })).not.toThrow();
  });
});

describe('WORKERS', () => {
  it('needs cluster mode and a shared JWT secret for more than one worker', () => {
    expect(errorFor({ WORKERS: '2' }).message).toMatch(/^\s*WORKERS: more than 1 worker needs/m);
    expect(errorFor({ WORKERS: '2', DATABASE_URL: 'postgres://h/db', BUS_URL: 'redis://h' }).message).toMatch(/^\s*JWT_SECRET: required/m);
    const ok = loadConfig({ WORKERS: '2', DATABASE_URL: 'postgres://h/db', BUS_URL: 'nats://h', JWT_SECRET: 'Qm7vX2pL9sT4wZ8cN1bR6yH3kD5fJ0gA' });
    expect(ok.WORKERS).toBe(2);
  });
});

describe('secrets in error messages', () => {
  it('hides credentials inside DATABASE_URL and BUS_URL when naming a wrong value', () => {
    const err = errorFor({ DATABASE_URL: 'postgres://natter:s3cret@db/natter', WORKERS: '0' });
    expect(err.message).not.toContain('s3cret');
    const bad = errorFor({ BUS_URL: 'amqp://user:hunter2@mq' });
    expect(bad.message).toContain('BUS_URL');
    expect(bad.message).not.toContain('hunter2');
  });
});
