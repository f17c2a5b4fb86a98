/**
 * The Ephemeral outage suite, for the networked backends, in the manner of bus-outage.ts: each
 * run starts its own server process on a free port (never the shared one), connects two instances
 * (two processes), kills or freezes the server, and checks what @natter/server's
 * ephemeral/ephemeral.ts promises — every call fails promptly with EphemeralUnavailableError,
 * nothing hangs, crashes or goes unhandled, nothing secret is logged — then restarts it and checks
 * the instances work again by themselves.
 *
 * The server runs with a password so the suite can check it never reaches a log line.
 *
 * @example
 * runEphemeralOutage('redis', {
 *   command: (port, secret) => ['redis-server', ['--port', String(port), '--requirepass', secret]],
 *   ready: /Ready to accept connections/,
 *   url: (port, secret) => `redis://:${secret}@127.0.0.1:${port}`,
 *   connect: (url, logger, timeoutMs) => RedisEphemeral.connect(url, { logger, commandTimeoutMs: timeoutMs }),
 * });
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { EphemeralUnavailableError, type Ephemeral, type EphemeralLogger } from '@natter/server';
import { freePort, kill, killAll, startServer, untilStopped, watchFaults, type ServerCommand } from './outage-process.js';

/** A server the suite runs on a port of its own (see ServerCommand), and how instances connect to it. */
export interface OutageServer extends ServerCommand {
  url(port: number, secret: string): string;
  /** `timeoutMs`: how long a call may wait for an answer on an open connection. */
  connect(url: string, logger: EphemeralLogger, timeoutMs?: number): Promise<Ephemeral>;
}

/** How fast a call must fail while the server is down, and how soon calls must work again. */
const FAIL_WITHIN_MS = 500;
const RESUME_WITHIN_MS = 10_000;
const LONG = 60_000;

const quiet: EphemeralLogger = { info() {}, warn() {}, error() {} };

/** One call of every method, so each is shown to fail fast. */
const everyCall = (e: Ephemeral): [string, () => Promise<unknown>][] => [
  ['set', () => e.set('k', 'v', LONG)],
  ['get', () => e.get('k')],
  ['delete', () => e.delete('k')],
  ['addMember', () => e.addMember('s', 'm', LONG)],
  ['removeMember', () => e.removeMember('s', 'm')],
  ['members', () => e.members('s')],
  ['increment', () => e.increment('c', 1, LONG)],
];

