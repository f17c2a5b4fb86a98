/**
 * Turns the run records into the markdown summary: per workload and size, the median of each
 * figure over the repetitions for each target, the ratio to ws-floor (median of the per-
 * repetition ratios, since each repetition measured the two back to back), and the issue's
 * targets marked met or missed.
 */
import { availableParallelism } from 'node:os';
import { median } from './lib/hist.js';
import type { RunRecord } from './workloads/common.js';

/** Which figures each workload's table shows, the headline first (the one ratios are taken of). */
const COLUMNS: Record<string, { key: string; label: string }[]> = {
  fanout: [
    { key: 'deliveredPerS', label: 'delivered msgs/s' },
    { key: 'rate', label: 'publish rate msgs/s' },
    { key: 'p50Ms', label: 'p50 ms' },
    { key: 'p99Ms', label: 'p99 ms' },
    { key: 'maxMs', label: 'max ms' },
    { key: 'lost', label: 'lost' },
    { key: 'duplicated', label: 'dup' },
    { key: 'genCpu', label: 'generator CPU %' },
    { key: 'genLoopP99Ms', label: 'generator loop delay p99 ms' },
    { key: 'genGcMaxMs', label: 'generator longest GC pause ms' },
    { key: 'lateOver10msPct', label: '% of deliveries > 10 ms' },
    { key: 'lateAfterGenStallPct', label: '% of those right after a generator stall' },
    { key: 'serverCpu', label: 'server CPU %' },
    { key: 'serverLoopCpu', label: 'server event loop CPU %' },
    { key: 'serverUsPerDelivery', label: 'server CPU µs per delivery' },
    { key: 'serverRssMB', label: 'server RSS MB' },
    { key: 'serverSyscallsPerDelivery', label: 'server reads+writes per delivery' },
  ],
  direct: [
    { key: 'roundTripsPerS', label: 'round trips/s' },
    { key: 'p50Ms', label: 'p50 ms' },
    { key: 'p99Ms', label: 'p99 ms' },
    { key: 'maxMs', label: 'max ms' },
    { key: 'lost', label: 'lost' },
    { key: 'genCpu', label: 'generator CPU %' },
    { key: 'genLoopP99Ms', label: 'generator loop delay p99 ms' },
    { key: 'genGcMaxMs', label: 'generator longest GC pause ms' },
    { key: 'serverCpu', label: 'server CPU %' },
    { key: 'serverLoopCpu', label: 'server event loop CPU %' },
    { key: 'serverUsPerRoundTrip', label: 'server CPU µs per round trip' },
  ],
  cluster: [
    { key: 'sentPerS', label: 'sends/s' },
    { key: 'deliveredPerS', label: 'delivered msgs/s' },
    { key: 'p99Ms', label: 'p99 ms' },
    { key: 'lost', label: 'lost' },
    { key: 'serverCpu', label: 'server CPU % (all processes)' },
    { key: 'serverCpuMsPerMsg', label: 'server CPU ms/send' },
    { key: 'pgCpu', label: 'PostgreSQL backends CPU %' },
    { key: 'pgCpuMsPerMsg', label: 'PostgreSQL CPU ms/send' },
    { key: 'pgCommitsPerS', label: 'PostgreSQL commits/s' },
    { key: 'pgCommitsPerMsg', label: 'commits/send' },
  ],
  idle: [
    { key: 'rssPerConnKB', label: 'RSS/conn KB' },
    { key: 'connected', label: 'connected' },
    { key: 'connectPerS', label: 'connects/s' },
    { key: 'idleCpu', label: 'idle server CPU %' },
    { key: 'serverRssMB', label: 'server RSS MB' },
    { key: 'genCpuMax', label: 'busiest generator CPU %' },
  ],
  'idle-many': [
    { key: 'connected', label: 'connected' },
    { key: 'processes', label: 'worker processes' },
    { key: 'rssPerConnKB', label: 'RSS/conn KB (all processes)' },
    { key: 'serverRssMB', label: 'server RSS MB (all processes)' },
    { key: 'connectPerS', label: 'connects/s' },
    { key: 'idleCpu', label: 'idle server CPU %' },
    { key: 'failed', label: 'failed' },
    { key: 'genCpuMax', label: 'busiest generator CPU %' },
  ],
  upload: [
    { key: 'mbPerS', label: 'MB/s (all clients)' },
    { key: 'ready', label: 'uploads ready' },
    { key: 'failed', label: 'failed' },
    { key: 'wallS', label: 'wall s' },
    { key: 'rssBeforeMB', label: 'server RSS before MB' },
    { key: 'rssPeakMB', label: 'server RSS peak MB' },
    { key: 'rssGrowthMB', label: 'RSS growth MB' },
    { key: 'rssAfterMB', label: 'server RSS after MB' },
  ],
  abuse: [
    { key: 'floodP99Ms', label: 'flooded send p99 ms' },
    { key: 'floodP50Ms', label: 'flooded send p50 ms' },
    { key: 'floodMaxMs', label: 'flooded send max ms' },
    { key: 'floodTimeouts', label: 'sends unanswered after 60 s' },
    { key: 'floodSends', label: 'flooded sends' },
    { key: 'quietP50Ms', label: 'quiet send p50 ms' },
    { key: 'quietP99Ms', label: 'quiet send p99 ms' },
    { key: 'httpPages', label: 'attacker HTTP pages' },
    { key: 'http429', label: 'attacker HTTP 429s' },
    { key: 'socketsOpened', label: 'attacker sockets' },
    { key: 'genCpu', label: 'generator CPU %' },
  ],
  catchup: [
    { key: 'catchupMs', label: 'catch-up ms' },
    { key: 'messages', label: 'messages' },
    { key: 'bytesIn', label: 'bytes in' },
    { key: 'bytesOut', label: 'bytes out' },
    { key: 'requests', label: 'requests' },
    { key: 'gaps', label: 'gaps' },
    { key: 'genCpu', label: 'generator CPU %' },
  ],
  room: [
    { key: 'cpuPerDeliveryUs', label: 'server µs per delivery' },
    { key: 'p50Ms', label: 'p50 ms' },
    { key: 'p99Ms', label: 'p99 ms' },
    { key: 'deliveredPerS', label: 'deliveries/s' },
    { key: 'perViewerPerS', label: 'msgs/s per viewer' },
    { key: 'highDeliveredPct', label: 'high priority delivered %' },
    { key: 'open', label: 'viewers open' },
    { key: 'framesPerS', label: 'frames/s' },
    { key: 'bytesPerMessage', label: 'bytes per msg' },
    { key: 'serverCpu', label: 'server CPU %' },
    { key: 'serverLoopCpu', label: 'loop CPU %' },
    { key: 'genWorkersCpu', label: 'generators CPU %' },
  ],
  storm: [
    { key: 'syncedMs', label: 'all back+synced ms' },
    { key: 'downMs', label: 'restart ms' },
    { key: 'shutdownMs', label: 'of which shutdown ms' },
    { key: 'backMs', label: 'all authenticated ms' },
    { key: 'clients', label: 'clients' },
    { key: 'synced', label: 'synced' },
    { key: 'lost', label: 'lost' },
    { key: 'duplicated', label: 'dup msgs' },
    { key: 'redelivered', label: 'wire re-deliveries' },
    { key: 'genCpu', label: 'generator CPU %' },
  ],
};

