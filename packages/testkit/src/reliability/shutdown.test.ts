/**
 * Graceful shutdown: SIGTERM stops accepting, tells every client to reconnect (3000), finishes
 * what is committing, closes the database and exits 0 — and what was acknowledged is there
 * when the server starts again on the same data.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RawClient, register } from '../harness.js';
import { freePort, ServerProcess } from './server-process.js';

const dataDir = mkdtempSync(join(tmpdir(), 'natter-shutdown-'));
let server: ServerProcess | undefined;
afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('SIGTERM', () => {
  it('closes clients with 3000, exits 0, and keeps every acknowledged message', { timeout: 60_000 }, async () => {
    server = new ServerProcess(await freePort(), { DATA_DIR: dataDir });
    await server.start();
    const wsUrl = server.url.replace('http', 'ws') + '/v1/ws';
    const [a, b] = [await register(server.url), await register(server.url)];
    const c = await RawClient.authed(wsUrl, a.accessToken);
    const conv = (await c.request({ type: 'conversation.direct', userId: b.userId })).data;
    const sends = Array.from({ length: 50 }, (_, i) =>
      c.request({ type: 'send', conversationId: conv.id, clientMsgId: `s${i}`, msgType: 'text', body: { text: `s${i}` } }).catch(() => null),
    );
    const exit = server.stop();
    const code = await c.waitClosed(5000);
    expect(await exit).toBe(0);
    expect(code).toBe(3000);
    const acked = (await Promise.all(sends)).filter((r) => r?.type === 'result').map((r) => r.data.seq as number);

    await server.start();
    const again = await RawClient.authed(wsUrl, a.accessToken);
    const page = await again.request({ type: 'messages', conversationId: conv.id, after: 0, limit: 200 });
    const stored = new Set(page.data.messages.map((m: any) => m.seq));
    for (const seq of acked) expect(stored.has(seq)).toBe(true);
    again.close();
  });
});
