#!/usr/bin/env node
/**
 * `npm run bench -- [options]`: starts each target on loopback, drives it with the lean
 * generator, prints one JSON line per run on stdout (progress goes to stderr), then a markdown
 * table of medians. Targets alternate within each repetition (A B C D, A B C D, …) so that
 * drifts in the shared machine's load hit them alike. The options are listed in options.ts.
 */import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { cpus, totalmem } from 'node:os';
import { installCleanup, killAll } from './lib/proc.js';
import { CommitProbe } from './lib/commit-probe.js';
import { Lockstep } from './lib/lockstep.js';
import { markdown } from './report.js';
import { connectorFor, startTarget } from './targets/index.js';
import { prepareNatter } from './lib/natter-build.js';
import { ackLabel, natterBBuild, natterBEnv, natterBuild, NatterTarget } from './targets/natter.js';
import type { RunningTarget, TargetName } from './targets/target.js';
import { args as a, opts, type Workload } from './options.js';
import type { RunRecord } from './workloads/common.js';
import { directRooms, runDirect } from './workloads/direct.js';
import { FanoutSession, findMax } from './workloads/fanout.js';
import { runIdle } from './workloads/idle.js';
import { prepareCatchup, runCatchup } from './workloads/catchup.js';
import { runStorm } from './workloads/storm.js';
import { runCluster } from './workloads/cluster.js';
import { prepareAbuse, runAbuse } from './workloads/abuse.js';
import { runRoom, type RoomOptions } from './workloads/room.js';
import { runUpload } from './workloads/upload.js';

/** Lean clients for a target; Natter's ack with the cadence chosen (`--acks`). */
const clientsOf = (t: RunningTarget) => connectorFor({ ...t.endpoint(), acks: opts.acks });
/** What a fan-out or direct record says of how Natter's clients acked (peers have no acks). */
const ackField = (t: RunningTarget): { acks?: string } => (t.name.startsWith('natter') ? { acks: ackLabel(opts.acks) } : {});

const records: RunRecord[] = [];
const versions = new Map<string, string>();

function emit(r: RunRecord): void {
  records.push(r);
  process.stdout.write(JSON.stringify(r) + '\n');
}

