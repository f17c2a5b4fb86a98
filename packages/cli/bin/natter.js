#!/usr/bin/env node
// The `natter` command. A committed file, so that `npm install` links it before anything is built;
// it runs the built CLI (packages/cli/dist/main.js, made by `npm run build`).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { pathToFileURL } from 'node:url';

const main = join(import.meta.dirname, '..', 'dist', 'main.js');
if (!existsSync(main)) {
  process.stderr.write('natter: the CLI is not built yet; run `npm run build` in the repository first\n');
  process.exit(1);
}
await import(pathToFileURL(main).href);