/** Lower is better for these headline figures (ratios are then reported as target / floor). */
const LOWER_IS_BETTER = new Set(['rssPerConnKB', 'catchupMs', 'syncedMs', 'cpuPerDeliveryUs']);

function fmt(v: number): string {
  if (!Number.isFinite(v)) return '–';
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString('en-US');
  return String(Math.round(v * 100) / 100);
}

const ratioFmt = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '–');

function num(r: RunRecord, key: string): number {
  const v = r[key];
  return typeof v === 'number' ? v : Number.NaN;
}

export interface Check {
  what: string;
  met: boolean | null;
  detail: string;
}

/** Median over reps of target/floor for `key`, pairing runs by rep. */
export function pairedRatio(records: RunRecord[], workload: string, config: string, target: string, versus: string, key: string): number {
  const ratios: number[] = [];
  const mine = records.filter((r) => r.workload === workload && r.config === config && r.target === target);
  for (const r of mine) {
    const other = records.find((o) => o.workload === workload && o.config === config && o.target === versus && o.rep === r.rep);
    if (other && num(other, key) > 0) ratios.push(num(r, key) / num(other, key));
  }
  return median(ratios);
}

function med(records: RunRecord[], workload: string, config: string, target: string, key: string): number {
  return median(records.filter((r) => r.workload === workload && r.config === config && r.target === target).map((r) => num(r, key)).filter(Number.isFinite));
}

