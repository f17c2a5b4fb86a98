/**
 * The options of `npm run bench -- [options]` (cli.ts), parsed and given their defaults once:
 *
 *   --quick                  small sizes, one repetition, short runs (under 2 minutes)
 *   --workloads a,b          fanout,direct,idle,idle-many,catchup,storm,cluster,abuse,upload (default: all)
 *   --upload NxM             upload: N clients each uploading an M MB file at once (default 20x100)
 *   --targets a,b            natter,natter-cluster,socketio,mosquitto,ws-floor (default: all), natter-b,
 *                            ws-floor-acks (the floor whose clients send SDK-cadence ack frames it drops)
 *   --reps N                 repetitions (default 3)
 *   --find-max               fanout: raise the rate until p99 > 100 ms or anything is lost; every
 *                            target climbs at once, their trials taking turns (A B C A B C …)
 *   --rate N                 fanout: messages/s when not finding the maximum (default 500)
 *   --direct-rate N          direct: round trips/s in all, the pairs paced to it (default 2000, a load
 *                            every target sustains; 0: each pair as fast as it is answered)
 *   --senders K              fanout: members of each group who take turns sending (default 1); with
 *                            natter-cluster they sit on different workers, so entries cross on the bus
 *   --fanout 1000x20,2000x200  --pairs 100  --idle 15000  --catchup 10000x100  --storm 10000
 *   --idle-many 50000x4      idle-many: connections x natter-cluster worker processes
 *   --cluster 200x5 --cluster-rates 250,500,1000 --cluster-buses redis,nats
 *                            cluster: fan-out clients x group size at fixed rates, 1 and 3 processes
 *   --duration S --warmup S  seconds per fan-out trial / direct run
 *   --storm-kill             storm: kill -9 the server instead of a graceful restart
 *   --room 15000x4 --room-rates 1,10,50,500 --room-high 0.01 --room-step 10 --room-shapes single,redis,nats
 *                            room: viewers x generator processes, the rate steps, the high-priority share,
 *                            seconds per step, and the shapes (one process; three on PostgreSQL with a
 *                            Redis or NATS bus); --room-floor-max 10: the ws floor's last step
 *   --abuse 2x4x4            abuse: bystander pairs x deaf attacker sockets x attacker HTTP loops
 *   --acks sdk|none          Natter's clients ack like the SDK (default: within 50 ms, ping every
 *                            heartbeat) or never (a reference row)
 *   --natter head|worktree|<rev>  a private build of HEAD (default) or of any commit, or packages/server/dist
 *   --natter-node-args="…"   extra node flags for the Natter server (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof)
 *   --natter-b-env K=V,K=V   the target natter-b: Natter with these settings added (an A/B of a setting
 *                            in lockstep: --targets natter,natter-b,ws-floor)
 *   --natter-b head|worktree|<rev>  natter-b runs this build instead of natter's (two commits in lockstep)
 *   --md FILE --json FILE    also write the summary / the JSON lines to files
 *   --report FILE            run nothing: print (and with --md write) the summary of a run's JSON lines
 */
import { parseArgs } from 'node:util';
import { TARGETS, type AckCadence, type TargetName } from './targets/target.js';

export const WORKLOADS = [
  'fanout',
  'direct',
  'idle',
  'idle-many',
  'catchup',
  'storm',
  'cluster',
  'abuse',
  'room',
  'upload',
] as const;
export type Workload = (typeof WORKLOADS)[number];

export const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    workloads: { type: 'string' },
    targets: { type: 'string' },
    reps: { type: 'string' },
    'find-max': { type: 'boolean', default: false },
    rate: { type: 'string' },
    'direct-rate': { type: 'string' },
    fanout: { type: 'string' },
    pairs: { type: 'string' },
    idle: { type: 'string' },
    'idle-workers': { type: 'string' },
    'idle-many': { type: 'string' },
    catchup: { type: 'string' },
    storm: { type: 'string' },
    cluster: { type: 'string' },
    'cluster-rates': { type: 'string' },
    'cluster-buses': { type: 'string' },
    'storm-kill': { type: 'boolean', default: false },
    abuse: { type: 'string' },
    room: { type: 'string' },
    'room-rates': { type: 'string' },
    'room-high': { type: 'string' },
    'room-step': { type: 'string' },
    'room-shapes': { type: 'string' },
    'room-floor-max': { type: 'string' },
    upload: { type: 'string' },
    acks: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    size: { type: 'string' },
    senders: { type: 'string' },
    natter: { type: 'string' },
    'natter-node-args': { type: 'string' },
    'natter-b-env': { type: 'string' },
    'natter-b': { type: 'string' },
    md: { type: 'string' },
    json: { type: 'string' },
    report: { type: 'string' },
  },
});

