/** The fan-out workload: at a fixed rate, or (`--find-max`) climbing until p99 or losses fail. */
import { CommitProbe } from '../lib/commit-probe.js';
import { Lockstep } from '../lib/lockstep.js';
import type { RunningTarget, TargetName } from '../targets/target.js';
import { opts } from '../options.js';
import { FanoutSession, findMax } from '../workloads/fanout.js';
import { ackField, alternate, clientsOf, emit, everyRep, progress } from './context.js';

export async function fanout(clients: number, groupSize: number): Promise<void> {
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
