/**
 * Debian's Chromium driven by playwright-core, for the web app's end-to-end tests. Never a
 * downloaded browser: CHROMIUM_PATH or /usr/bin/chromium (`.ci/run` installs it with apt).
 * Without one, the suites skip with one line saying how to get it — except under CI=true, where a
 * missing browser fails the run instead of hiding the tests.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page, type WebSocketRoute } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Whether the web suites can run here; prints why not once. */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true')
    throw new Error(
      `CI=true but no Chromium at ${CHROMIUM}: .ci/run must install it (apt-get install -y chromium)`,
    );
  console.warn(
    `web app tests skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`,
  );
  return false;
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-dev-shm-usage',
    ],
  });
}

/** Where screenshots go: artifacts/screenshots at the repository root (kept out of git). */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../../../artifacts/screenshots/', import.meta.url));

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/**
 * A browser context whose WebSockets the test can cut and restore, like a network that drops:
 * every socket is relayed to the real server while up; cutting closes them all (the page sees a
 * dropped connection) and refuses new ones until restored. Plain HTTP still works, so a reload
 * while cut loads the app, which must then work from its IndexedDB cache and outbox.
 */
export class CuttableContext {
  private cut = false;
  /** Each relayed socket: the page's side and the server's side. */
  private readonly open = new Map<WebSocketRoute, WebSocketRoute>();

  private constructor(readonly context: BrowserContext) {}

  static async create(
    browser: Browser,
    options: Parameters<Browser['newContext']>[0] = {},
  ): Promise<CuttableContext> {
    const context = await browser.newContext(options);
    const c = new CuttableContext(context);
    await context.routeWebSocket(/\/v1\/ws/, (ws) => {
      if (c.cut) {
        void ws.close({ code: 4000, reason: 'network down' }).catch(() => undefined);
        return;
      }
      c.open.set(ws, ws.connectToServer());
      ws.onClose(() => c.open.delete(ws));
    });
    return c;
  }

  async disconnect(): Promise<void> {
    this.cut = true;
    for (const [page, server] of [...this.open]) {
      await server.close().catch(() => undefined);
      await page.close({ code: 4000, reason: 'network down' }).catch(() => undefined);
    }
    this.open.clear();
  }

  reconnect(): void {
    this.cut = false;
  }
}