const quick = args.quick;
const list = <T extends string>(
  v: string | undefined,
  all: readonly T[],
  byDefault: readonly T[] = all,
): T[] => {
  if (!v) return [...byDefault];
  const items = v.split(',').map((s) => s.trim()) as T[];
  for (const i of items)
    if (!all.includes(i)) throw new Error(`unknown ${i}; expected one of ${all.join(', ')}`);
  return items;
};
const pairsOf = (v: string): [number, number][] =>
  v.split(',').map((s) => {
    const [x, y] = s.split('x').map(Number);
    if (!x || !y) throw new Error(`expected NxM, got ${s}`);
    return [x, y];
  });

export const opts = {
  quick,
  workloads: list<Workload>(args.workloads, WORKLOADS),
  // natter-b only when asked for (an A/B against natter).
  targets: list<TargetName>(
    args.targets,
    TARGETS,
    TARGETS.filter((t) => t !== 'natter-b' && t !== 'ws-floor-acks'),
  ),
  reps: Number(args.reps ?? (quick ? 1 : 3)),
  findMax: args['find-max'],
  rate: Number(args.rate ?? (quick ? 200 : 500)),
  fanout: pairsOf(args.fanout ?? (quick ? '200x20' : '1000x20,2000x200')),
  pairs: Number(args.pairs ?? (quick ? 20 : 100)),
  directRate: Number(args['direct-rate'] ?? (quick ? 400 : 2000)),
  idle: Number(args.idle ?? (quick ? 1000 : 15000)),
  idleWorkers: Number(args['idle-workers'] ?? (quick ? 1 : 4)),
  idleMany: pairsOf(args['idle-many'] ?? (quick ? '2000x2' : '50000x4'))[0]!,
  catchup: pairsOf(args.catchup ?? (quick ? '2000x20' : '10000x100'))[0]!,
  storm: Number(args.storm ?? (quick ? 300 : 10000)),
  cluster: pairsOf(args.cluster ?? (quick ? '100x5' : '200x5'))[0]!,
  clusterRates: (args['cluster-rates'] ?? (quick ? '200' : '250,500,1000')).split(',').map(Number),
  clusterBuses: list<'redis' | 'nats'>(args['cluster-buses'], ['redis', 'nats']),
  durationS: Number(args.duration ?? (quick ? 1.5 : 5)),
  warmupS: Number(args.warmup ?? (quick ? 0.5 : 1)),
  size: Number(args.size ?? 64),
  senders: Number(args.senders ?? 1),
  natter: args.natter ?? 'head',
  stormSignal: (args['storm-kill'] ? 'SIGKILL' : 'SIGTERM') as NodeJS.Signals,
  acks: list<AckCadence>(args.acks, ['sdk', 'none'], ['sdk'])[0]!,
  room: pairsOf(args.room ?? (quick ? '1000x2' : '15000x4'))[0]!,
  roomRates: (args['room-rates'] ?? (quick ? '1,50' : '1,10,50,500')).split(',').map(Number),
  roomHigh: Number(args['room-high'] ?? 0.01),
  roomStepS: Number(args['room-step'] ?? (quick ? 3 : 10)),
  roomShapes: list<'single' | 'redis' | 'nats'>(args['room-shapes'], ['single', 'redis', 'nats'], quick ? ['single'] : ['single', 'redis', 'nats']),
  roomFloorMax: Number(args['room-floor-max'] ?? 10),
  /** Clients × MB each, uploaded at once (docs/media.md). */
  upload: pairsOf(args.upload ?? (quick ? '4x20' : '20x100'))[0]!,
  abuse: (args.abuse ?? '2x4x4').split('x').map(Number) as [
    pairs: number,
    sockets: number,
    httpLoops: number,
  ],
};
