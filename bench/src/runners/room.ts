import { startTarget } from '../targets/index.js';
import { NatterTarget } from '../targets/natter.js';
import type { RunningTarget } from '../targets/target.js';
import { opts } from '../options.js';
import { runRoom, type RoomOptions } from '../workloads/room.js';
import { emit, progress, versions } from './context.js';

/**
 * Live rooms: V viewers of one room, the rate ramped step by step, on one Natter process (and
 * natter-b, e.g. ROOM_FRAME_ENCODING=compact) beside the ws floor, then on three processes with
 * a Redis and with a NATS bus. Each target is started fresh for its steps.
 */
export async function room(): Promise<void> {
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
