/**
 * Which Natter build the bench runs. By default a private build of the committed HEAD: its
 * protocol and server sources are exported with `git archive` into bench/.natter/<commit>/ and
 * compiled there, so the run measures a known commit and is not disturbed by edits or
 * rebuilds in the work tree while it runs. Any other commit (`--natter <rev>`) is built the
 * same way, so two commits can be measured in lockstep (`--natter <rev> --natter-b <rev>` with
 * the targets natter and natter-b) or in alternation by separate runs; the last few builds are
 * kept for that. `--natter worktree` runs packages/server/dist as it is
 * instead (build it first), for measuring uncommitted changes.
 */
import { execFileSync, execSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const TSC = join(REPO, 'node_modules/typescript/bin/tsc');
const SNAPSHOTS = join(REPO, 'bench/.natter');
/** Builds kept in bench/.natter for alternating runs; older ones are removed. */
const KEEP = 4;

export interface NatterBuild {
  main: string;
  /** e.g. "commit 9877a56" or "work tree (uncommitted changes)". */
  describe: string;
}

/** `mode`: 'worktree', 'head', or any git revision (a commit, tag or branch). */
export function prepareNatter(mode: string, log: (m: string) => void): NatterBuild {
  if (mode === 'worktree') {
    const main = join(REPO, 'packages/server/dist/main.js');
    if (!existsSync(main)) throw new Error(`${main} is missing: build first (npx tsc -b)`);
    const dirty = execSync('git status --porcelain packages/server packages/protocol', { cwd: REPO, encoding: 'utf8' }).trim() !== '';
    const head = execSync('git rev-parse --short HEAD', { cwd: REPO, encoding: 'utf8' }).trim();
    return { main, describe: `work tree at ${head}${dirty ? ' with uncommitted changes' : ''}` };
  }
  const rev = mode === 'head' ? 'HEAD' : mode;
  let commit: string;
  try {
    commit = execFileSync('git', ['rev-parse', '--short=12', '--verify', `${rev}^{commit}`], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    throw new Error(`--natter ${mode}: not a commit of this repository (use head, worktree or a git revision)`);
  }
  const dir = join(SNAPSHOTS, commit);
  const main = join(dir, 'packages/server/dist/main.js');
  if (existsSync(main)) {
    // Used now: the most recent, so building another for natter-b never prunes this one.
    const now = new Date();
    utimesSync(dir, now, now);
  } else {
    pruneSnapshots();
    log(`building natter at ${commit} into ${dir}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    execSync(`git archive ${commit} tsconfig.base.json packages/protocol packages/server | tar -x -C ${JSON.stringify(dir)}`, { cwd: REPO });
    // Dependencies resolve from the repository's node_modules further up, except the
    // workspace package itself, which must be this snapshot's copy.
    mkdirSync(join(dir, 'node_modules/@natter'), { recursive: true });
    symlinkSync('../../packages/protocol', join(dir, 'node_modules/@natter/protocol'));
    if (existsSync(join(REPO, 'packages/server/node_modules'))) {
      symlinkSync(join(REPO, 'packages/server/node_modules'), join(dir, 'packages/server/node_modules'));
    }
    try {
      execFileSync(process.execPath, [TSC, '-b', join(dir, 'packages/server')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      const out = (err as { stdout?: Buffer }).stdout?.toString() ?? '';
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`building natter at ${commit} failed:\n${out.slice(0, 4000)}`);
    }
  }
  return { main, describe: `commit ${commit.slice(0, 9)}` };
}

/** Keeps the KEEP - 1 most recently built snapshots, making room for one more. */
function pruneSnapshots(): void {
  if (!existsSync(SNAPSHOTS)) return;
  const built = readdirSync(SNAPSHOTS)
    .map((name) => ({ name, at: statSync(join(SNAPSHOTS, name)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const old of built.slice(KEEP - 1)) rmSync(join(SNAPSHOTS, old.name), { recursive: true, force: true });
}
