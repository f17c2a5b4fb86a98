/**
 * A real Natter server on port 0 over a database the caller names, for the SQLite store's tests
 * that read its /metrics. Temporary: the full harness lives in @natter/testkit, and this copy goes
 * once the store's tests move there with the Store contract (the server must not depend on the
 * test kit, which depends on it).
 */
import { loadConfig } from '../config.js';
import { startNatter, type NatterDeps, type NatterServer } from '../server.js';

export interface TestServer {
  server: NatterServer;
  url: string;
  close(): Promise<void>;
}

/** `overrides` must name DATABASE_URL and DATA_DIR: the caller owns (and removes) the files. */
export async function startTestServer(
  overrides: { DATABASE_URL: string; DATA_DIR: string },
  deps: NatterDeps = {},
): Promise<TestServer> {
  const config = loadConfig({}, { PORT: 0, HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...overrides });
  const server = await startNatter(config, deps);
  return { server, url: server.url, close: () => server.close() };
}