export function runEphemeralOutage(name: string, server: OutageServer): void {
  describe(`Ephemeral outage: ${name}`, () => {
    const children = new Set<ChildProcess>();
    // Whatever happened in the test, no server outlives the suite.
    afterAll(() => killAll(children));
    const start = (port: number, secret: string) => startServer(server, port, secret, children);

    it('fails every call fast while the server is down, then works again by itself', async () => {
      const port = await freePort();
      const secret = randomBytes(12).toString('hex');
      // Drivers print unhandled 'error' events (and dead readers) to the console instead of throwing.
      const faults = watchFaults();
      const { logged, unhandled, consoleError, consoleLog } = faults;
      const logger: EphemeralLogger = faults.logger;

      let child = await start(port, secret);
      const url = server.url(port, secret);
      const a = await server.connect(url, logger);
      const b = await server.connect(url, logger);
      try {
        await a.set('k', 'up', LONG);
        await a.addMember('s', 'up', LONG);
        expect(await b.get('k')).toBe('up');

        await kill(child);
        const took: Record<string, number> = {};
        for (const [method, call] of [...everyCall(a), ...everyCall(b)]) {
          const t0 = performance.now();
          await expect(call()).rejects.toBeInstanceOf(EphemeralUnavailableError);
          took[method] = Math.max(took[method] ?? 0, performance.now() - t0);
        }
        // Many at once, as a busy process makes them.
        const t0 = performance.now();
        const all = await Promise.allSettled(
          Array.from({ length: 50 }, (_, i) => a.increment(`c${i % 5}`, 1, LONG)),
        );
        took.concurrent = performance.now() - t0;
        expect(
          all.every((r) => r.status === 'rejected' && r.reason instanceof EphemeralUnavailableError),
        ).toBe(true);
        for (const ms of Object.values(took)) expect(ms).toBeLessThan(FAIL_WITHIN_MS);

        const restarted = performance.now();
        child = await start(port, secret);
        // Both instances come back on their own (the server's state is gone: it kept none on disk).
        await vi.waitFor(
          async () => {
            await a.set('k', 'back', LONG);
            expect(await b.get('k')).toBe('back');
            await b.addMember('s', 'back', LONG);
            expect(await a.members('s')).toEqual(['back']);
            expect((await b.increment('after', 1, LONG)).count).toBeGreaterThanOrEqual(1);
          },
          { timeout: RESUME_WITHIN_MS, interval: 50 },
        );
        const resumedAfter = performance.now() - restarted;

        expect(unhandled).toEqual([]);
        expect(consoleError).not.toHaveBeenCalled();
        expect(consoleLog).not.toHaveBeenCalled();
        expect(logged.some((l) => l.startsWith('warn') && l.includes('lost'))).toBe(true);
        expect(logged.some((l) => l.startsWith('info') && l.includes('back'))).toBe(true);
        expect(logged.filter((l) => l.includes(secret))).toEqual([]);
        consoleLog.mockRestore();
        console.info(
          `[${name} ephemeral outage] slowest failure per call: ` +
            Object.entries(took)
              .map(([m, ms]) => `${m} ${ms.toFixed(1)} ms`)
              .join(', ') +
            `; working again ${resumedAfter.toFixed(0)} ms after the server was ready`,
        );
      } finally {
        faults.stop();
        await a.close();
        await b.close();
        await kill(child);
      }
    });

    it('fails calls after the timeout when the server stalls, and carries on once it answers', async () => {
      const port = await freePort();
      const secret = randomBytes(12).toString('hex');
      const child = await start(port, secret);
      const timeoutMs = 300;
      const a = await server.connect(server.url(port, secret), quiet, timeoutMs);
      try {
        await a.set('k', 'before', LONG);
        // Frozen, not dead: the connection stays open and nothing answers, like a hung server.
        child.kill('SIGSTOP');
        await untilStopped(child.pid!);
        for (const [, call] of everyCall(a)) {
          const t0 = performance.now();
          await expect(call()).rejects.toBeInstanceOf(EphemeralUnavailableError);
          const ms = performance.now() - t0;
          expect(ms).toBeGreaterThanOrEqual(timeoutMs - 10);
          expect(ms).toBeLessThan(timeoutMs + FAIL_WITHIN_MS);
        }
        child.kill('SIGCONT');
        await vi.waitFor(
          async () => {
            await a.set('k', 'after', LONG);
            expect(await a.get('k')).toBe('after');
          },
          { timeout: RESUME_WITHIN_MS, interval: 50 },
        );
      } finally {
        child.kill('SIGCONT');
        await a.close();
        await kill(child);
      }
    });

    it('closes promptly while the server is down', async () => {
      const port = await freePort();
      const secret = randomBytes(12).toString('hex');
      const child = await start(port, secret);
      const a = await server.connect(server.url(port, secret), quiet);
      await a.set('k', 'v', LONG);
      await kill(child);
      const t0 = performance.now();
      await a.close();
      expect(performance.now() - t0).toBeLessThan(FAIL_WITHIN_MS);
      await expect(a.get('k')).rejects.toBeInstanceOf(EphemeralUnavailableError);
    });

    it('rejects connect with EphemeralUnavailableError when no server listens', async () => {
      const port = await freePort();
      await expect(server.connect(server.url(port, 'x'), quiet)).rejects.toBeInstanceOf(
        EphemeralUnavailableError,
      );
    });
  });
}
