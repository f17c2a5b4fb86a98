#!/usr/bin/env node
/**
 * `natter-server` (and `npm start`): reads configuration, starts one Natter process (or, with
 * WORKERS > 1, a node:cluster primary that forks that many workers sharing the port and replaces
 * any that die), and stops gracefully on SIGTERM/SIGINT. The work is in run.ts, shared with
 * `natter serve`.
 */
import { runServer } from './run.js';

runServer().catch((err: unknown) => {
  process.stderr.write(`natter: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
