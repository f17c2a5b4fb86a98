/**
 * Package boundaries (issue 16): every workspace imports another only by its package name, declares
 * each `@natter/*` package it imports, never reaches into another workspace's files by a relative
 * path, and the graph of workspaces has no cycle. Imports are read with TypeScript's own scanner,
 * tests included: a test that imports another package's src/ couples the packages as much as code does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

interface Workspace {
  name: string;
  dir: string;
  declared: Set<string>;
  /** Its package.json `exports` keys as import specifiers (`@natter/protocol/wire`). */
  entryPoints: Set<string>;
}

interface Import {
  file: string;
  specifier: string;
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

function workspaces(): Workspace[] {
  const dirs = readJson(join(ROOT, 'package.json')).workspaces as string[];
  return dirs.map((d) => {
    const dir = join(ROOT, d);
    const pkg = readJson(join(dir, 'package.json'));
    const deps = {
      ...(pkg.dependencies as object | undefined),
      ...(pkg.devDependencies as object | undefined),
    };
    const name = pkg.name as string;
    const entryPoints = new Set(Object.keys((pkg.exports as object | undefined) ?? {}).map((k) => (k === '.' ? name : `${name}/${k.slice(2)}`)));
    return { name, dir, declared: new Set(Object.keys(deps)), entryPoints };
  });
}

/** Every .ts file under `dir`, skipping what is built or installed. */
function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter(
      (f) => f.endsWith('.ts') && !f.split(sep).some((part) => part === 'node_modules' || part === 'dist'),
    )
    .map((f) => join(dir, f));
}

function importsOf(ws: Workspace): Import[] {
  return sources(join(ws.dir, 'src')).flatMap((file) =>
    ts
      .preProcessFile(readFileSync(file, 'utf8'), true, true)
      .importedFiles.map((i) => ({ file, specifier: i.fileName })),
  );
}

/** The workspace a relative import lands in, when it is not the importer's own. */
function escapesTo(all: Workspace[], ws: Workspace, imp: Import): Workspace | 'outside' | null {
  if (!imp.specifier.startsWith('.')) return null;
  const target = resolve(dirname(imp.file), imp.specifier);
  if (!relative(ws.dir, target).startsWith('..')) return null;
  return all.find((other) => !relative(other.dir, target).startsWith('..')) ?? 'outside';
}

/** `@natter/server` from `@natter/server/anything`. */
const packageName = (specifier: string) => specifier.split('/').slice(0, 2).join('/');

/** A cycle in `edges` as a path of names that starts and ends with the same one, or null. */
function findCycle(edges: Map<string, Set<string>>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | null => {
    if (state.get(node) === 'done') return null;
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    state.set(node, 'open');
    path.push(node);
    for (const next of edges.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of edges.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return null;
}

describe('workspace boundaries', () => {
  const all = workspaces();
  const names = new Set(all.map((w) => w.name));
  const imports = new Map(all.map((w) => [w.name, importsOf(w)]));
  const where = (i: Import) => relative(ROOT, i.file);

  it('finds every workspace and its sources', () => {
    expect([...names]).toEqual(
      expect.arrayContaining(['@natter/protocol', '@natter/server', '@natter/client', '@natter/testkit']),
    );
    for (const w of all) expect(imports.get(w.name)!.length, w.name).toBeGreaterThan(0);
  });

  it('declares every @natter package a workspace imports, and imports it only by name', () => {
    const problems: string[] = [];
    for (const w of all) {
      for (const i of imports.get(w.name)!) {
        if (!i.specifier.startsWith('@natter/')) continue;
        const name = packageName(i.specifier);
        if (name !== i.specifier && !all.find((t) => t.name === name)?.entryPoints.has(i.specifier))
          problems.push(`${where(i)} imports ${i.specifier}: import ${name} (or an entry point in its exports), not its files`);
        if (name !== w.name && !w.declared.has(name))
          problems.push(`${where(i)} imports ${name}, which ${w.name}'s package.json does not declare`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('never reaches into another workspace (or outside its own) by a relative path', () => {
    const problems: string[] = [];
    for (const w of all) {
      for (const i of imports.get(w.name)!) {
        const other = escapesTo(all, w, i);
        if (other)
          problems.push(
            `${where(i)} imports ${i.specifier}, inside ${other === 'outside' ? 'no workspace' : other.name}`,
          );
      }
    }
    expect(problems).toEqual([]);
  });

  it('has no cycle among the workspaces, counting declared dependencies and actual imports', () => {
    const edges = new Map(all.map((w) => [w.name, new Set([...w.declared].filter((d) => names.has(d)))]));
    for (const w of all) {
      for (const i of imports.get(w.name)!) {
        const other = escapesTo(all, w, i);
        const target = i.specifier.startsWith('@natter/')
          ? packageName(i.specifier)
          : other && other !== 'outside'
            ? other.name
            : null;
        if (target && target !== w.name && names.has(target)) edges.get(w.name)!.add(target);
      }
    }
    expect(findCycle(edges)).toBeNull();
  });

  it('finds a cycle when there is one, and none in a chain', () => {
    const graph = (pairs: [string, string][]) => {
      const edges = new Map<string, Set<string>>();
      for (const [a, b] of pairs) {
        edges.set(a, (edges.get(a) ?? new Set()).add(b));
        if (!edges.has(b)) edges.set(b, new Set());
      }
      return edges;
    };
    expect(
      findCycle(
        graph([
          ['kit', 'server'],
          ['kit', 'client'],
          ['server', 'protocol'],
          ['client', 'protocol'],
        ]),
      ),
    ).toBeNull();
    expect(
      findCycle(
        graph([
          ['server', 'protocol'],
          ['server', 'client'],
          ['client', 'server'],
        ]),
      ),
    ).toEqual(['server', 'client', 'server']);
  });
});
