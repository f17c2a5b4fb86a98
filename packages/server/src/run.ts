/**
 * Running a server from the command line: one Natter process (or, with WORKERS > 1, a
 * node:cluster primary that forks that many workers sharing the port and replaces any that die),
 * stopping gracefully on SIGTERM/SIGINT. Used by main.ts (`natter-server`, `npm start`) and the
 * `natter serve` command.
 */
import cluster from 'node:cluster';
import { backoffDelay } from '@natter/protocol';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './log.js';
import { startNatter } from './server.js';

/**
 * Starts the server as `natter-server` and `natter serve` do: configuration from the environment
 * (a wrong value exits with code 2 and says why), then one process or, with WORKERS > 1, a
 * node:cluster primary (workers re-run the same command and land here as workers).
 */
export async function runServer(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`natter: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (config.WORKERS > 1 && cluster.isPrimary) return runPrimary(config);
  const logger = createLogger(config.LOG_LEVEL, undefined, config.LOG_FORMAT);
  // startNatter logs the one "listening" line, with the URL.
  const server = await startNatter(config, { logger });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'signal received');
    const force = setTimeout(() => {
      logger.error('graceful shutdown took too long; exiting');
      process.exit(1);
    }, config.SHUTDOWN_GRACE_MS);
    force.unref();
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** The primary only supervises: workers do all the work, each a full Natter process. */
function runPrimary(config: Config): void {
  const logger = createLogger(config.LOG_LEVEL, undefined, config.LOG_FORMAT);
  let stopping = false;
  let deaths: number[] = [];
  const fork = () => cluster.fork();
  for (let i = 0; i < config.WORKERS; i++) fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    // Back off when workers keep dying (a bad deployment), up to 30 s between attempts.
    const now = Date.now();
    deaths = deaths.filter((t) => now - t < 60_000);
    deaths.push(now);
    // The project's one backoff (@natter/protocol), without jitter: one supervisor, nothing to spread.
    const delay = backoffDelay(deaths.length - 1, { initialMs: 500, maxMs: 30_000 }, () => 1);
    logger.error({ pid: worker.process.pid, code, signal, restartInMs: delay }, 'worker died; starting another');
    setTimeout(fork, delay).unref();
  });
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping workers');
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    setTimeout(() => process.exit(1), config.SHUTDOWN_GRACE_MS + 2000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.stdout.write(`Natter primary ${process.pid}: ${config.WORKERS} workers on port ${config.PORT}\n`);
}
