/**
 * What the outage suites (bus-outage.ts, ephemeral-outage.ts) do to a server process of their own:
 * find a free port, start the server there and wait until it says it is ready, kill it as a crash
 * would, and wait until a frozen one has really stopped. Kept in one place so both suites start,
 * kill and freeze servers the same way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { vi } from 'vitest';

/** How a suite runs its server: a password-protected process on a port it picks. */
export interface ServerCommand {
  /** Executable and arguments that run the server in the foreground on `port`, requiring `secret`. */
  command(port: number, secret: string): [file: string, args: string[]];
  /** Printed by the server (stdout or stderr) once it accepts connections. */
  ready: RegExp;
}

const START_WITHIN_MS = 10_000;

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts the server and resolves once it says it is ready; rejects if it exits or is slow. The
 * process is added to `children` so the suite can kill whatever is left when it ends.
 */
export function startServer(
  server: ServerCommand,
  port: number,
  secret: string,
  children: Set<ChildProcess>,
): Promise<ChildProcess> {
  const [file, args] = server.command(port, secret);
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => fail(new Error(`${file} not ready within ${START_WITHIN_MS} ms:\n${output}`)),
      START_WITHIN_MS,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!server.ready.test(output)) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve(child);
    };
    const onExit = (code: number | null) =>
      fail(new Error(`${file} exited (${code}) before it was ready:\n${output}`));
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', fail);
  });
}

/** Kills the server the hard way (a crash, not a shutdown) and resolves once it is gone. */
export function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Kills every process in `children` still running: no server outlives its suite. */
export function killAll(children: Set<ChildProcess>): void {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/**
 * Resolves once the process is in the stopped state ('T' in /proc/<pid>/stat): kill('SIGSTOP')
 * only sends the signal, and a server still running for a moment could answer.
 */
export async function untilStopped(pid: number): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'T') return;
    if (Date.now() > deadline) throw new Error(`process ${pid} did not stop`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/**
 * What a driver does wrong while its server is down, watched for the length of one test: the
 * lines it logs through `logger`, exceptions and rejections nobody handled, and anything it prints
 * to the console instead of throwing. `stop()` puts the process and the console back.
 */
export function watchFaults() {
  const logged: string[] = [];
  const log = (level: string) => (obj: object, msg: string) => logged.push(`${level} ${msg} ${JSON.stringify(obj)}`);
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
  const consoleError = vi.spyOn(console, 'error');
  const consoleLog = vi.spyOn(console, 'log');
  return {
    logger: { info: log('info'), warn: log('warn'), error: log('error') },
    logged,
    unhandled,
    consoleError,
    consoleLog,
    stop(): void {
      process.off('unhandledRejection', onUnhandled);
      process.off('uncaughtException', onUnhandled);
      consoleError.mockRestore();
      consoleLog.mockRestore();
    },
  };
}
