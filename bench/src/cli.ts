#!/usr/bin/env node
/**
 * `npm run bench -- [options]`: starts each target on loopback, drives it with the lean
 * generator, prints one JSON line per run on stdout (progress goes to stderr), then a markdown
 * table of medians. Targets alternate within each repetition (A B C D, A B C D, …) so that
 * drifts in the shared machine's load hit them alike. The options are listed in options.ts;
 * each workload's runner lives in runners/, the records they emit in runners/context.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { cpus, totalmem } from 'node:os';
import { installCleanup, killAll } from './lib/proc.js';
import { markdown } from './report.js';
import { prepareNatter } from './lib/natter-build.js';
import { natterBBuild, natterBEnv, natterBuild } from './targets/natter.js';
import { args as a, opts } from './options.js';
import type { RunRecord } from './workloads/common.js';
import { progress, records, versions } from './runners/context.js';
import { fanout } from './runners/fanout.js';
import { direct } from './runners/direct.js';
import { idle, idleMany } from './runners/idle.js';
import { catchup } from './runners/catchup.js';
import { storm } from './runners/storm.js';
import { cluster } from './runners/cluster.js';
import { abuse } from './runners/abuse.js';
import { room } from './runners/room.js';
import { upload } from './runners/upload.js';

/** Relative to where `npm run bench` was typed, not to the bench workspace npm runs it in. */
const here = (f: string) => resolve(process.env.INIT_CWD ?? process.cwd(), f);

/** The summary of an earlier run's JSON lines (other lines, such as npm's banner, are skipped). */
function report(file: string): void {
  const records = readFileSync(here(file), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as RunRecord);
  if (records.length === 0) throw new Error(`${file}: no JSON lines of a run`);
  const md = markdown(records);
  process.stdout.write(md + '\n');
  if (a.md) writeFileSync(here(a.md), md);
}

async function main(): Promise<void> {
  if (a.report !== undefined) {
    report(a.report);
    return;
  }
  installCleanup();
  if (opts.targets.some((t) => t.startsWith('natter'))) Object.assign(natterBuild, prepareNatter(opts.natter, progress));
  if ((a['natter-b'] !== undefined || a['natter-b-env'] !== undefined) && !opts.targets.includes('natter-b')) {
    throw new Error('--natter-b and --natter-b-env set up the target natter-b: add it to --targets');
  }
  if (a['natter-b'] !== undefined) natterBBuild.build = prepareNatter(a['natter-b'], progress);
  for (const kv of a['natter-b-env']?.split(',') ?? []) {
    const eq = kv.indexOf('=');
    if (eq < 1) throw new Error(`--natter-b-env: expected K=V, got ${kv}`);
    natterBEnv[kv.slice(0, eq).trim()] = kv.slice(eq + 1).trim();
  }
  natterBuild.nodeArgs = a['natter-node-args']?.split(' ').filter(Boolean) ?? [];
  const started = new Date();
  progress(`bench: ${JSON.stringify(opts)}`);
  for (const w of opts.workloads) {
    switch (w) {
      case 'fanout':
        for (const [c, s] of opts.fanout) await fanout(c, s);
        break;
      case 'direct':
        await direct(opts.pairs);
        break;
      case 'idle':
        await idle(opts.idle);
        break;
      case 'idle-many':
        await idleMany(opts.idleMany[0], opts.idleMany[1]);
        break;
      case 'catchup':
        await catchup(opts.catchup[0], opts.catchup[1]);
        break;
      case 'storm':
        await storm(opts.storm);
        break;
      case 'cluster':
        // Its own targets (natter-cluster as 1 and 3 processes, per bus), whatever --targets says.
        await cluster();
        break;
      case 'abuse':
        await abuse();
        break;
      case 'room':
        await room();
        break;
      case 'upload':
        await upload(opts.upload[0], opts.upload[1]);
        break;
    }
  }
  const header = [
    `Run ${started.toISOString()} – ${new Date().toISOString()}; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
    `Options: ${JSON.stringify(opts)}`,
    `Versions: ${[...versions].map(([k, v]) => `${k}: ${v}`).join('; ')}`,
    '',
  ].join('\n');
  const md = header + '\n' + markdown(records);
  process.stdout.write('\n' + md + '\n');
  if (a.md) writeFileSync(here(a.md), md);
  if (a.json) writeFileSync(here(a.json), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

main().then(
  () => {
    killAll();
    process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    killAll();
    process.exit(1);
  },
);