/**
 * CPU per unit of work, the figure a shared machine can compare at a fixed load: server CPU
 * (% of one core) over deliveries or round trips per second, in µs. Derived here so that runs
 * recorded before it was a field get it too.
 */
export function withPerUnit(records: RunRecord[]): RunRecord[] {
  return records.map((r) => {
    const cpu = num(r, 'serverCpu');
    const per = (n: number) => (cpu >= 0 && n > 0 ? Math.round((cpu * 1e5) / n) / 10 : Number.NaN);
    if (r.workload === 'fanout' && !('serverUsPerDelivery' in r)) return { ...r, serverUsPerDelivery: per(num(r, 'deliveredPerS')) };
    if (r.workload === 'direct' && !('serverUsPerRoundTrip' in r)) return { ...r, serverUsPerRoundTrip: per(num(r, 'roundTripsPerS')) };
    return r;
  });
}

/** Issue 17's targets: SDK-cadence acks, CPU per unit of work next to the peers at a fixed load. */
function perUnitChecks(records: RunRecord[], has: (w: string, c: string, t: string) => boolean): Check[] {
  const out: Check[] = [];
  const c = '2000x200';
  if (has('fanout', c, 'natter') && has('fanout', c, 'socketio')) {
    const n = med(records, 'fanout', c, 'natter', 'p99Ms');
    const s = med(records, 'fanout', c, 'socketio', 'p99Ms');
    out.push({ what: `fanout ${c}: natter p99 ≤ Socket.IO's`, met: n <= s, detail: `${fmt(n)} ms vs ${fmt(s)} ms` });
  }
  if (has('fanout', c, 'natter') && has('fanout', c, 'ws-floor')) {
    const ratio = pairedRatio(records, 'fanout', c, 'natter', 'ws-floor', 'serverUsPerDelivery');
    out.push({ what: `fanout ${c}: natter CPU per delivery ≤ 1.5× ws-floor's`, met: ratio <= 1.5, detail: ratioFmt(ratio) });
  }
  if (has('direct', directConfig(records), 'natter') && has('direct', directConfig(records), 'socketio')) {
    const ratio = pairedRatio(records, 'direct', directConfig(records), 'natter', 'socketio', 'serverUsPerRoundTrip');
    out.push({ what: "direct 100 pairs: natter CPU per round trip ≤ 1.5× Socket.IO's", met: ratio <= 1.5, detail: ratioFmt(ratio) });
    const p99 = pairedRatio(records, 'direct', directConfig(records), 'natter', 'socketio', 'p99Ms');
    out.push({ what: "direct 100 pairs: natter p99 ≤ 1.5× Socket.IO's", met: p99 <= 1.5, detail: ratioFmt(p99) });
  }
  return out;
}