function progress(msg: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

/** Starts each target, runs `body` rep by rep alternating targets, and stops them all. */
async function alternate(
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
async function everyRep(
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


async function fanout(clients: number, groupSize: number): Promise<void> {
  if (!(opts.senders >= 1 && opts.senders <= groupSize)) throw new Error(`--senders: 1 to the group size (${groupSize})`);
  const config = `${clients}x${groupSize}${opts.senders > 1 ? ` (${opts.senders} senders)` : ''}`;
  const rooms = FanoutSession.roomMembers({ clients, groupSize });
  const keys = new Map<TargetName, string[]>();
  const lastMax = new Map<TargetName, number>();
  const prepare = async (t: RunningTarget) => {
    keys.set(t.name, await t.setup(clients, rooms, 'group'));
  };
  const sessionFor = (t: RunningTarget) =>
    new FanoutSession(t, clientsOf(t), keys.get(t.name)!, {
      clients,
      groupSize,
      warmupS: opts.warmupS,
      durationS: opts.durationS,
      size: opts.size,
      senders: opts.senders,
      drainS: 5,
      maxUnacked: 256,
    });
  const base = (t: RunningTarget, rep: number) => ({ workload: 'fanout', config, target: t.name, rep, ...ackField(t) });

  if (!opts.findMax) {
    await alternate('fanout', opts.targets, prepare, async (t, rep) => {
      const session = sessionFor(t);
      await session.open();
      const probe = new CommitProbe(t);
      await probe.start();
      try {
        const r = await session.run(opts.rate);
        emit({ ...base(t, rep), ...r, ...(await probe.stop()) });
      } finally {
        session.close();
      }
    });
    return;
  }

  // Find-max: every target climbs at once, their trials taking turns (A B C A B C …, see
  // lib/lockstep.ts), so a ratio compares trials minutes apart at most seconds apart.
  await everyRep('fanout', opts.targets, prepare, async (targets, rep) => {
    const sessions: FanoutSession[] = [];
    try {
      for (const t of targets) {
        const session = sessionFor(t);
        sessions.push(session);
        await session.open();
      }
      const probes = targets.map((t) => new CommitProbe(t));
      for (const p of probes) await p.start();
      progress(`fanout: rep ${rep}, ${targets.map((t) => t.name).join(', ')} taking turns`);
      const lockstep = new Lockstep(targets.map((t) => t.name));
      const climbs = await Promise.allSettled(
        targets.map(async (t, i) => {
          try {
            // Start low enough (10k deliveries/s, or two steps below the last maximum) and climb by 1.5×.
            const prev = lastMax.get(t.name);
            const startRate = Math.max(1, Math.round(prev ? prev / 2.25 : 10_000 / groupSize));
            const session = { run: (rate: number) => lockstep.turn(t.name, () => sessions[i]!.run(rate)) };
            return await findMax(session, { startRate, factor: 1.5, maxSteps: 14, refine: 2, p99LimitMs: 100 }, opts.durationS, (s) =>
              progress(`  ${t.name} rate ${s.rate}/s: delivered ${s.deliveredPerS}/s p99 ${s.p99Ms} ms lost ${s.lost} gen ${s.genCpu}% srv ${s.serverCpu}% (loop ${s.serverLoopCpu}%) ${s.passed ? 'ok' : 'FAIL'}`),
            );
          } finally {
            lockstep.leave(t.name);
          }
        }),
      );
      let failure: unknown = null;
      for (const [i, t] of targets.entries()) {
        const climb = climbs[i]!;
        if (climb.status === 'rejected') {
          failure ??= climb.reason;
          continue;
        }
        const { best, steps } = climb.value;
        if (best) lastMax.set(t.name, best.rate);
        const r = best ?? steps[0]!;
        // Commits per second would be diluted by the other targets' turns; per message they are not.
        const { commitsPerS: _diluted, ...commits } = await probes[i]!.stop();
        emit({ ...base(t, rep), ...r, steps: steps.length, maxFound: best !== null, ...commits });
      }
      if (failure !== null) throw failure;
    } finally {
      for (const s of sessions) s.close();
    }
  });
}

async function direct(pairs: number): Promise<void> {
  const rooms = directRooms(pairs);
  const keys = new Map<TargetName, string[]>();
  await alternate(
    'direct',
    opts.targets,
    async (t) => {
      keys.set(t.name, await t.setup(2 * pairs, rooms, 'direct'));
    },
    async (t, rep) => {
      const probe = new CommitProbe(t);
      await probe.start();
      const rate = opts.directRate;
      const r = await runDirect(t, clientsOf(t), keys.get(t.name)!, { pairs, warmupS: opts.warmupS, durationS: opts.durationS, size: opts.size, rate });
      const config = rate > 0 ? `${pairs}@${rate}/s` : String(pairs);
      emit({ workload: 'direct', config, target: t.name, rep, ...ackField(t), ...r, ...(await probe.stop()) });
    },
  );
}

/** Concurrent large uploads (Natter only: the peers have no upload API). */
async function upload(clients: number, megabytes: number): Promise<void> {
  if (!opts.targets.includes('natter')) return;
  await alternate(
    'upload',
    ['natter'],
    async (t) => void (await t.setup(clients, [], 'group')),
    async (t, rep) => {
      const r = await runUpload(t, { clients, megabytes, chunkMegabytes: 32 });
      emit({ workload: 'upload', config: `${clients}x${megabytes}MB`, target: t.name, rep, ...r });
    },
  );
}

async function idle(n: number): Promise<void> {
  await alternate(
    'idle',
    opts.targets,
    async (t) => {
      const t0 = performance.now();
      await t.setup(n, [], 'group');
      if (t.name === 'natter') progress(`idle: ${n} natter users made in ${Math.round(performance.now() - t0)} ms`);
    },
    async (t, rep) => {
      const r = await runIdle(t, { connections: n, workers: opts.idleWorkers, settleS: opts.quick ? 1 : 3, idleS: opts.quick ? 2 : 10 });
      emit({ workload: 'idle', config: String(n), target: t.name, rep, ...r });
    },
  );
}

/**
 * More idle connections than one process may hold (20,000 open files each on this machine):
 * Natter in cluster mode with enough worker processes, one generator process per 12,500.
 */
async function idleMany(n: number, processes: number): Promise<void> {
  if (!opts.targets.includes('natter-cluster')) return;
  await alternate(
    'idle-many',
    ['natter-cluster'],
    async (t) => {
      const t0 = performance.now();
      await t.setup(n, [], 'group');
      progress(`idle-many: ${n} natter users made in ${Math.round(performance.now() - t0)} ms`);
    },
    async (t, rep) => {
      const workers = Math.max(opts.idleWorkers, Math.ceil(n / 12_500));
      const r = await runIdle(t, { connections: n, workers, settleS: opts.quick ? 1 : 3, idleS: opts.quick ? 2 : 10 });
      emit({ workload: 'idle-many', config: `${n}x${processes}`, target: t.name, rep, ...r, processes });
    },
    () => NatterTarget.startCluster(processes),
  );
}

async function catchup(messages: number, conversations: number): Promise<void> {
  if (!opts.targets.includes('natter')) return;
  const o = { messages, conversations, size: opts.size };
  let state: Awaited<ReturnType<typeof prepareCatchup>> | null = null;
  await alternate(
    'catchup',
    ['natter'],
    async (t) => {
      state = await prepareCatchup(t as NatterTarget, o);
    },
    async (t, rep) => {
      const r = await runCatchup(t as NatterTarget, state!.device, state!.conversations, o);
      emit({ workload: 'catchup', config: `${messages}x${conversations}`, target: 'natter', rep, ...r });
    },
  );
}

async function storm(clients: number): Promise<void> {
  if (!opts.targets.includes('natter')) return;
  const groupSize = 10;
  const o = { clients, groupSize, signal: opts.stormSignal, timeoutS: 120, size: opts.size };
  let conversations: string[] = [];
  await alternate(
    'storm',
    ['natter'],
    async (t) => {
      const t0 = performance.now();
      const rooms = Array.from({ length: Math.ceil(clients / groupSize) }, (_, g) =>
        Array.from({ length: Math.min(groupSize, clients - g * groupSize) }, (_, m) => g * groupSize + m),
      );
      conversations = await t.setup(clients, rooms, 'group');
      progress(`storm: ${clients} users in ${rooms.length} groups made in ${Math.round(performance.now() - t0)} ms`);
    },
    async (t, rep) => {
      const r = await runStorm(t as NatterTarget, conversations, o);
      emit({ workload: 'storm', config: String(clients), target: 'natter', rep, ...r });
    },
  );
}

/** One user floods history requests; bystanders' send latency (natter and natter-b: before/after). */
async function abuse(): Promise<void> {
  const [pairs, sockets, http] = opts.abuse;
  const o = { pairs, sockets, http, quietS: opts.quick ? 2 : 3, floodS: opts.quick ? 5 : 10 };
  const names = opts.targets.filter((n) => n === 'natter' || n === 'natter-b');
  const state = new Map<TargetName, Awaited<ReturnType<typeof prepareAbuse>>>();
  await alternate(
    'abuse',
    names,
    async (t) => {
      state.set(t.name, await prepareAbuse(t as NatterTarget, o));
    },
    async (t, rep) => {
      const s = state.get(t.name)!;
      const r = await runAbuse(t as NatterTarget, s.heavy, s.direct, o);
      progress(`  ${t.name}: flooded send p50 ${r.floodP50Ms} ms p99 ${r.floodP99Ms} ms max ${r.floodMaxMs} ms (quiet p99 ${r.quietP99Ms} ms)`);
      emit({ workload: 'abuse', config: `${pairs}x${sockets}x${http}`, target: t.name, rep, ...r });
    },
  );
}

/** Relative to where `npm run bench` was typed, not to the bench workspace npm runs it in. */
const here = (f: string) => resolve(process.env.INIT_CWD ?? process.cwd(), f);

/**
 * Live rooms: V viewers of one room, the rate ramped step by step, on one Natter process (and
 * natter-b, e.g. ROOM_FRAME_ENCODING=compact) beside the ws floor, then on three processes with
 * a Redis and with a NATS bus. Each target is started fresh for its steps.
 */
async function room(): Promise<void> {
  const [viewers, workers] = opts.room;
  const o: RoomOptions = {
    viewers,
    workers,
    rates: opts.roomRates,
    highFraction: opts.roomHigh,
    stepS: opts.roomStepS,
    drainS: 30,
    tickMs: 200,
    budgetPerViewer: 10,
    size: opts.size,
    floorMaxRate: opts.roomFloorMax,
    senders: 20,
  };
  const buses = { redis: process.env.BENCH_BUS_URL ?? 'redis://127.0.0.1:6379', nats: process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222' };
  for (let rep = 1; rep <= opts.reps; rep++) {
    for (const shape of opts.roomShapes) {
      const runs: [string, () => Promise<RunningTarget>][] =
        shape === 'single'
          ? opts.targets
              .filter((n) => n === 'natter' || n === 'natter-b' || n === 'ws-floor')
              .map((n) => [`${viewers} viewers, 1 process`, () => (n === 'natter' ? NatterTarget.start() : startTarget(n))])
          : [[`${viewers} viewers, 3 processes, ${shape}`, () => NatterTarget.startCluster(3, { busUrl: buses[shape] })]];
      for (const [config, start] of runs) {
        const t = await start();
        versions.set(t.name, t.version);
        try {
          progress(`room: rep ${rep} ${t.name} (${config})`);
          await runRoom(t, o, config, emit, progress, rep);
        } finally {
          await t.stop().catch(() => undefined);
        }
      }
    }
  }
}

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
        for (let rep = 1; rep <= opts.reps; rep++) {
          const [clients, groupSize] = opts.cluster;
          await runCluster(
            { clients, groupSize, rates: opts.clusterRates, processes: [1, 3], buses: opts.clusterBuses, warmupS: opts.warmupS, durationS: opts.durationS, size: opts.size, senders: opts.senders },
            emit,
            progress,
            rep,
          );
        }
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
