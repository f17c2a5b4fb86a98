/**
 * The top entries of V8 CPU profiles (`--cpu-prof`, e.g. from `--natter-node-args`), as a
 * markdown table: self time per function summed over every profile in a directory (one per
 * server thread: the main thread, the SQLite thread, the checkpointer), with its share of all
 * samples. What bench/RESULTS.md shows before and after a change to the send path.
 *
 *   node bench/dist/lib/prof-top.js /tmp/prof [entries=25]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [dir, n = '25'] = process.argv.slice(2);
if (!dir) throw new Error('usage: prof-top <dir with .cpuprofile files> [entries]');

const selfUs = new Map<string, number>();
let totalUs = 0;
/** Per profile (thread): the time it was busy, idle and program samples left out. */
const busy: string[] = [];
const NOT_BUSY = new Set(['(idle)', '(program)']);
for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
  let fileBusy = 0;
  let fileTop = '';
  let fileTopUs = 0;
  const fileSelf = new Map<string, number>();
  const p = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((node) => [node.id, node]));
  for (let i = 0; i < p.samples.length; i++) {
    const node = byId.get(p.samples[i]!)!;
    const dt = p.timeDeltas[i] ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    // Paths shortened to the package's own (…/server/dist/core/x.js) or the dependency's name.
    const where = url.replace(/^.*\/node_modules\//, '').replace(/^.*\/packages\//, '').replace(/^file:\/\//, '');
    const key = `${functionName || '(anonymous)'} ${where ? `${where}:${lineNumber + 1}` : ''}`.trim();
    selfUs.set(key, (selfUs.get(key) ?? 0) + dt);
    totalUs += dt;
    if (!NOT_BUSY.has(functionName)) {
      fileBusy += dt;
      const f = (fileSelf.get(key) ?? 0) + dt;
      fileSelf.set(key, f);
      if (f > fileTopUs) [fileTop, fileTopUs] = [key, f];
    }
  }
  busy.push(`- \`${file}\`: busy ${Math.round(fileBusy / 1000)} ms, its top entry \`${fileTop}\``);
}
const rows = [...selfUs.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(n));
console.log(`| self ms | % | function |\n|---:|---:|---|`);
for (const [key, us] of rows) console.log(`| ${Math.round(us / 1000)} | ${((100 * us) / totalUs).toFixed(1)} | \`${key}\` |`);
console.log(`\n(${Math.round(totalUs / 1000)} ms of samples over all threads)\n\n${busy.join('\n')}`);