/** The issue's targets, evaluated on whatever of them this run measured. */
export function checks(input: RunRecord[]): Check[] {
  const records = withPerUnit(input);
  const out: Check[] = [];
  const has = (w: string, c: string, t: string) => records.some((r) => r.workload === w && r.config === c && r.target === t);
  for (const config of ['1000x20', '2000x200']) {
    if (has('fanout', config, 'natter') && has('fanout', config, 'ws-floor')) {
      const ratio = pairedRatio(records, 'fanout', config, 'natter', 'ws-floor', 'deliveredPerS');
      // At a fixed rate every target delivers what is sent: the ratio says nothing of capacity.
      const atMax = records.some((r) => r.workload === 'fanout' && r.config === config && r.target === 'natter' && 'maxFound' in r);
      out.push({
        what: `fanout ${config}: natter ≥ 0.75× ws-floor`,
        met: atMax ? ratio >= 0.75 : null,
        detail: atMax ? ratioFmt(ratio) : `${ratioFmt(ratio)} at a fixed rate (needs --find-max)`,
      });
    }
  }
  if (has('direct', directConfig(records), 'natter') && has('direct', directConfig(records), 'ws-floor')) {
    const ratio = pairedRatio(records, 'direct', directConfig(records), 'natter', 'ws-floor', 'roundTripsPerS');
    // Paced, every target answers what is asked: the ratio says nothing of capacity.
    const paced = directConfig(records) !== '100';
    out.push({
      what: 'direct 100 pairs: natter ≥ 0.8× ws-floor',
      met: paced ? null : ratio >= 0.8,
      detail: paced ? `${ratioFmt(ratio)} paced (needs --direct-rate 0)` : ratioFmt(ratio),
    });
  }
  if (has('direct', directConfig(records), 'natter') && has('direct', directConfig(records), 'socketio')) {
    const n = med(records, 'direct', directConfig(records), 'natter', 'p99Ms');
    const s = med(records, 'direct', directConfig(records), 'socketio', 'p99Ms');
    out.push({ what: "direct 100 pairs: natter p99 ≤ Socket.IO's", met: n <= s, detail: `${fmt(n)} ms vs ${fmt(s)} ms` });
  }
  if (has('idle', '15000', 'natter') && has('idle', '15000', 'ws-floor')) {
    const ratio = pairedRatio(records, 'idle', '15000', 'natter', 'ws-floor', 'rssPerConnKB');
    out.push({ what: 'idle 15,000: natter RSS/conn ≤ 1.2× ws-floor', met: ratio <= 1.2, detail: ratioFmt(ratio) });
  }
  for (const r of records.filter((x) => x.workload === 'idle-many' && x.config.startsWith('50000x'))) {
    out.push({
      what: `idle 50,000 across several Natter processes (rep ${r.rep})`,
      met: r.connected === 50_000,
      detail: `${fmt(num(r, 'connected'))} connected on ${fmt(num(r, 'processes'))} processes, ${fmt(num(r, 'rssPerConnKB'))} KB/conn`,
    });
  }
  if (has('catchup', '10000x100', 'natter')) {
    const ms = med(records, 'catchup', '10000x100', 'natter', 'catchupMs');
    out.push({ what: 'catch-up 10,000 msgs / 100 conversations < 1 s', met: ms < 1000, detail: `${fmt(ms)} ms` });
  }
  if (has('storm', '10000', 'natter')) {
    const runs = records.filter((r) => r.workload === 'storm' && r.config === '10000' && r.target === 'natter');
    const allBack = runs.every((r) => r.synced === r.clients && r.lost === 0);
    const ms = med(records, 'storm', '10000', 'natter', 'syncedMs');
    out.push({ what: 'storm 10,000: all back and synced, 0 lost', met: allBack, detail: `${fmt(ms)} ms, lost ${runs.map((r) => r.lost).join('/')}` });
  }
  out.push(...perUnitChecks(records, has));
  return out;
}

/** A thread or process counts as the limit from this share of a core (%). */
const FULL = 90;

/**
 * What held a run back, from its CPU figures (% of one core): the generator, the server's event
 * loop or its SQLite thread at FULL or more; else the machine, if the two together fill its
 * cores; else nothing ran out — the round trip or the latency criterion was the limit.
 */
