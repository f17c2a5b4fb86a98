/**
 * The Bus outage suite, for the networked backends: each run starts its own broker process on a
 * free port (never the shared one), connects two buses (two processes) to it, kills the broker,
 * and checks what @natter/server's bus/bus.ts and bus/errors.ts promise — calls fail fast with
 * BusUnavailableError, nothing crashes or goes unhandled, nothing secret is logged — then restarts
 * the broker on the same port and checks delivery comes back by itself on the topics subscribed
 * before, and during, the outage, and that onReconnect (ReconnectingBus) tells each process so.
 *
 * The broker runs with a password so the suite can check it never reaches a log line.
 *
 * @example
 * runBusOutage('redis', {
 *   command: (port, secret) => ['redis-server', ['--port', String(port), '--requirepass', secret]],
 *   ready: /Ready to accept connections/,
 *   url: (port, secret) => `redis://:${secret}@127.0.0.1:${port}`,
 *   connect: (url, logger) => RedisBus.connect(url, { logger }),
 * });
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { BusUnavailableError, type Bus, type BusLogger, type ReconnectingBus } from '@natter/server';
import { freePort, kill, killAll, startServer, untilStopped, watchFaults, type ServerCommand } from './outage-process.js';

/** A broker the suite runs on a port of its own (see ServerCommand), and how buses connect to it. */
export interface OutageBroker extends ServerCommand {
  url(port: number, secret: string): string;
  /** `timeoutMs`: how long a call may wait for an answer on an open connection (the bus's option). */
  connect(url: string, logger: BusLogger, timeoutMs?: number): Promise<Bus & ReconnectingBus>;
}

/** How fast a call must fail while the broker is down, and how soon delivery must come back. */
const FAIL_WITHIN_MS = 500;
const RESUME_WITHIN_MS = 10_000;

