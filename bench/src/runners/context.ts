/**
 * What every workload runner shares: the records of this run (printed as JSON lines as they
 * come, summed up by cli.ts at the end), the targets' versions, progress lines on stderr, and
 * the loops that start targets and run repetitions over them.
 */
import { connectorFor, startTarget } from '../targets/index.js';
import { ackLabel } from '../targets/natter.js';
import type { RunningTarget, TargetName } from '../targets/target.js';
import { opts, type Workload } from '../options.js';
import type { RunRecord } from '../workloads/common.js';

/** Every record emitted so far, in order; cli.ts turns them into the summary and --json file. */
export const records: RunRecord[] = [];
/** The version each target reported when started, for the summary's header. */
export const versions = new Map<string, string>();

/** Lean clients for a target; Natter's ack with the cadence chosen (`--acks`). */
export const clientsOf = (t: RunningTarget) => connectorFor({ ...t.endpoint(), acks: opts.acks });
/** What a fan-out or direct record says of how Natter's clients acked (peers have no acks). */
export const ackField = (t: RunningTarget): { acks?: string } => (t.name.startsWith('natter') ? { acks: ackLabel(opts.acks) } : {});

export function emit(r: RunRecord): void {
  records.push(r);
  process.stdout.write(JSON.stringify(r) + '\n');
}

export function progress(msg: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

/** Starts each target, runs `body` rep by rep alternating targets, and stops them all. */
export async function alternate(
  workload: Workload,
  names: TargetName[],
  prepare: (t: RunningTarget) => Promise<void>,
  body: (t: RunningTarget, rep: number) => Promise<void>,
  start: (name: TargetName) => Promise<RunningTarget> = startTarget,
): Promise<void> {
  await everyRep(
    workload,
    names,
    prepare,
    async (targets, rep) => {
      for (const t of targets) {
        progress(`${workload}: rep ${rep} ${t.name}`);
        await body(t, rep);
      }
    },
    start,
  );
}

/** Starts each target, runs `body` over all of them once per repetition, and stops them all. */
export async function everyRep(
  workload: Workload,
  names: TargetName[],
  prepare: (t: RunningTarget) => Promise<void>,
  body: (targets: RunningTarget[], rep: number) => Promise<void>,
  start: (name: TargetName) => Promise<RunningTarget> = startTarget,
): Promise<void> {
  const started: RunningTarget[] = [];
  try {
    for (const name of names) {
      progress(`${workload}: starting ${name}`);
      const t = await start(name);
      started.push(t);
      versions.set(name, t.version);
      await prepare(t);
    }
    for (let rep = 1; rep <= opts.reps; rep++) await body(started, rep);
  } finally {
    for (const t of started) await t.stop().catch(() => undefined);
  }
}