export function limitedBy(r: { genCpu: number; serverCpu: number; serverLoopCpu?: number; sqliteThreadBusy?: number }, cores: number): string {
  const full: string[] = [];
  if (r.genCpu >= FULL) full.push('generator');
  // NaN (runs recorded before these were measured) counts as not full.
  if ((r.serverLoopCpu ?? Number.NaN) >= FULL) full.push('server event loop');
  if ((r.sqliteThreadBusy ?? Number.NaN) >= FULL) full.push('SQLite thread');
  if (full.length > 0) return full.join(' + ');
  return r.genCpu + r.serverCpu >= (FULL * cores) ? 'both cores' : 'latency (no core full)';
}

/** Workloads whose tables say what limited each target. */
/** The direct workload's 100-pair configuration this run measured: paced (`100@2000/s`) if it was, else unpaced. */
function directConfig(records: RunRecord[]): string {
  return records.find((r) => r.workload === 'direct' && r.config.startsWith('100@'))?.config ?? '100';
}

const SAYS_LIMIT = new Set(['fanout', 'direct']);

export function markdown(input: RunRecord[], cores = availableParallelism()): string {
  const records = withPerUnit(input);
  const lines: string[] = [];
  const keys = [...new Set(records.map((r) => `${r.workload}|${r.config}`))];
  for (const key of keys) {
    const [workload, config] = key.split('|') as [string, string];
    const cols = COLUMNS[workload] ?? [];
    const rows = records.filter((r) => r.workload === workload && r.config === config);
    const targets = [...new Set(rows.map((r) => r.target))];
    const reps = new Set(rows.map((r) => r.rep)).size;
    const headline = cols[0]!;
    const floor = targets.includes('ws-floor') && workload !== 'catchup' && workload !== 'storm';
    const limit = SAYS_LIMIT.has(workload);
    // How Natter's clients acknowledged (runs recorded before the field: never).
    const acks = [...new Set(rows.filter((r) => r.target.startsWith('natter')).map((r) => String(r.acks ?? 'none')))];
    const cadence = limit && acks.length > 0 ? `; Natter clients ack: ${acks.join(', ')}` : '';
    lines.push(`### ${workload} ${config} (median of ${reps} run${reps > 1 ? 's' : ''}${cadence})`, '');
    lines.push(`| target | ${cols.map((c) => c.label).join(' | ')}${floor ? ` | ${headline.label} vs ws-floor` : ''}${limit ? ' | limited by' : ''} |`);
    lines.push(`|---|${cols.map(() => '---:').join('|')}${floor ? '|---:' : ''}${limit ? '|---' : ''}|`);
    for (const t of targets) {
      const m = (key: string) => med(records, workload, config, t, key);
      const cells = cols.map((c) => fmt(m(c.key)));
      const ratio = floor ? ` | ${ratioFmt(pairedRatio(records, workload, config, t, 'ws-floor', headline.key))}` : '';
      const by = limit ? ` | ${limitedBy({ genCpu: m('genCpu'), serverCpu: m('serverCpu'), serverLoopCpu: m('serverLoopCpu'), sqliteThreadBusy: m('sqliteThreadBusy') }, cores)}` : '';
      lines.push(`| ${t} | ${cells.join(' | ')}${ratio}${by} |`);
    }
    if (LOWER_IS_BETTER.has(headline.key) && floor) lines.push('', `(${headline.label}: lower is better; the ratio is target / ws-floor.)`);
    lines.push('');
  }
  const cs = checks(records);
  if (cs.length > 0) {
    lines.push('### Targets from the issue', '', '| target | result | met |', '|---|---:|---|');
    for (const c of cs) lines.push(`| ${c.what} | ${c.detail} | ${c.met === null ? '–' : c.met ? 'met' : '**missed**'} |`);
    lines.push('');
  }
  return lines.join('\n');
}