export function runBusOutage(name: string, broker: OutageBroker): void {
  describe(`Bus outage: ${name}`, () => {
    const children = new Set<ChildProcess>();

    // Whatever happened in the test, no broker outlives the suite.
    afterAll(() => killAll(children));
    const start = (port: number, secret: string) => startServer(broker, port, secret, children);

    it('fails calls fast while the broker is down, then resumes delivery by itself', async () => {
      const port = await freePort();
      const secret = randomBytes(12).toString('hex');
      // Drivers print unhandled 'error' events (and dead readers) to the console instead of throwing.
      const faults = watchFaults();
      const { logged, unhandled, consoleError, consoleLog } = faults;
      const logger: BusLogger = faults.logger;

      let child = await start(port, secret);
      const url = broker.url(port, secret);
      const a = await broker.connect(url, logger);
      const b = await broker.connect(url, logger);
      try {
        const run = randomUUID().slice(0, 8);
        // Shaped like real topics: base64url ids with '-' and '_'.
        const [before, during, dropped, back] = [
          'c:c_Ab-9_x',
          'u:u_Zz-0_q',
          'c:c_dropped-_',
          'u:u_back_-A',
        ].map((t) => `${t}${run}`) as [string, string, string, string];
        const got: Record<'a' | 'b', [string, string][]> = { a: [], b: [] };
        a.onMessage((t, p) => got.a.push([t, p]));
        b.onMessage((t, p) => got.b.push([t, p]));
        const reconnects = { a: 0, b: 0 };
        a.onReconnect(() => reconnects.a++);
        b.onReconnect(() => reconnects.b++);
        const received = (side: 'a' | 'b', t: string) =>
          got[side].filter(([topic]) => topic === t).map(([, p]) => p);

        await b.subscribe(before);
        await b.subscribe(dropped);
        await a.subscribe(back);
        await a.publish(before, 'up');
        await vi.waitFor(() => expect(received('b', before)).toEqual(['up']), {
          timeout: 5_000,
          interval: 5,
        });

        await kill(child);

        // Every kind of call fails promptly and with the documented error.
        const failures: number[] = [];
        const timed = async (call: () => Promise<void>) => {
          const t0 = performance.now();
          await expect(call()).rejects.toBeInstanceOf(BusUnavailableError);
          failures.push(performance.now() - t0);
        };
        await timed(() => a.publish(before, 'lost 1'));
        await timed(() => b.publish(back, 'lost 2'));
        await timed(() =>
          Promise.all([a.publish(before, 'lost 3'), a.publish(before, 'lost 4')]).then(() => {}),
        );
        await timed(() => b.subscribe(during));
        await b.unsubscribe(dropped);
        for (const ms of failures) expect(ms).toBeLessThan(FAIL_WITHIN_MS);

        const restarted = performance.now();
        child = await start(port, secret);

        // Delivery comes back on its own: keep publishing until a probe gets through.
        let probes = 0;
        await vi.waitFor(
          async () => {
            await a.publish(before, `probe ${++probes}`).catch(() => {});
            expect(received('b', before).some((p) => p.startsWith('probe'))).toBe(true);
          },
          { timeout: RESUME_WITHIN_MS, interval: 50 },
        );
        const resumedAfter = performance.now() - restarted;
        await vi.waitFor(() => expect(reconnects).toEqual({ a: 1, b: 1 }), {
          timeout: RESUME_WITHIN_MS,
          interval: 5,
        });

        // The subscription that failed during the outage is active now; the one dropped is not.
        // b's copy of a's later payload on `before` is the barrier: one publisher's order holds.
        await vi.waitFor(
          async () => {
            await a.publish(during, 'during');
            await a.publish(dropped, 'dropped');
            await a.publish(before, 'barrier');
            await vi.waitFor(() => expect(received('b', before)).toContain('barrier'), {
              timeout: 2_000,
              interval: 5,
            });
            expect(received('b', during)).toContain('during');
          },
          { timeout: RESUME_WITHIN_MS, interval: 50 },
        );
        expect(received('b', dropped)).toEqual([]);
        // And the other direction, on a's subscription from before the outage.
        await vi.waitFor(
          async () => {
            await b.publish(back, 'back');
            expect(received('a', back)).toContain('back');
          },
          { timeout: RESUME_WITHIN_MS, interval: 50 },
        );
        expect(got.a.filter(([t]) => t !== back)).toEqual([]);
        // Nothing published during the outage was delivered late.
        expect(received('b', before).filter((p) => p.startsWith('lost'))).toEqual([]);
        expect(received('a', back).filter((p) => p.startsWith('lost'))).toEqual([]);

        expect(unhandled).toEqual([]);
        expect(consoleError).not.toHaveBeenCalled();
        expect(consoleLog).not.toHaveBeenCalled();
        expect(logged.some((l) => l.startsWith('warn') && l.includes('lost'))).toBe(true);
        expect(logged.some((l) => l.startsWith('info') && l.includes('back'))).toBe(true);
        expect(logged.filter((l) => l.includes(secret))).toEqual([]);

        consoleLog.mockRestore();
        console.info(
          `[${name} outage] calls failed in ${failures.map((ms) => ms.toFixed(1)).join(', ')} ms; ` +
            `delivery resumed ${resumedAfter.toFixed(0)} ms after the broker was ready again (${probes} probes)`,
        );
      } finally {
        faults.stop();
        await a.close();
        await b.close();
        await kill(child);
      }
    });

    it('fails calls after the timeout when the broker stalls, and carries on once it answers', async () => {
      const port = await freePort();
      const secret = randomBytes(12).toString('hex');
      const child = await start(port, secret);
      const quiet: BusLogger = { info() {}, warn() {}, error() {} };
      const timeoutMs = 300;
      const a = await broker.connect(broker.url(port, secret), quiet, timeoutMs);
      const b = await broker.connect(broker.url(port, secret), quiet, timeoutMs);
      try {
        const got: string[] = [];
        b.onMessage((_t, p) => got.push(p));
        await b.subscribe('c:c_stall');
        // Frozen, not dead: connections stay open and nothing answers, like a hung broker.
        child.kill('SIGSTOP');
        await untilStopped(child.pid!);
        const t0 = performance.now();
        await expect(a.publish('c:c_stall', 'stalled')).rejects.toBeInstanceOf(BusUnavailableError);
        const ms = performance.now() - t0;
        expect(ms).toBeGreaterThanOrEqual(timeoutMs - 10);
        expect(ms).toBeLessThan(timeoutMs + FAIL_WITHIN_MS);
        child.kill('SIGCONT');
        await a.publish('c:c_stall', 'again');
        await vi.waitFor(() => expect(got).toContain('again'), { timeout: 5_000, interval: 5 });
        // The stalled payload may arrive late (a failed publish is not a promise of non-delivery),
        // but never after what was published later.
        expect(got.filter((p) => p !== 'stalled').at(-1)).toBe('again');
        expect(got.indexOf('stalled')).toBeLessThan(got.indexOf('again'));
      } finally {
        child.kill('SIGCONT');
        await a.close();
        await b.close();
        await kill(child);
      }
    });

    it('closes promptly while the broker is down', async () => {
      const port = await freePort();
      const secret = randomBytes(12).toString('hex');
      const child = await start(port, secret);
      const quiet: BusLogger = { info() {}, warn() {}, error() {} };
      const a = await broker.connect(broker.url(port, secret), quiet);
      await a.subscribe('u:u_x');
      await kill(child);
      const t0 = performance.now();
      await a.close();
      expect(performance.now() - t0).toBeLessThan(FAIL_WITHIN_MS);
      await expect(a.publish('u:u_x', 'closed')).rejects.toBeInstanceOf(BusUnavailableError);
    });

    it('rejects connect with BusUnavailableError when no broker listens', async () => {
      const port = await freePort();
      const quiet: BusLogger = { info() {}, warn() {}, error() {} };
      await expect(broker.connect(broker.url(port, 'x'), quiet)).rejects.toBeInstanceOf(BusUnavailableError);
    });
  });
}
